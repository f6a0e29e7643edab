/**
 * The platform: creates the trust-zone namespaces and composes every component from one resolved
 * platform spec.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Namespaces, PlatformSpec } from "../stacks/resolve";
import { SecretRef } from "../stacks/schema";
import { Agent, McpCredentials } from "./agent";
import { Gateway } from "./gateway";
import { McpServer } from "./mcpServer";
import { mintHs256Token } from "./mcpAuth";
import { PlatformNamespaces } from "./namespaces";
import { REALM, agentInstance, keycloakUrl } from "./names";
import { Sandbox } from "./sandbox";

/** Secret (in the agents namespace) holding the platform LLM API key when it comes from config. */
export const LLM_SECRET: SecretRef = { name: "llm-api-key", key: "api-key" };

export interface PlatformArgs {
    /** The resolved, validated platform spec. */
    readonly spec: PlatformSpec;
    /** The LLM API key from `agentstack:llmApiKey` (a secret output); required when an agent uses it. */
    readonly llmApiKey?: pulumi.Output<string>;
}

export class Platform extends pulumi.ComponentResource {
    /** The public URL of the gateway. */
    public readonly url: pulumi.Output<string>;
    /** Namespace names by trust zone. */
    public readonly namespaceNames: Namespaces;
    /** OIDC client secret of each agent (keyed by agent name) for the RS256 MCP flow; the identity provider registers the same. */
    public readonly agentClientSecrets: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:platform:Platform", name, {}, opts);
        const spec = args.spec;
        const profile = spec.profile;
        const names = spec.namespaces;
        const zones = new PlatformNamespaces(`${name}-namespaces`, { names, profile }, { parent: this });
        const nsOf = (zone: keyof Namespaces) => zones.namespaces[zone].metadata.name;
        const common = { profile, namespaces: names };

        if (spec.agents.some((a) => a.apiKey.kind === "config")) {
            if (!args.llmApiKey) throw new Error("agentstack:llmApiKey is required (set it with pulumi config set --secret)");
            new k8s.core.v1.Secret(`${name}-llm-api-key`, {
                metadata: { name: LLM_SECRET.name, namespace: nsOf("agents"), labels: { "app.kubernetes.io/part-of": "agentstack" } },
                type: "Opaque",
                stringData: { [LLM_SECRET.key]: pulumi.secret(args.llmApiKey) },
            }, { parent: this });
        }

        new Sandbox(`${name}-sandbox`, { ...common, spec: spec.sandbox, namespace: nsOf("sandbox") }, { parent: this });

        const servers = new Map(spec.mcpServers.map((m) => [m.name, {
            spec: m,
            component: new McpServer(`${name}-mcp-${m.name}`, { ...common, spec: m, namespace: nsOf("mcp"), logLevel: spec.logLevel }, { parent: this }),
        }]));

        const clientSecrets: Record<string, pulumi.Output<string>> = {};
        for (const a of spec.agents) {
            const declared = a.mcpServers.map((n) => servers.get(n)!);
            const tokens: Record<string, pulumi.Output<string>> = {};
            for (const d of declared) {
                const key = d.component.hs256Key;
                if (key) tokens[d.spec.name] = pulumi.secret(key.apply((k) => mintHs256Token(k, agentInstance(a.name), d.spec.name)));
            }
            let oidc: McpCredentials["oidc"];
            if (declared.some((d) => d.spec.auth.alg === "RS256")) {
                const secret = new random.RandomPassword(`${name}-agent-${a.name}-client-secret`, { length: 48, special: false }, { parent: this });
                clientSecrets[a.name] = pulumi.secret(secret.result);
                oidc = {
                    tokenUrl: `${keycloakUrl(names)}/realms/${REALM}/protocol/openid-connect/token`,
                    clientId: agentInstance(a.name),
                    clientSecret: clientSecrets[a.name]!,
                };
            }
            new Agent(`${name}-agent-${a.name}`, {
                ...common,
                spec: a,
                namespace: nsOf("agents"),
                llm: spec.llm,
                mcpServers: declared.map((d) => d.spec),
                apiKey: a.apiKey.kind === "secretRef" ? a.apiKey.ref : LLM_SECRET,
                mcpCredentials: { tokens, ...(oidc ? { oidc } : {}) },
                sandboxPort: spec.sandbox.port,
            }, { parent: this });
        }

        const gateway = new Gateway(`${name}-gateway`, {
            ...common,
            spec: spec.gateway,
            namespace: nsOf("gateway"),
            agents: spec.agents.map((a) => ({ name: a.name, port: a.port })),
            logLevel: spec.logLevel,
        }, { parent: this });

        this.url = gateway.url;
        this.namespaceNames = names;
        this.agentClientSecrets = clientSecrets;
        this.registerOutputs({ url: this.url, namespaces: names });
    }
}
