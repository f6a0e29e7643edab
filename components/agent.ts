/**
 * `agent`: one agent service. OpenAI-compatible client: the API key only from a Secret, the model
 * endpoint and log level from a ConfigMap, the URL (and credential) of each MCP server it declares.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentSpec, McpServerSpec, Namespaces, PlatformSpec } from "../stacks/resolve";
import { SecretRef } from "../stacks/schema";
import { configMapEnv, secretEnv } from "./env";
import { agentInstance, envName, mcpUrl, sandboxUrl } from "./names";
import { audienceScope, scopeEnvName } from "./realm";
import { HardenedWorkload, checksum, injectedScaling } from "./workload";
import { recommendedLabels } from "../lib/labels";

/**
 * How an agent authenticates to its MCP servers: a pre-minted HS256 bearer token for each HS256 server
 * (level 1), and OAuth2 client credentials at Keycloak for the RS256 servers (the token endpoint mints
 * a token per audience).
 */
export interface McpCredentials {
    /** Bearer token per HS256 server name (secret outputs). */
    readonly tokens?: Readonly<Record<string, pulumi.Output<string>>>;
    /** Client credentials, when any declared server uses RS256. */
    readonly oidc?: {
        readonly tokenUrl: string;
        readonly clientId: string;
        readonly clientSecret: pulumi.Output<string>;
    };
}

interface AgentArgs {
    /** Resources the workload waits for (the platform passes the injection webhook). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** The resolved agent spec. */
    readonly spec: AgentSpec;
    /** Namespaces of the platform (the agent lives in `agents`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** LLM endpoint settings. */
    readonly llm: PlatformSpec["llm"];
    /** The MCP servers this agent declares (resolved specs, in declaration order). */
    readonly mcpServers: readonly McpServerSpec[];
    /** Where OPENAI_API_KEY comes from: a Secret in the agents namespace. */
    readonly apiKey: SecretRef;
    /** Credentials for the declared MCP servers. Required when it declares any. */
    readonly mcpCredentials?: McpCredentials;
    /** The sandbox's port. Default 8080. */
    readonly sandboxPort?: number;
    /** Connection settings of its data stores (Qdrant, MongoDB), by configMapKeyRef/secretKeyRef. Default none. */
    readonly dataStoreEnv?: k8s.types.input.core.v1.EnvVar[];
}

/** The non-secret settings of an agent (its ConfigMap), as a pure function. */
function agentSettings(
    args: Pick<AgentArgs, "spec" | "namespaces" | "llm" | "mcpServers" | "mcpCredentials" | "sandboxPort">,
): Record<string, string> {
    const s = args.spec;
    const settings: Record<string, string> = {
        MODEL_ENDPOINT: args.llm.endpoint,
        MODEL_NAME: args.llm.model,
        LOG_LEVEL: s.logLevel,
        SECURITY_MODE: s.securityMode,
        TOOL_INSPECTION_ENABLED: String(s.toolInspection),
        SANDBOX_URL: sandboxUrl(args.namespaces, args.sandboxPort ?? 8080),
        MCP_SERVERS: args.mcpServers.map((m) => m.name).join(","),
        PORT: String(s.port),
    };
    for (const m of args.mcpServers) settings[`MCP_${envName(m.name)}_URL`] = mcpUrl(args.namespaces, m.name, m.port);
    if (args.mcpServers.length === 1)
        settings["MCP_SERVER_URL"] = mcpUrl(args.namespaces, args.mcpServers[0]!.name, args.mcpServers[0]!.port);
    const oidc = args.mcpCredentials?.oidc;
    if (oidc && args.mcpServers.length > 0) {
        settings["MCP_AUTH_TOKEN_URL"] = oidc.tokenUrl;
        settings["MCP_AUTH_CLIENT_ID"] = oidc.clientId;
        // The scope to request per RS256 server: its audience scope, so the token's `aud` names that server.
        const rs256 = args.mcpServers.filter((m) => m.auth.alg === "RS256");
        for (const m of rs256) settings[scopeEnvName(m.name)] = audienceScope(m.name);
        if (args.mcpServers.length === 1 && rs256.length === 1)
            settings["MCP_AUTH_SCOPE"] = audienceScope(rs256[0]!.name);
    }
    return settings;
}

/** Creates an agent's children below `parent`: its settings ConfigMap, its MCP credentials Secret (when it calls MCP servers) and its workload. */
function createAgent(name: string, args: AgentArgs, parent: pulumi.Resource): { serviceName: pulumi.Output<string> } {
    const s = args.spec;
    const instance = agentInstance(s.name);
    const ns = args.namespace;
    const labels = recommendedLabels("agent", instance);
    const settings = agentSettings(args);
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-config`,
        {
            metadata: { name: `${instance}-config`, namespace: ns, labels },
            data: settings,
        },
        { parent },
    );
    const env: k8s.types.input.core.v1.EnvVar[] = [
        ...configMapEnv(cm.metadata.name, settings),
        secretEnv("OPENAI_API_KEY", args.apiKey.name, args.apiKey.key),
        ...(args.dataStoreEnv ?? []),
    ];
    if (args.mcpServers.length > 0) {
        if (!args.mcpCredentials) throw new Error(`agent ${s.name}: MCP credentials are required for its MCP servers`);
        const creds = args.mcpCredentials;
        const hs256 = args.mcpServers.filter((m) => m.auth.alg === "HS256");
        const data: Record<string, pulumi.Input<string>> = {};
        for (const m of hs256) {
            const token = creds.tokens?.[m.name];
            if (!token) throw new Error(`agent ${s.name}: no HS256 token for MCP server ${m.name}`);
            data[`${m.name}-token`] = token;
        }
        if (hs256.length < args.mcpServers.length) {
            if (!creds.oidc)
                throw new Error(`agent ${s.name}: OIDC client credentials are required for its RS256 MCP servers`);
            data["client-secret"] = creds.oidc.clientSecret;
        }
        const secret = new k8s.core.v1.Secret(
            `${name}-mcp-credentials`,
            {
                metadata: { name: `${instance}-mcp-credentials`, namespace: ns, labels },
                type: "Opaque",
                stringData: data,
            },
            { parent },
        );
        for (const m of hs256)
            env.push(secretEnv(`MCP_${envName(m.name)}_AUTH_TOKEN`, secret.metadata.name, `${m.name}-token`));
        if (args.mcpServers.length === 1 && hs256.length === 1)
            env.push(secretEnv("MCP_AUTH_TOKEN", secret.metadata.name, `${hs256[0]!.name}-token`));
        if ("client-secret" in data)
            env.push(secretEnv("MCP_AUTH_CLIENT_SECRET", secret.metadata.name, "client-secret"));
    }
    const workload = new HardenedWorkload(
        `${name}-workload`,
        {
            component: "agent",
            instance,
            namespace: ns,
            ...injectedScaling(s, args.dependsOn),
            configChecksum: checksum(settings),
            containers: [
                {
                    name: "agent",
                    image: s.image,
                    ports: [{ name: "http", containerPort: s.port }],
                    env,
                    resources: s.resources,
                    probes: { liveness: "/healthz", readiness: "/healthz", startupSeconds: 60 },
                },
            ],
        },
        { parent },
    );
    return { serviceName: workload.serviceName };
}

export class Agent extends pulumi.ComponentResource {
    /** Service name (`agent-<name>`). */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: AgentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:agent:Agent", name, {}, opts);
        this.serviceName = createAgent(name, args, this).serviceName;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
