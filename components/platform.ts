/**
 * The platform: creates the trust-zone namespaces and composes every component from one resolved
 * platform spec. Order matters only where Kubernetes needs it: namespaces first, then the network
 * policies, the injection webhook before the workloads it must mutate, the database before Keycloak.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATA_STORE_ZONE } from "../stacks/dataStores";
import { DataStoreClientRef, dataStoreClients, extAuthzAllowed, flowTable } from "../stacks/flows";
import { Namespaces, PlatformSpec } from "../stacks/resolve";
import { ACME_SOLVER_ZONES } from "../stacks/flows";
import { SecretRef } from "../stacks/schema";
import { Agent, McpCredentials } from "./agent";
import { EnvoyInjector } from "./envoyInjector";
import { envoyBootstrap, envoySidecarContainer } from "./envoySidecar";
import { ExtAuth } from "./extauth";
import { Gateway } from "./gateway";
import { Keycloak } from "./keycloak";
import { McpServer } from "./mcpServer";
import { MongoDb } from "./mongodb";
import { PostgreSql } from "./postgresql";
import { Qdrant } from "./qdrant";
import { mintHs256Token } from "./mcpAuth";
import { PlatformNamespaces } from "./namespaces";
import { INSTANCES, agentInstance, keycloakIssuer, keycloakTokenUrl, keycloakUrl, serviceHost } from "./names";
import { GATEWAY_CLIENT_ID, realmRepresentation } from "./realm";
import { Monitoring } from "./monitoring";
import { NetworkPolicies } from "./networkPolicies";
import { Sandbox } from "./sandbox";
import { PART_OF, PART_OF_LABEL, selectorLabels } from "../lib/labels";

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
    /** The public URL of the login (Keycloak). */
    public readonly loginUrl: pulumi.Output<string>;
    /** Namespace names by trust zone. */
    public readonly namespaceNames: Namespaces;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:platform:Platform", name, {}, opts);
        const spec = args.spec;
        const names = spec.namespaces;
        const zones = new PlatformNamespaces(`${name}-namespaces`, { names, podSecurity: spec.profile.podSecurity, quotas: spec.profile.quotas, acmeSolverZones: spec.gateway.tls.mode === "cert-manager" ? ACME_SOLVER_ZONES : [] }, { parent: this });
        const nsOf = (zone: keyof Namespaces) => zones.namespaces[zone].metadata.name;
        const common = { namespaces: names };
        const flows = flowTable(spec);
        const nsOutputs = Object.fromEntries((Object.keys(names) as (keyof Namespaces)[]).map((z) => [z, nsOf(z)])) as Record<keyof Namespaces, pulumi.Output<string>>;
        // Network isolation first: no workload runs a moment without its policies.
        const netpols = new NetworkPolicies(`${name}-network`, { spec, namespaces: nsOutputs, flows }, { parent: this });

        // Zero trust: ExtAuth, the sidecar template, and the injector that every injected workload waits for.
        new ExtAuth(`${name}-extauth`, { zeroTrust: spec.zeroTrust, namespace: nsOf("system"), allowed: extAuthzAllowed(spec, flows) }, { parent: this });
        const metrics = spec.monitoring.enabled;
        const bootstrap = envoyBootstrap(spec.zeroTrust, serviceHost(INSTANCES.extauth, names.system), spec.gateway.llmRouteTimeoutSeconds, { stats: metrics });
        const injector = new EnvoyInjector(`${name}-envoy-injector`, {
            zeroTrust: spec.zeroTrust,
            namespace: nsOf("system"),
            namespaceName: names.system,
            sidecar: envoySidecarContainer(spec.zeroTrust, bootstrap),
            bootstrap,
        }, { parent: this });
        const injected = { dependsOn: [injector, netpols.ready] };

        if (spec.agents.some((a) => a.apiKey.kind === "config")) {
            if (!args.llmApiKey) throw new Error("agentstack:llmApiKey is required (set it with pulumi config set --secret)");
            new k8s.core.v1.Secret(`${name}-llm-api-key`, {
                metadata: { name: LLM_SECRET.name, namespace: nsOf("agents"), labels: { [PART_OF_LABEL]: PART_OF } },
                type: "Opaque",
                stringData: { [LLM_SECRET.key]: pulumi.secret(args.llmApiKey) },
            }, { parent: this });
        }

        // Data stores, with their declared clients from the flow table's single definition.
        const clients = dataStoreClients(spec);
        const clientArgs = (c: DataStoreClientRef) => ({ name: c.instance, namespace: nsOf(c.zone), namespaceName: names[c.zone], podLabels: selectorLabels(c.component, c.instance) });
        const storeArgs = { namespaces: names, dependsOn: [netpols.ready], exporter: metrics };
        const qdrant = new Qdrant(`${name}-qdrant`, { ...storeArgs, spec: spec.dataStores.qdrant, namespace: nsOf(DATA_STORE_ZONE.qdrant), clients: clients.qdrant.map(clientArgs) }, { parent: this });
        const mongodb = new MongoDb(`${name}-mongodb`, { ...storeArgs, spec: spec.dataStores.mongodb, namespace: nsOf(DATA_STORE_ZONE.mongodb), clients: clients.mongodb.map(clientArgs) }, { parent: this });
        const postgresql = new PostgreSql(`${name}-postgresql`, {
            ...storeArgs,
            spec: spec.dataStores.postgresql,
            namespace: nsOf(DATA_STORE_ZONE.postgresql),
            clients: clients.postgresql.map((c) => ({ ...clientArgs(c), database: "keycloak", user: "keycloak", envStyle: "keycloak" as const })),
        }, { parent: this });

        new Sandbox(`${name}-sandbox`, { ...common, spec: spec.sandbox, namespace: nsOf("sandbox"), dependsOn: [netpols.ready] }, { parent: this });

        const servers = new Map(spec.mcpServers.map((m) => [m.name, {
            spec: m,
            component: new McpServer(`${name}-mcp-${m.name}`, {
                ...common, ...injected, spec: m, namespace: nsOf("mcp"), logLevel: spec.logLevel, keycloakHostname: spec.keycloak.hostname,
            }, { parent: this }),
        }]));

        const clientSecrets: { name: string; mcpServers: readonly string[]; secret: pulumi.Output<string> }[] = [];
        for (const a of spec.agents) {
            const declared = a.mcpServers.map((n) => servers.get(n)!);
            const tokens: Record<string, pulumi.Output<string>> = {};
            for (const d of declared) {
                const key = d.component.hs256Key;
                if (key) tokens[d.spec.name] = pulumi.secret(key.apply((k) => mintHs256Token(k, agentInstance(a.name), d.spec.name)));
            }
            // Every agent has its client at Keycloak (at every level, so a level change only adds audiences);
            // it gets the credentials when it declares an RS256 server.
            const secret = pulumi.secret(new random.RandomPassword(`${name}-agent-${a.name}-client-secret`, { length: 48, special: false }, { parent: this }).result);
            clientSecrets.push({ name: a.name, mcpServers: a.mcpServers, secret });
            let oidc: McpCredentials["oidc"];
            if (declared.some((d) => d.spec.auth.alg === "RS256")) {
                oidc = { tokenUrl: keycloakTokenUrl(names), clientId: agentInstance(a.name), clientSecret: secret };
            }
            new Agent(`${name}-agent-${a.name}`, {
                ...common,
                ...injected,
                spec: a,
                namespace: nsOf("agents"),
                llm: spec.llm,
                mcpServers: declared.map((d) => d.spec),
                apiKey: a.apiKey.kind === "secretRef" ? a.apiKey.ref : LLM_SECRET,
                mcpCredentials: { tokens, ...(oidc ? { oidc } : {}) },
                sandboxPort: spec.sandbox.port,
                dataStoreEnv: [...qdrant.clientEnv(agentInstance(a.name)), ...mongodb.clientEnv(agentInstance(a.name))],
            }, { parent: this });
        }

        const gatewayClientSecret = pulumi.secret(new random.RandomPassword(`${name}-gateway-client-secret`, { length: 48, special: false }, { parent: this }).result);
        const gateway = new Gateway(`${name}-gateway`, {
            ...common,
            ...injected,
            spec: spec.gateway,
            namespace: nsOf("gateway"),
            agents: spec.agents.map((a) => ({ name: a.name, port: a.port })),
            logLevel: spec.logLevel,
            oidc: { issuer: keycloakIssuer(spec.keycloak.hostname), clientId: GATEWAY_CLIENT_ID, clientSecret: gatewayClientSecret },
            metrics,
        }, { parent: this });

        const realmJson = pulumi.all([gatewayClientSecret, ...clientSecrets.map((c) => c.secret)]).apply(([gw, ...agentSecrets]) => JSON.stringify(realmRepresentation({
            gatewayUrl: `https://${spec.gateway.hostname}`,
            webOrigins: spec.gateway.corsOrigins,
            gatewayClientSecret: gw!,
            agents: clientSecrets.map((c, i) => ({ name: c.name, mcpServers: c.mcpServers, clientSecret: agentSecrets[i]! })),
            mcpServers: spec.mcpServers.filter((m) => m.auth.alg === "RS256").map((m) => m.name),
        }), null, 2));
        const keycloak = new Keycloak(`${name}-keycloak`, {
            spec: spec.keycloak,
            namespace: nsOf("identity"),
            realmJson: pulumi.secret(realmJson),
            internalUrl: keycloakUrl(names),
            databaseEnv: postgresql.clientEnv(INSTANCES.keycloak),
            exposure: spec.gateway,
            dependsOn: [postgresql, netpols.ready],
        }, { parent: this });

        // Observability: ServiceMonitors/PodMonitors and the PrometheusRule for the cluster's Prometheus Operator.
        new Monitoring(`${name}-monitoring`, { spec, namespaces: nsOutputs }, { parent: this });

        this.url = gateway.url;
        this.loginUrl = keycloak.url;
        this.namespaceNames = names;
        this.registerOutputs({ url: this.url, loginUrl: this.loginUrl, namespaces: names });
    }
}
