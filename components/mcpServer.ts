/**
 * `mcp-server`: one MCP tool server. It verifies a JWT on every call: HS256 with a generated key kept
 * in a Secret (level 1 only), or RS256 against Keycloak's JWKS (from level 2).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { McpServerSpec, Namespaces } from "../stacks/resolve";
import { configMapEnv, secretEnv } from "./env";
import { mcpAuthSettings } from "./mcpAuth";
import { mcpInstance } from "./names";
import { HardenedWorkload, checksum, injectedScaling } from "./workload";
import { recommendedLabels } from "../lib/labels";

/** Key of the HS256 signing key in the server's JWT Secret. */
const HS256_SECRET_KEY = "hs256-key";

interface McpServerArgs {
    /** The resolved server spec (image, port, scale, auth). */
    readonly spec: McpServerSpec;
    /** Namespaces of the platform (the server lives in `mcp`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** Keycloak's public host name (the RS256 issuer). */
    readonly keycloakHostname: string;
    /** LOG_LEVEL. Default "info". */
    readonly logLevel?: string;
    /** Resources the workload waits for (the platform passes the injection webhook). Default none. */
    readonly dependsOn?: pulumi.Resource[];
}

/** Creates an MCP server's children below `parent`: its settings ConfigMap, its HS256 key and Secret (HS256 only) and its workload. */
function createMcpServer(
    name: string,
    args: McpServerArgs,
    parent: pulumi.Resource,
): { serviceName: pulumi.Output<string>; hs256Key?: pulumi.Output<string> } {
    const s = args.spec;
    const instance = mcpInstance(s.name);
    const ns = args.namespace;
    const labels = recommendedLabels("mcp-server", instance);
    const settings = {
        ...mcpAuthSettings(s.auth.alg, s.name, args.namespaces, args.keycloakHostname),
        LOG_LEVEL: args.logLevel ?? "info",
        MCP_PORT: String(s.port),
    };
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-config`,
        {
            metadata: { name: `${instance}-config`, namespace: ns, labels },
            data: settings,
        },
        { parent },
    );
    const env: k8s.types.input.core.v1.EnvVar[] = configMapEnv(cm.metadata.name, settings);
    let hs256Key: pulumi.Output<string> | undefined;
    if (s.auth.alg === "HS256") {
        const key = new random.RandomPassword(`${name}-hs256-key`, { length: 64, special: false }, { parent });
        hs256Key = pulumi.secret(key.result);
        const secret = new k8s.core.v1.Secret(
            `${name}-jwt`,
            {
                metadata: { name: `${instance}-jwt`, namespace: ns, labels },
                type: "Opaque",
                stringData: { [HS256_SECRET_KEY]: hs256Key },
            },
            { parent },
        );
        env.push(secretEnv("MCP_AUTH_JWT_SECRET", secret.metadata.name, HS256_SECRET_KEY));
    }
    const workload = new HardenedWorkload(
        `${name}-workload`,
        {
            component: "mcp-server",
            instance,
            namespace: ns,
            ...injectedScaling(s, args.dependsOn),
            configChecksum: checksum(settings),
            containers: [
                {
                    name: "mcp-server",
                    image: s.image,
                    ports: [{ name: "http", containerPort: s.port }],
                    env,
                    resources: s.resources,
                    probes: { liveness: "/healthz", readiness: "/healthz" },
                },
            ],
        },
        { parent },
    );
    return { serviceName: workload.serviceName, ...(hs256Key ? { hs256Key } : {}) };
}

export class McpServer extends pulumi.ComponentResource {
    /** Service name (`mcp-<name>`). */
    public readonly serviceName: pulumi.Output<string>;
    /** The HS256 signing key (secret), when the server uses HS256; undefined for RS256. */
    public readonly hs256Key?: pulumi.Output<string>;

    constructor(name: string, args: McpServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:mcp:McpServer", name, {}, opts);
        const out = createMcpServer(name, args, this);
        this.serviceName = out.serviceName;
        if (out.hs256Key) this.hs256Key = out.hs256Key;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
