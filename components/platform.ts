/**
 * The platform: creates the trust-zone namespaces and composes every component from one resolved
 * platform spec. Order matters only where Kubernetes needs it: namespaces first, then the network
 * policies, the injection webhook before the workloads it must mutate, the database before Keycloak.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATA_STORE_ZONE } from "../stacks/dataStores";
import { DataStoreClientRef, Flow, dataStoreClients, extAuthzAllowed, flowTable } from "../stacks/flows";
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
const LLM_SECRET: SecretRef = { name: "llm-api-key", key: "api-key" };

interface PlatformArgs {
    /** The resolved, validated platform spec. */
    readonly spec: PlatformSpec;
    /** The spec's flow table (stacks/flows.ts `flowTable`), computed once per run by the caller. Default: computed from `spec`. */
    readonly flows?: readonly Flow[];
    /** The LLM API key from `agentstack:llmApiKey` (a secret output); required when an agent uses it. */
    readonly llmApiKey?: pulumi.Output<string>;
}

/** The realm document (JSON) from the gateway's and the agents' client secrets (creates nothing). */
export function platformRealmJson(
    spec: PlatformSpec,
    gatewayClientSecret: string,
    agents: readonly { readonly name: string; readonly mcpServers: readonly string[]; readonly clientSecret: string }[],
): string {
    return JSON.stringify(
        realmRepresentation({
            gatewayUrl: `https://${spec.gateway.hostname}`,
            webOrigins: spec.gateway.corsOrigins,
            gatewayClientSecret,
            agents,
            mcpServers: spec.mcpServers.filter((m) => m.auth.alg === "RS256").map((m) => m.name),
        }),
        null,
        2,
    );
}

/** What the platform's parts share while they are created. */
interface PlatformContext {
    readonly name: string;
    readonly parent: pulumi.Resource;
    readonly spec: PlatformSpec;
    /** A zone's Namespace name output (objects wait for their Namespace). */
    readonly nsOf: (zone: keyof Namespaces) => pulumi.Output<string>;
    /** What every injected workload waits for: the injection webhook and the network policies. */
    readonly injected: { readonly dependsOn: pulumi.Resource[] };
}

/** Creates the three data stores with their declared clients (the flow table's single definition). */
function createDataStores(
    c: PlatformContext,
    ready: pulumi.Resource,
): { qdrant: Qdrant; mongodb: MongoDb; postgresql: PostgreSql } {
    const { name, spec, nsOf } = c;
    const names = spec.namespaces;
    const clients = dataStoreClients(spec);
    const clientArgs = (r: DataStoreClientRef) => ({
        name: r.instance,
        namespace: nsOf(r.zone),
        namespaceName: names[r.zone],
        podLabels: selectorLabels(r.component, r.instance),
    });
    const storeArgs = { namespaces: names, dependsOn: [ready], exporter: spec.monitoring.enabled };
    const qdrant = new Qdrant(
        `${name}-qdrant`,
        {
            ...storeArgs,
            spec: spec.dataStores.qdrant,
            namespace: nsOf(DATA_STORE_ZONE.qdrant),
            clients: clients.qdrant.map(clientArgs),
        },
        { parent: c.parent },
    );
    const mongodb = new MongoDb(
        `${name}-mongodb`,
        {
            ...storeArgs,
            spec: spec.dataStores.mongodb,
            namespace: nsOf(DATA_STORE_ZONE.mongodb),
            clients: clients.mongodb.map(clientArgs),
        },
        { parent: c.parent },
    );
    const postgresql = new PostgreSql(
        `${name}-postgresql`,
        {
            ...storeArgs,
            spec: spec.dataStores.postgresql,
            namespace: nsOf(DATA_STORE_ZONE.postgresql),
            clients: clients.postgresql.map((r) => ({
                ...clientArgs(r),
                database: "keycloak",
                user: "keycloak",
                envStyle: "keycloak" as const,
            })),
        },
        { parent: c.parent },
    );
    return { qdrant, mongodb, postgresql };
}

/**
 * Creates the MCP servers and the agents (each with its Keycloak client secret, its HS256 tokens and
 * its data-store env). Returns the agents' client secrets, for the realm.
 */
function createAgents(
    c: PlatformContext,
    stores: { qdrant: Qdrant; mongodb: MongoDb },
): { name: string; mcpServers: readonly string[]; secret: pulumi.Output<string> }[] {
    const { name, spec, nsOf, injected } = c;
    const names = spec.namespaces;
    const common = { namespaces: names };
    const servers = new Map(
        spec.mcpServers.map((m) => [
            m.name,
            {
                spec: m,
                component: new McpServer(
                    `${name}-mcp-${m.name}`,
                    {
                        ...common,
                        ...injected,
                        spec: m,
                        namespace: nsOf("mcp"),
                        logLevel: spec.logLevel,
                        keycloakHostname: spec.keycloak.hostname,
                    },
                    { parent: c.parent },
                ),
            },
        ]),
    );

    const clientSecrets: { name: string; mcpServers: readonly string[]; secret: pulumi.Output<string> }[] = [];
    for (const a of spec.agents) {
        const declared = a.mcpServers.map((n) => servers.get(n)!);
        const tokens: Record<string, pulumi.Output<string>> = {};
        for (const d of declared) {
            const key = d.component.hs256Key;
            if (key)
                tokens[d.spec.name] = pulumi.secret(
                    key.apply((k) => mintHs256Token(k, agentInstance(a.name), d.spec.name)),
                );
        }
        // Every agent has its client at Keycloak (at every level, so a level change only adds audiences);
        // it gets the credentials when it declares an RS256 server.
        const secret = pulumi.secret(
            new random.RandomPassword(
                `${name}-agent-${a.name}-client-secret`,
                { length: 48, special: false },
                { parent: c.parent },
            ).result,
        );
        clientSecrets.push({ name: a.name, mcpServers: a.mcpServers, secret });
        let oidc: McpCredentials["oidc"];
        if (declared.some((d) => d.spec.auth.alg === "RS256")) {
            oidc = { tokenUrl: keycloakTokenUrl(names), clientId: agentInstance(a.name), clientSecret: secret };
        }
        new Agent(
            `${name}-agent-${a.name}`,
            {
                ...common,
                ...injected,
                spec: a,
                namespace: nsOf("agents"),
                llm: spec.llm,
                mcpServers: declared.map((d) => d.spec),
                apiKey: a.apiKey.kind === "secretRef" ? a.apiKey.ref : LLM_SECRET,
                mcpCredentials: { tokens, ...(oidc ? { oidc } : {}) },
                sandboxPort: spec.sandbox.port,
                dataStoreEnv: [
                    ...stores.qdrant.clientEnv(agentInstance(a.name)),
                    ...stores.mongodb.clientEnv(agentInstance(a.name)),
                ],
            },
            { parent: c.parent },
        );
    }
    return clientSecrets;
}

/**
 * Creates the platform below `parent`, in the order Kubernetes needs: namespaces, network policies,
 * ExtAuth and the injector, the LLM key, the data stores, the sandbox, MCP servers and agents, the
 * gateway, Keycloak (after its database), monitoring.
 */
function createPlatform(
    name: string,
    args: PlatformArgs,
    parent: pulumi.Resource,
): { url: pulumi.Output<string>; loginUrl: pulumi.Output<string>; namespaceNames: Namespaces } {
    const spec = args.spec;
    const names = spec.namespaces;
    const zones = new PlatformNamespaces(
        `${name}-namespaces`,
        {
            names,
            podSecurity: spec.profile.podSecurity,
            quotas: spec.profile.quotas,
            acmeSolverZones: spec.gateway.tls.mode === "cert-manager" ? ACME_SOLVER_ZONES : [],
        },
        { parent },
    );
    const nsOf = (zone: keyof Namespaces) => zones.namespaces[zone].metadata.name;
    const common = { namespaces: names };
    const flows = args.flows ?? flowTable(spec);
    const nsOutputs = Object.fromEntries(
        (Object.keys(names) as (keyof Namespaces)[]).map((z) => [z, nsOf(z)]),
    ) as Record<keyof Namespaces, pulumi.Output<string>>;
    // Network isolation first: no workload runs a moment without its policies.
    const netpols = new NetworkPolicies(`${name}-network`, { spec, namespaces: nsOutputs, flows }, { parent });

    // Zero trust: ExtAuth, the sidecar template, and the injector that every injected workload waits for.
    new ExtAuth(
        `${name}-extauth`,
        { zeroTrust: spec.zeroTrust, namespace: nsOf("system"), allowed: extAuthzAllowed(spec, flows) },
        { parent },
    );
    const metrics = spec.monitoring.enabled;
    const bootstrap = envoyBootstrap(
        spec.zeroTrust,
        serviceHost(INSTANCES.extauth, names.system),
        spec.gateway.llmRouteTimeoutSeconds,
        { stats: metrics },
    );
    const injector = new EnvoyInjector(
        `${name}-envoy-injector`,
        {
            zeroTrust: spec.zeroTrust,
            namespace: nsOf("system"),
            namespaceName: names.system,
            sidecar: envoySidecarContainer(spec.zeroTrust, bootstrap),
            bootstrap,
        },
        { parent },
    );
    const ctx: PlatformContext = { name, parent, spec, nsOf, injected: { dependsOn: [injector, netpols.ready] } };

    if (spec.agents.some((a) => a.apiKey.kind === "config")) {
        if (!args.llmApiKey)
            throw new Error("agentstack:llmApiKey is required (set it with pulumi config set --secret)");
        new k8s.core.v1.Secret(
            `${name}-llm-api-key`,
            {
                metadata: { name: LLM_SECRET.name, namespace: nsOf("agents"), labels: { [PART_OF_LABEL]: PART_OF } },
                type: "Opaque",
                stringData: { [LLM_SECRET.key]: pulumi.secret(args.llmApiKey) },
            },
            { parent },
        );
    }

    const stores = createDataStores(ctx, netpols.ready);
    new Sandbox(
        `${name}-sandbox`,
        { ...common, spec: spec.sandbox, namespace: nsOf("sandbox"), dependsOn: [netpols.ready] },
        { parent },
    );
    const clientSecrets = createAgents(ctx, stores);

    const gatewayClientSecret = pulumi.secret(
        new random.RandomPassword(`${name}-gateway-client-secret`, { length: 48, special: false }, { parent }).result,
    );
    const gateway = new Gateway(
        `${name}-gateway`,
        {
            ...common,
            ...ctx.injected,
            spec: spec.gateway,
            namespace: nsOf("gateway"),
            agents: spec.agents.map((a) => ({ name: a.name, port: a.port })),
            logLevel: spec.logLevel,
            oidc: {
                issuer: keycloakIssuer(spec.keycloak.hostname),
                clientId: GATEWAY_CLIENT_ID,
                clientSecret: gatewayClientSecret,
            },
            metrics,
        },
        { parent },
    );

    const realmJson = pulumi
        .all([gatewayClientSecret, ...clientSecrets.map((c) => c.secret)])
        .apply(([gw, ...agentSecrets]) =>
            platformRealmJson(
                spec,
                gw!,
                clientSecrets.map((c, i) => ({
                    name: c.name,
                    mcpServers: c.mcpServers,
                    clientSecret: agentSecrets[i]!,
                })),
            ),
        );
    const keycloak = new Keycloak(
        `${name}-keycloak`,
        {
            spec: spec.keycloak,
            namespace: nsOf("identity"),
            realmJson: pulumi.secret(realmJson),
            internalUrl: keycloakUrl(names),
            databaseEnv: stores.postgresql.clientEnv(INSTANCES.keycloak),
            exposure: spec.gateway,
            dependsOn: [stores.postgresql, netpols.ready],
        },
        { parent },
    );

    // Observability: ServiceMonitors/PodMonitors and the PrometheusRule for the cluster's Prometheus Operator.
    new Monitoring(`${name}-monitoring`, { spec, namespaces: nsOutputs }, { parent });
    return { url: gateway.url, loginUrl: keycloak.url, namespaceNames: names };
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
        const out = createPlatform(name, args, this);
        this.url = out.url;
        this.loginUrl = out.loginUrl;
        this.namespaceNames = out.namespaceNames;
        this.registerOutputs({ url: this.url, loginUrl: this.loginUrl, namespaces: this.namespaceNames });
    }
}
