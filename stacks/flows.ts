/**
 * The network flow table of REQUIREMENTS.md, as data derived from the resolved spec: who may talk to
 * whom, on which ports. NetworkPolicies (components/networkPolicies.ts), the ExtAuth authorization
 * data and the connectivity tests all read it, so one change here moves all of them.
 */
import { INJECTED_ZONES, NAME_LABEL, SIDECAR_LABEL, selectorLabels } from "../lib/labels";
import { agentInstance, boundedName, DNS_LABEL_MAX, INSTANCES, mcpInstance } from "../lib/names";
import { configKey } from "./errors";
import { DATA_STORES, DATA_STORE_ZONE, DataStoreKind, QDRANT_PORTS, dataStoreNetwork } from "./dataStores";
import { Namespaces, PlatformSpec } from "./resolve";

/** A port of a flow. */
export interface FlowPort {
    readonly port: number;
    readonly protocol: "TCP" | "UDP";
}

/** One side of a flow. */
export type Endpoint =
    /** Pods of the platform: a zone's namespace and a pod selector. `service` names the Service when the flow is addressed by it. */
    | {
          readonly kind: "pods";
          readonly zone: keyof Namespaces;
          readonly selector: Readonly<Record<string, string>>;
          readonly name: string;
          readonly service?: string;
      }
    /** The ingress controller ("outside"): cluster.ingressNamespace + cluster.ingressPodLabels. */
    | { readonly kind: "ingress-controller" }
    /** The cluster DNS: cluster.dnsNamespace + cluster.dnsPodLabels. */
    | { readonly kind: "kube-dns" }
    /** The Kubernetes API server: cluster.apiServerCidrs, or any source when empty. */
    | { readonly kind: "apiserver" }
    /** The Prometheus pods that scrape the platform: monitoring.prometheus.namespace + podLabels. */
    | { readonly kind: "prometheus" }
    /** Addresses outside the cluster. `hosts` names them for the ExtAuth data where known. */
    | {
          readonly kind: "cidrs";
          readonly cidrs: readonly string[];
          readonly name: string;
          readonly hosts?: readonly string[];
      };

/** One allowed flow. */
export interface Flow {
    /**
     * Unique, DNS-label-shaped id of at most 63 characters (names the generated NetworkPolicies and is
     * their `agentstack.io/flow` label value). Ids derived from configured names go through `flowId`.
     */
    readonly id: string;
    readonly from: Endpoint;
    readonly to: Endpoint;
    readonly ports: readonly FlowPort[];
    /** Why the flow exists (REQUIREMENTS row). */
    readonly purpose: string;
    /** The config keys whose values the id is derived from (named when two flows would share an id). */
    readonly keys?: readonly string[];
}

/**
 * The id of a flow: the readable `<source>-to-<destination>` while it fits a label value (63
 * characters), else shortened with a stable hash of the whole (lib/names.ts), so a flow between two
 * long names still gives valid NetworkPolicy names and labels.
 */
export function flowId(readable: string): string {
    return boundedName(readable, DNS_LABEL_MAX);
}

/**
 * The LLM endpoint's TCP port: the URL's own, else its scheme's default (https 443, http 80). The
 * agents' egress flow to the endpoint's CIDRs opens exactly this port.
 */
export function llmEndpointPort(endpoint: string): number {
    const u = new URL(endpoint);
    if (u.port !== "") return Number(u.port);
    return u.protocol === "http:" ? 80 : 443;
}

/** Groups of flows that would share an id (two configured names that combine into the same one). */
export function flowIdCollisions(flows: readonly Flow[]): Flow[][] {
    const byId = new Map<string, Flow[]>();
    for (const f of flows) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
    return [...byId.values()].filter((g) => g.length > 1);
}

const tcp = (...ports: number[]): FlowPort[] => ports.map((port) => ({ port, protocol: "TCP" as const }));

/** Pod selector of a component instance. */
export function instancePods(zone: keyof Namespaces, component: string, instance: string): Endpoint {
    return { kind: "pods", zone, selector: selectorLabels(component, instance), name: instance, service: instance };
}

/** Pods of every instance of a component. */
export function componentPods(zone: keyof Namespaces, component: string): Endpoint {
    return { kind: "pods", zone, selector: { [NAME_LABEL]: component }, name: component };
}

/** Outbound proxy port of the Envoy sidecar (loopback only). */
export const ENVOY_OUTBOUND_PORT = 15001;
/** Health port of the Envoy sidecar (pod IP; serves only /ready). */
export const ENVOY_HEALTH_PORT = 15021;
/**
 * Metrics port of the Envoy sidecar (pod IP; its one route is exact `/stats/prometheus`, passed to the
 * admin interface on a Unix socket in the sidecar's own volume). Bound only with monitoring on, but
 * reserved always, so switching monitoring on never collides with an application's port.
 */
export const ENVOY_STATS_PORT = 15090;
/** Ports the sidecar binds in an injected pod's network namespace: no application container may use them. */
export const ENVOY_RESERVED_PORTS: readonly number[] = [ENVOY_OUTBOUND_PORT, ENVOY_HEALTH_PORT, ENVOY_STATS_PORT];
/** Metrics port of the gateway's own Envoy (same design as the sidecar's, in the gateway container). */
export const GATEWAY_STATS_PORT = 15091;
/** ExtAuth's (OPA's) diagnostic port: /health and /metrics. */
export const EXTAUTH_DIAGNOSTIC_PORT = 8282;
/** Keycloak's management port (health, metrics): reached only by the kubelet and, with monitoring on, the Prometheus pods. */
export const KEYCLOAK_MANAGEMENT_PORT = 9000;
/** Port of the PostgreSQL exporter sidecar (postgres_exporter's default --web.listen-address :9187). */
export const POSTGRESQL_EXPORTER_PORT = 9187;
/** Port of the MongoDB exporter sidecar (mongodb_exporter's default --web.listen-address :9216). */
export const MONGODB_EXPORTER_PORT = 9216;

/** Qdrant serves /metrics on its HTTP port (with the API key; the read-only one suffices). */
const QDRANT_METRICS_PORT = QDRANT_PORTS.http;

/** Port of the ExtAuth gRPC service (ext_authz). */
export const EXTAUTH_GRPC_PORT = 9191;
/** Container port of the injector's webhook server (the Service maps 443 to it). */
export const INJECTOR_WEBHOOK_PORT = 8443;
/** Keycloak's HTTP port (login, tokens, JWKS). Its management port 9000 is only in the monitoring flow. */
export const KEYCLOAK_HTTP_PORT = 8080;
/** Keycloak's JGroups ports (transport, failure detection). */
export const KEYCLOAK_JGROUPS_PORTS = [7800, 57800];
/** Name and instance of the Job that applies the realm to Keycloak (keycloak-config-cli). */
export const REALM_SYNC_INSTANCE = "keycloak-realm-sync";

/** Instance name (and Service) of the optional chat UI, in the gateway zone. */
export const CHAT_UI_INSTANCE = "gateway-chat-ui";
/** Pod label cert-manager puts on every ACME HTTP-01 solver pod (pkg/apis/acme/v1 SolverIdentificationLabelKey). */
export const ACME_SOLVER_LABEL = { "acme.cert-manager.io/http01-solver": "true" } as const;
/** Port the ACME HTTP-01 solver pod listens on (cert-manager's acmesolver --listen-port). */
export const ACME_SOLVER_PORT = 8089;
/** Zones where cert-manager solves HTTP-01 challenges: those of the gateway's and the login's Certificates. */
export const ACME_SOLVER_ZONES: readonly (keyof Namespaces)[] = ["gateway", "identity"];

/** The ACME HTTP-01 solver pods of a zone (created by cert-manager while a challenge is pending). */
export function acmeSolverPods(zone: keyof Namespaces): Endpoint {
    return { kind: "pods", zone, selector: { ...ACME_SOLVER_LABEL }, name: "acme-http01-solver" };
}

/** Zones whose pods carry the Envoy sidecar. */
const INJECTED = INJECTED_ZONES as readonly (keyof Namespaces)[];

/** A declared client of a data store: pods of one component instance. */
export interface DataStoreClientRef {
    readonly zone: keyof Namespaces;
    readonly component: string;
    readonly instance: string;
}

/** The declared clients of each data store: agents use Qdrant and MongoDB; Keycloak uses PostgreSQL. */
export function dataStoreClients(spec: PlatformSpec): Readonly<Record<DataStoreKind, readonly DataStoreClientRef[]>> {
    const agents = spec.agents.map((a) => ({
        zone: "agents" as const,
        component: "agent",
        instance: agentInstance(a.name),
    }));
    return {
        qdrant: agents,
        mongodb: agents,
        postgresql: [{ zone: "identity", component: "keycloak", instance: INSTANCES.keycloak }],
    };
}

/** The flows of the data stores: declared clients to the store (or its external address), peers among its pods. */
function dataStoreFlowsOf(spec: PlatformSpec): Flow[] {
    const flows: Flow[] = [];
    const clients = dataStoreClients(spec);
    const agentKeys = new Map(spec.agents.map((a, i) => [agentInstance(a.name), [configKey(["agents", i, "name"])]]));
    for (const store of DATA_STORES) {
        const s = spec.dataStores[store];
        const net = dataStoreNetwork(store, s);
        const server = instancePods(DATA_STORE_ZONE[store], store, INSTANCES[store]);
        for (const c of clients[store]) {
            const client = instancePods(c.zone, c.component, c.instance);
            const keys = agentKeys.get(c.instance) ?? [];
            if (net.external) {
                if (net.external.cidrs.length === 0) continue;
                flows.push({
                    id: flowId(`${c.instance}-to-${store}-external`),
                    from: client,
                    to: {
                        kind: "cidrs",
                        cidrs: net.external.cidrs,
                        name: `${store}-external`,
                        hosts: [net.external.host],
                    },
                    ports: tcp(net.external.port),
                    purpose: `${store}'s declared clients → its external address`,
                    keys,
                });
            } else {
                flows.push({
                    id: flowId(`${c.instance}-to-${store}`),
                    from: client,
                    to: server,
                    ports: tcp(...net.clientPorts),
                    purpose: `${store}'s declared clients → ${store}`,
                    keys,
                });
            }
        }
        if (net.peerPorts.length > 0) {
            flows.push({
                id: `${store}-peers`,
                from: server,
                to: server,
                ports: tcp(...net.peerPorts),
                purpose: `${store} ↔ ${store} (replication / cluster)`,
            });
        }
    }
    return flows;
}

/** Every flow of a platform at levels 2 and 3 (level 1 generates only the sandbox's own isolation). */
export function flowTable(spec: PlatformSpec): Flow[] {
    const flows: Flow[] = [];
    const add = (f: Flow) => flows.push(f);
    const gateway = instancePods("gateway", "gateway", INSTANCES.gateway);
    const keycloak = instancePods("identity", "keycloak", INSTANCES.keycloak);
    const sandbox = instancePods("sandbox", "sandbox", INSTANCES.sandbox);
    const extauth = instancePods("system", "extauth", INSTANCES.extauth);
    const injector = instancePods("system", "envoy-injector", INSTANCES.envoyInjector);
    // A Job's pods: no Service addresses them.
    const realmSync: Endpoint = {
        kind: "pods",
        zone: "identity",
        selector: selectorLabels(REALM_SYNC_INSTANCE, REALM_SYNC_INSTANCE),
        name: REALM_SYNC_INSTANCE,
    };

    add({
        id: "outside-to-gateway",
        from: { kind: "ingress-controller" },
        to: gateway,
        ports: tcp(spec.gateway.port),
        purpose: "outside → gateway",
    });
    add({
        id: "outside-to-keycloak",
        from: { kind: "ingress-controller" },
        to: keycloak,
        ports: tcp(KEYCLOAK_HTTP_PORT),
        purpose: "outside → keycloak (browser login)",
    });
    add({
        id: "gateway-to-keycloak",
        from: gateway,
        to: keycloak,
        ports: tcp(KEYCLOAK_HTTP_PORT),
        purpose: "gateway → keycloak",
    });
    if (spec.gateway.chatUi) {
        add({
            id: "gateway-to-chat-ui",
            from: gateway,
            to: instancePods("gateway", "gateway", CHAT_UI_INSTANCE),
            ports: tcp(spec.gateway.chatUi.port),
            purpose: "gateway → its chat UI",
        });
    }
    if (spec.gateway.tls.mode === "cert-manager") {
        // ACME HTTP-01: the ingress controller forwards the CA's challenge request to cert-manager's solver pod.
        for (const zone of ACME_SOLVER_ZONES) {
            add({
                id: `outside-to-acme-solver-${zone}`,
                from: { kind: "ingress-controller" },
                to: acmeSolverPods(zone),
                ports: tcp(ACME_SOLVER_PORT),
                purpose: "outside → cert-manager's HTTP-01 solver (certificate issuance)",
            });
        }
    }
    add({
        id: `${REALM_SYNC_INSTANCE}-to-keycloak`,
        from: realmSync,
        to: keycloak,
        ports: tcp(KEYCLOAK_HTTP_PORT),
        purpose: "realm sync Job → keycloak (admin API)",
    });

    spec.agents.forEach((a, i) => {
        const agent = instancePods("agents", "agent", agentInstance(a.name));
        const keys = [configKey(["agents", i, "name"])];
        add({
            id: flowId(`gateway-to-${agentInstance(a.name)}`),
            from: gateway,
            to: agent,
            ports: tcp(a.port),
            purpose: "gateway → agent",
            keys,
        });
        for (const m of a.mcpServers) {
            const j = spec.mcpServers.findIndex((s) => s.name === m);
            const server = spec.mcpServers[j]!;
            add({
                id: flowId(`${agentInstance(a.name)}-to-${mcpInstance(m)}`),
                from: agent,
                to: instancePods("mcp", "mcp-server", mcpInstance(m)),
                ports: tcp(server.port),
                purpose: "agent → each MCP server it declares",
                keys: [...keys, configKey(["mcpServers", j, "name"])],
            });
        }
        add({
            id: flowId(`${agentInstance(a.name)}-to-sandbox`),
            from: agent,
            to: sandbox,
            ports: tcp(spec.sandbox.port),
            purpose: "agent → sandbox",
            keys,
        });
        add({
            id: flowId(`${agentInstance(a.name)}-to-keycloak`),
            from: agent,
            to: keycloak,
            ports: tcp(KEYCLOAK_HTTP_PORT),
            purpose: "agent → keycloak",
            keys,
        });
        if (spec.llm.egressCidrs.length > 0) {
            const port = llmEndpointPort(spec.llm.endpoint);
            add({
                id: flowId(`${agentInstance(a.name)}-to-llm`),
                from: agent,
                to: {
                    kind: "cidrs",
                    cidrs: spec.llm.egressCidrs,
                    name: "llm-endpoint",
                    hosts: [new URL(spec.llm.endpoint).hostname],
                },
                ports: tcp(port),
                purpose: `agent → the LLM endpoint (${port}, the port of agentstack:llm.endpoint)`,
                keys,
            });
        }
    });

    spec.mcpServers.forEach((m, j) => {
        const server = instancePods("mcp", "mcp-server", mcpInstance(m.name));
        const keys = [configKey(["mcpServers", j, "name"])];
        add({
            id: flowId(`${mcpInstance(m.name)}-to-keycloak`),
            from: server,
            to: keycloak,
            ports: tcp(KEYCLOAK_HTTP_PORT),
            purpose: "mcp-server → keycloak (JWKS)",
            keys,
        });
        m.egress.forEach((e, i) =>
            add({
                id: flowId(`${mcpInstance(m.name)}-to-external-${i}`),
                from: server,
                to: { kind: "cidrs", cidrs: [e.cidr], name: `${mcpInstance(m.name)}-external-${i}`, hosts: e.hosts },
                ports: tcp(...e.ports),
                purpose: "mcp-server → the external addresses its config lists",
                keys,
            }),
        );
    });

    flows.push(...dataStoreFlowsOf(spec));

    if (spec.keycloak.clustering) {
        add({
            id: "keycloak-peers",
            from: keycloak,
            to: keycloak,
            ports: tcp(...KEYCLOAK_JGROUPS_PORTS),
            purpose: "keycloak ↔ keycloak (JGroups)",
        });
    }

    for (const zone of INJECTED) {
        add({
            id: `${zone}-sidecars-to-extauth`,
            from: { kind: "pods", zone, selector: SIDECAR_LABEL, name: `${zone}-sidecars` },
            to: extauth,
            ports: tcp(EXTAUTH_GRPC_PORT),
            purpose: "every pod with an Envoy sidecar → extauth",
        });
    }
    add({
        id: "apiserver-to-envoy-injector",
        from: { kind: "apiserver" },
        to: injector,
        ports: tcp(INJECTOR_WEBHOOK_PORT),
        purpose: "Kubernetes API server → envoy-injector (webhook)",
    });

    flows.push(...monitoringFlows(spec));

    for (const zone of Object.keys(spec.namespaces) as (keyof Namespaces)[]) {
        if (zone === "sandbox") continue; // untrusted code: no egress at all, DNS included
        add({
            id: `${zone}-to-kube-dns`,
            from: { kind: "pods", zone, selector: {}, name: `${zone}-pods` },
            to: { kind: "kube-dns" },
            ports: [
                { port: 53, protocol: "UDP" },
                { port: 53, protocol: "TCP" },
            ],
            purpose: "every pod → kube-dns",
        });
    }
    return flows;
}

/**
 * The scrape flows (monitoring on): the Prometheus pods reach each component's metrics port and
 * nothing else — never an application port, never the sandbox. One flow per metrics endpoint.
 */
export function monitoringFlows(spec: PlatformSpec): Flow[] {
    if (!spec.monitoring.enabled) return [];
    const prometheus: Endpoint = { kind: "prometheus" };
    const purpose = (what: string) => `Prometheus → ${what} (metrics)`;
    const flows: Flow[] = [
        {
            id: "prometheus-to-envoy-injector",
            from: prometheus,
            to: instancePods("system", "envoy-injector", INSTANCES.envoyInjector),
            ports: tcp(INJECTOR_WEBHOOK_PORT),
            purpose: purpose("envoy-injector /metrics (HTTPS)"),
        },
        {
            id: "prometheus-to-extauth",
            from: prometheus,
            to: instancePods("system", "extauth", INSTANCES.extauth),
            ports: tcp(EXTAUTH_DIAGNOSTIC_PORT),
            purpose: purpose("extauth diagnostic port"),
        },
        {
            id: "prometheus-to-keycloak",
            from: prometheus,
            to: instancePods("identity", "keycloak", INSTANCES.keycloak),
            ports: tcp(KEYCLOAK_MANAGEMENT_PORT),
            purpose: purpose("keycloak management port"),
        },
        {
            id: "prometheus-to-gateway",
            from: prometheus,
            to: instancePods("gateway", "gateway", INSTANCES.gateway),
            ports: tcp(GATEWAY_STATS_PORT),
            purpose: purpose("the gateway Envoy's stats listener"),
        },
        ...INJECTED.map((zone): Flow => ({
            id: `prometheus-to-${zone}-sidecars`,
            from: prometheus,
            to: { kind: "pods", zone, selector: SIDECAR_LABEL, name: `${zone}-sidecars` },
            ports: tcp(ENVOY_STATS_PORT),
            purpose: purpose("each Envoy sidecar's stats listener"),
        })),
    ];
    const inCluster = (store: DataStoreKind) => spec.dataStores[store].mode === "in-cluster";
    const store = (s: DataStoreKind) => instancePods(DATA_STORE_ZONE[s], s, INSTANCES[s]);
    if (inCluster("qdrant"))
        flows.push({
            id: "prometheus-to-qdrant",
            from: prometheus,
            to: store("qdrant"),
            ports: tcp(QDRANT_METRICS_PORT),
            purpose: purpose("qdrant /metrics"),
        });
    if (inCluster("mongodb"))
        flows.push({
            id: "prometheus-to-mongodb",
            from: prometheus,
            to: store("mongodb"),
            ports: tcp(MONGODB_EXPORTER_PORT),
            purpose: purpose("the mongodb exporter sidecar"),
        });
    if (inCluster("postgresql"))
        flows.push({
            id: "prometheus-to-postgresql",
            from: prometheus,
            to: store("postgresql"),
            ports: tcp(POSTGRESQL_EXPORTER_PORT),
            purpose: purpose("the postgresql exporter sidecar"),
        });
    return flows;
}

/** The sandbox's own isolation, at every level: ingress only from agents, no egress at all. */
export function sandboxFlows(spec: PlatformSpec): Flow[] {
    return [
        {
            id: "agents-to-sandbox",
            from: componentPods("agents", "agent"),
            to: instancePods("sandbox", "sandbox", INSTANCES.sandbox),
            ports: tcp(spec.sandbox.port),
            purpose: "agent → sandbox (the sandbox's own isolation, every level)",
        },
    ];
}

/** The identity ExtAuth decides on: `<namespace>/<app.kubernetes.io/instance>` of the pod (the injector fills it in). */
export function extAuthzSource(namespace: string, instance: string): string {
    return `${namespace}/${instance}`;
}

/**
 * ExtAuth's authorization data, derived from the flow table: for each workload behind an Envoy sidecar
 * (by its ExtAuth source), the exact authorities (`host:port`, lower case) it may reach through the
 * proxy — the in-cluster Service names of its flows' destinations on the flows' ports, and the named
 * hosts of its external destinations. A port-80 destination is also listed without its port, the form
 * an HTTP client sends for its scheme's default port. Nothing else is allowed.
 */
export function extAuthzAllowed(spec: PlatformSpec, flows: readonly Flow[]): Record<string, string[]> {
    const out: Record<string, Set<string>> = {};
    for (const f of flows) {
        if (f.from.kind !== "pods" || !INJECTED.includes(f.from.zone) || !f.from.service) continue;
        const source = extAuthzSource(spec.namespaces[f.from.zone], f.from.service);
        const allowed = out[source] ?? (out[source] = new Set());
        let hosts: readonly string[] = [];
        if (f.to.kind === "pods" && f.to.service) {
            const ns = spec.namespaces[f.to.zone];
            hosts = [`${f.to.service}.${ns}.svc.cluster.local`, `${f.to.service}.${ns}.svc`, `${f.to.service}.${ns}`];
        } else if (f.to.kind === "cidrs") {
            hosts = f.to.hosts ?? [];
        }
        for (const h of hosts) {
            for (const p of f.ports) {
                if (p.protocol !== "TCP") continue;
                allowed.add(`${h.toLowerCase()}:${p.port}`);
                if (p.port === 80) allowed.add(h.toLowerCase());
            }
        }
    }
    return Object.fromEntries(
        Object.keys(out)
            .sort()
            .map((k) => [k, [...out[k]!].sort()]),
    );
}
