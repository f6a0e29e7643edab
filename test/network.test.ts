/**
 * Issue 7: NetworkPolicies generated from the flow table, proven with the connectivity evaluator.
 * At levels 2 and 3 the computed connectivity equals the flow table exactly; at level 1 everything is
 * open except the sandbox, which reaches nothing and is reached only by agents.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Endpoint, Flow, flowTable } from "../stacks/flows";
import { resolvePlatformSpec, PlatformSpec } from "../stacks/resolve";
import { defaultDeny, guardedExcept, networkPolicyObjects, peerOf } from "../components/networkPolicies";
import { platformAnalyzeOptions } from "../tools/harness/connectivityReport";
import {
    analyzeConnectivity,
    buildModel,
    connectionBetween,
    ConnectionSet,
    ConnEntry,
} from "../lib/connectivity/index";
import { validateObjects } from "../tools/k8s/validate";
import { baseConfig, engineConfig, K8sObject, ofKind, runStack, StackRun, workloadsOf } from "./helpers";

/** Two agents bound to different MCP servers, an API server CIDR and an MCP server with an external address. */
const cfg = (level: 1 | 2 | 3) =>
    baseConfig(level, {
        cluster: {
            schedulableNodes: 3,
            apiServerCidrs: ["172.20.0.1/32"],
            ingressNamespace: "ingress-nginx",
            ingressPodLabels: { "app.kubernetes.io/name": "ingress-nginx" },
        },
        mcpServers: [{ name: "search", egress: [{ cidr: "198.51.100.0/24", ports: [443] }] }, { name: "files" }],
    });

const runs: Record<number, StackRun & { spec: PlatformSpec }> = {};
beforeAll(async () => {
    for (const level of [1, 2, 3] as const)
        runs[level] = await runStack(`level${level}`, { config: engineConfig(cfg(level)) });
});

/** Workload names (as the evaluator prints them) that an endpoint stands for. */
function namesOf(e: Endpoint, spec: PlatformSpec, objs: K8sObject[]): string[] {
    switch (e.kind) {
        case "pods": {
            const ns = spec.namespaces[e.zone];
            // Deployments, StatefulSets and Jobs (the realm sync): every pod template the evaluator sees.
            return [...workloadsOf(objs), ...ofKind(objs, "Job")]
                .filter(
                    (w) =>
                        w["metadata"]["namespace"] === ns &&
                        Object.entries(e.selector).every(
                            ([k, v]) => w["spec"]["template"]["metadata"]["labels"][k] === v,
                        ),
                )
                .map((w) => `${ns}/${w["metadata"]["name"]}[${w["kind"]}]`);
        }
        case "ingress-controller":
            return ["outside"];
        case "kube-dns":
            return ["kube-dns"];
        case "apiserver":
            return ["kube-apiserver"];
        case "prometheus":
            return ["prometheus"];
        case "cidrs":
            return [e.name];
    }
}

/** The entries the flow table promises: union of ports per pair, no self loops. */
function expectedEntries(flows: Flow[], spec: PlatformSpec, objs: K8sObject[]): Map<string, ConnectionSet> {
    const out = new Map<string, ConnectionSet>();
    for (const f of flows) {
        const conn = ConnectionSet.parse(
            ["TCP", "UDP"]
                .map((proto) => {
                    const ports = f.ports.filter((p) => p.protocol === proto).map((p) => p.port);
                    return ports.length > 0 ? `${proto} ${ports.join(",")}` : "";
                })
                .filter(Boolean)
                .join(";"),
        );
        for (const src of namesOf(f.from, spec, objs)) {
            for (const dst of namesOf(f.to, spec, objs)) {
                if (src === dst) continue;
                const key = `${src} => ${dst}`;
                out.set(key, out.has(key) ? out.get(key)!.union(conn) : conn);
            }
        }
    }
    return out;
}

/** Reported entries with a platform workload on at least one side (peer-to-peer pairs, e.g. outside → kube-dns, are not the platform's). */
function actualEntries(entries: ConnEntry[]): Map<string, ConnectionSet> {
    const ours = (n: string) => n.startsWith("agentstack-");
    return new Map(
        entries
            .filter((e) => ours(e.src) || ours(e.dst))
            .map((e) => [`${e.src} => ${e.dst}`, ConnectionSet.parse(e.conn)]),
    );
}

describe.each([2, 3])("level %i", (level) => {
    it("has default-deny in every namespace the program creates", () => {
        const m = runs[level]!.manifests;
        const denies = ofKind(m, "NetworkPolicy").filter((p) => p["metadata"]["name"] === "default-deny");
        expect(denies.map((p) => p["metadata"]["namespace"]).sort()).toEqual(
            ofKind(m, "Namespace")
                .map((n) => n["metadata"]["name"])
                .sort(),
        );
        for (const d of denies) expect(d["spec"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("computes connectivity equal to the flow table — nothing extra, nothing missing", () => {
        const run = runs[level]!;
        const entries = analyzeConnectivity(run.manifests, platformAnalyzeOptions(run, { internet: false }));
        const expected = expectedEntries(flowTable(run.spec), run.spec, run.manifests);
        const actual = actualEntries(entries);
        const fmt = (m: Map<string, ConnectionSet>) =>
            [...m.entries()].map(([k, v]) => `${k} : ${v.toString()}`).sort();
        expect(fmt(actual)).toEqual(fmt(expected));
        expect(actual.size).toBeGreaterThan(25);
    });

    it("keeps agents to the MCP servers they declare, the sandbox sealed, Keycloak's management port closed", () => {
        const run = runs[level]!;
        const model = buildModel(run.manifests, platformAnalyzeOptions(run, { internet: true }));
        const c = (src: string, dst: string) => connectionBetween(model, src, dst).toString();
        const agents = "agentstack-agents/agent-alpha[Deployment]";
        const betaAgent = "agentstack-agents/agent-beta[Deployment]";
        const search = "agentstack-mcp/mcp-search[Deployment]";
        const files = "agentstack-mcp/mcp-files[Deployment]";
        const sandbox = "agentstack-sandbox/sandbox[Deployment]";
        const keycloak = "agentstack-identity/keycloak[Deployment]";
        expect(c(agents, search)).toBe("TCP 8000");
        expect(c(agents, files)).toBe("No Connections");
        expect(c(betaAgent, files)).toBe("TCP 8000");
        expect(c(betaAgent, search)).toBe("No Connections");
        for (const w of model.workloads.map((x) => x.name)) {
            if (w === sandbox) continue;
            expect(c(sandbox, w), `sandbox -> ${w}`).toBe("No Connections");
            const into = c(w, sandbox);
            expect(into, `${w} -> sandbox`).toBe(w.startsWith("agentstack-agents/") ? "TCP 8080" : "No Connections");
            // From outside its namespace, Keycloak answers on 8080 only (never the management port or JGroups).
            // The Prometheus pods (monitoring, issue 16) are the one exception: they reach the management port's /metrics only.
            if (w === "prometheus") expect(c(w, keycloak)).toBe("TCP 9000");
            else if (!w.startsWith("agentstack-identity/"))
                expect(["TCP 8080", "No Connections"], `${w} -> keycloak`).toContain(c(w, keycloak));
        }
        expect(c(sandbox, "internet")).toBe("No Connections");
        expect(c(agents, "internet")).toBe("TCP 443");
        expect(c("agentstack-mcp/mcp-files[Deployment]", "internet")).toBe("No Connections");
        expect(c("outside", keycloak)).toBe("TCP 8080");
        expect(c("outside", "agentstack-gateway/gateway[Deployment]")).toBe("TCP 8080");
        expect(c("outside", agents)).toBe("No Connections");
        expect(c("kube-apiserver", "agentstack-system/envoy-injector[Deployment]")).toBe("TCP 8443");
        expect(c("agentstack-gateway/gateway[Deployment]", "agentstack-system/extauth[Deployment]")).toBe("TCP 9191");
        expect(c(keycloak, "agentstack-system/extauth[Deployment]")).toBe("No Connections");
        // Data stores: only the declared clients, only on the store's ports.
        const qdrant = "agentstack-data/qdrant[StatefulSet]";
        const mongodb = "agentstack-data/mongodb[StatefulSet]";
        const postgresql = "agentstack-identity/postgresql[StatefulSet]";
        for (const w of model.workloads.map((x) => x.name)) {
            const isAgent = w.startsWith("agentstack-agents/agent-");
            // The Prometheus pods reach each store's metrics port only (Qdrant's HTTP port, the exporters'), never a client port.
            const scrape = (port: string) => (w === "prometheus" ? `TCP ${port}` : "No Connections");
            if (w !== qdrant) expect(c(w, qdrant), `${w} -> qdrant`).toBe(isAgent ? "TCP 6333,6334" : scrape("6333"));
            if (w !== mongodb) expect(c(w, mongodb), `${w} -> mongodb`).toBe(isAgent ? "TCP 27017" : scrape("9216"));
            if (w !== postgresql)
                expect(c(w, postgresql), `${w} -> postgresql`).toBe(w === keycloak ? "TCP 5432" : scrape("9187"));
        }
        expect(c("internet", postgresql)).toBe("No Connections");
    });

    it("passes the strict offline Kubernetes check", () => {
        expect(validateObjects(runs[level]!.manifests)).toEqual([]);
    });
});

describe("level 1", () => {
    it("creates only the sandbox's isolation: everything open but the sandbox", () => {
        const run = runs[1]!;
        expect(
            ofKind(run.manifests, "NetworkPolicy").map((p) => `${p["metadata"]["namespace"]}/${p["metadata"]["name"]}`),
        ).toEqual(["agentstack-sandbox/agents-to-sandbox-ingress", "agentstack-sandbox/default-deny"]);
        const model = buildModel(run.manifests, platformAnalyzeOptions(run, { internet: true }));
        const sandbox = "agentstack-sandbox/sandbox[Deployment]";
        const names = model.workloads.map((w) => w.name).filter((n) => n.startsWith("agentstack-"));
        for (const src of names) {
            for (const dst of names) {
                if (src === dst) continue;
                const conn = connectionBetween(model, src, dst).toString();
                if (src === sandbox) expect(conn, `${src} -> ${dst}`).toBe("No Connections");
                else if (dst === sandbox)
                    expect(conn, `${src} -> ${dst}`).toBe(
                        src.startsWith("agentstack-agents/") ? "TCP 8080" : "No Connections",
                    );
                else expect(conn, `${src} -> ${dst}`).toBe("All Connections");
            }
        }
        expect(connectionBetween(model, sandbox, "kube-dns").toString()).toBe("No Connections");
        expect(connectionBetween(model, sandbox, "internet").toString()).toBe("No Connections");
        expect(connectionBetween(model, "outside", sandbox).toString()).toBe("No Connections");
    });

    it("applies the whole flow table when the config asks", () => {
        const spec = resolvePlatformSpec(engineConfig(baseConfig(1, { network: { defaultDenyAtLevel1: true } })));
        const objs = networkPolicyObjects(spec);
        expect(objs.filter((p) => p.metadata.name === "default-deny")).toHaveLength(7);
    });
});

describe("policy generation (pure)", () => {
    const spec = resolvePlatformSpec(engineConfig(cfg(2)));

    it("keeps private ranges and the metadata address out of broad egress unless listed", () => {
        expect(guardedExcept("0.0.0.0/0", [])).toEqual([
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "169.254.169.254/32",
        ]);
        expect(guardedExcept("0.0.0.0/0", ["10.0.0.0/8"])).toEqual([
            "172.16.0.0/12",
            "192.168.0.0/16",
            "169.254.169.254/32",
        ]);
        expect(guardedExcept("10.0.0.0/8", ["10.0.0.0/8"])).toEqual([]);
        expect(guardedExcept("203.0.113.0/24", [])).toEqual([]);
        expect(guardedExcept("169.254.0.0/16", [])).toEqual(["169.254.169.254/32"]);
    });

    it("names clients by namespace and pod selector together", () => {
        expect(
            peerOf(
                { kind: "pods", zone: "agents", selector: { "app.kubernetes.io/name": "agent" }, name: "agent" },
                spec,
                [],
            ),
        ).toEqual([
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "agentstack-agents" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "agent" } },
            },
        ]);
        expect(peerOf({ kind: "apiserver" }, spec, [])).toEqual([{ ipBlock: { cidr: "172.20.0.1/32" } }]);
        expect(peerOf({ kind: "kube-dns" }, spec, [])).toEqual([
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
        ]);
        expect(defaultDeny("x").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("generates unique, valid objects", () => {
        const objs = networkPolicyObjects(spec).map((p) => ({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            ...p,
        }));
        expect(new Set(objs.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).size).toBe(objs.length);
        expect(validateObjects(objs as unknown as Record<string, unknown>[])).toEqual([]);
    });
});
