/**
 * Issue 16: observability per level. The real program, rendered offline at each level: the
 * ServiceMonitors, PodMonitors and the PrometheusRule pass the prometheus-operator schemas; every
 * alert parses with the Prometheus project's PromQL parser and names only metrics whose exporter
 * docs/observability.md cites; the Prometheus pods reach exactly the metrics ports; the exporters
 * are hardened; bad monitoring config is refused by key; the policy pack requires it at level 3.
 */
import * as fs from "fs";
import * as path from "path";
import { parser } from "@prometheus-io/lezer-promql";
import { beforeAll, describe, expect, it } from "vitest";
import { INJECTOR_ALERTS, METRIC_SOURCES, alertRules, monitoringObjects } from "../components/monitoring";
import { EXPORTER_CONTAINER, MONGODB_EXPORTER_IMAGE, POSTGRESQL_EXPORTER_IMAGE } from "../components/exporters";
import { INJECTOR_UNAVAILABLE_ALERT } from "../policies/catalog";
import { ENVOY_STATS_PORT, Flow, GATEWAY_STATS_PORT, flowTable, monitoringFlows } from "../stacks/flows";
import { PlatformSpec, resolvePlatformSpec } from "../stacks/resolve";
import { analyzeConnectivity } from "../lib/connectivity/index";
import { platformAnalyzeOptions } from "../tools/harness/connectivityReport";
import { validateObjects } from "../tools/k8s/validate";
import { evaluateManifestsDetailed } from "../tools/policy/run";
import {
    baseConfig,
    containersOf,
    engineConfig,
    expectHardened,
    K8sObject,
    ofKind,
    runStack,
    StackRun,
    workloadsOf,
    rejectConfig as reject,
} from "./helpers";

const ROOT = path.join(__dirname, "..");
const DOC = fs.readFileSync(path.join(ROOT, "docs", "observability.md"), "utf8");
const MONITORING_KINDS = ["ServiceMonitor", "PodMonitor", "PrometheusRule"];
const cfg = (level: 1 | 2 | 3, extra: Record<string, unknown> = {}) =>
    baseConfig(level, { cluster: { schedulableNodes: 3, apiServerCidrs: ["172.20.0.1/32"] }, ...extra });

const runs: Record<string, StackRun & { spec: PlatformSpec }> = {};
beforeAll(async () => {
    for (const level of [1, 2, 3] as const)
        runs[`l${level}`] = await runStack(`level${level}`, { config: engineConfig(cfg(level)) });
    // Level 1 with monitoring switched on (severities follow the level, the sandbox stays isolated).
    runs["l1-on"] = await runStack("level1-monitoring", {
        config: engineConfig(cfg(1, { monitoring: { enabled: true } })),
    });
    // Level 2 without: the policy pack flags it (advisory at 2), prod requires it.
    runs["l2-off"] = await runStack("level2-no-monitoring", {
        config: engineConfig(cfg(2, { monitoring: { enabled: false } })),
    });
});

const monitoringOf = (m: K8sObject[]) => m.filter((o) => MONITORING_KINDS.includes(o["kind"]));

/** The metric names a PromQL expression selects (vector selectors' identifiers); throws on a parse error. */
function metricNames(expr: string): string[] {
    const tree = parser.parse(expr);
    const names: string[] = [];
    let error: string | undefined;
    tree.iterate({
        enter(n) {
            if (n.type.isError)
                error ??= `parse error at ${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`;
            if (n.type.name === "VectorSelector") {
                const id = n.node.getChild("Identifier");
                if (id) names.push(expr.slice(id.from, id.to));
            }
        },
    });
    if (error) throw new Error(error);
    return names;
}

describe("level defaults", () => {
    it("level 1 has no monitor, no rule, no exporter, no stats listener; levels 2 and 3 have them", () => {
        const l1 = runs["l1"]!.manifests;
        expect(monitoringOf(l1)).toEqual([]);
        expect(containersOf(l1).filter((c) => c.container["name"] === EXPORTER_CONTAINER)).toEqual([]);
        expect(JSON.stringify(l1)).not.toContain("/stats/prometheus");
        for (const level of ["l2", "l3"]) {
            const m = runs[level]!.manifests;
            expect(
                ofKind(m, "ServiceMonitor").map((o) => `${o["metadata"]["namespace"]}/${o["metadata"]["name"]}`),
            ).toEqual(["agentstack-system/envoy-injector"]);
            expect(
                ofKind(m, "PodMonitor")
                    .map((o) => `${o["metadata"]["namespace"]}/${o["metadata"]["name"]}`)
                    .sort(),
            ).toEqual([
                "agentstack-agents/envoy-sidecars",
                "agentstack-data/mongodb",
                "agentstack-data/qdrant",
                "agentstack-gateway/envoy-sidecars",
                "agentstack-gateway/gateway",
                "agentstack-identity/keycloak",
                "agentstack-identity/postgresql",
                "agentstack-mcp/envoy-sidecars",
                "agentstack-system/extauth",
            ]);
            expect(ofKind(m, "PrometheusRule").map((o) => o["metadata"]["name"])).toEqual(["agentstack"]);
            // kube-prometheus-stack selects by its release label.
            for (const o of monitoringOf(m)) expect(o["metadata"]["labels"]["release"]).toBe("kube-prometheus-stack");
        }
    });

    it("states the retention it needs of the stores, per level, and takes the configured one", () => {
        expect([1, 2, 3].map((l) => runs[`l${l}`]!.spec.monitoring.retention)).toEqual([
            { metricsDays: 7, logsDays: 7 },
            { metricsDays: 30, logsDays: 90 },
            { metricsDays: 90, logsDays: 365 },
        ]);
        const spec = resolvePlatformSpec(engineConfig(cfg(3, { monitoring: { retention: { metricsDays: 400 } } })));
        expect(spec.monitoring.retention).toEqual({ metricsDays: 400, logsDays: 365 });
    });
});

describe("the monitoring objects", () => {
    it("pass the strict offline validation (prometheus-operator schemas) at every level", () => {
        for (const key of ["l1-on", "l2", "l3"]) {
            const objs = monitoringOf(runs[key]!.manifests);
            expect(objs.length).toBeGreaterThan(10);
            expect(validateObjects(objs), key).toEqual([]);
        }
    });

    it("the validator does check them: a bad interval and a missing endpoint list are refused", () => {
        const pm = structuredClone(ofKind(runs["l3"]!.manifests, "PodMonitor")[0]!);
        pm["spec"]["podMetricsEndpoints"][0]["interval"] = "thirty seconds";
        expect(
            validateObjects([pm])
                .map((i) => i.message)
                .join("\n"),
        ).toMatch(/must match pattern/);
        const rule = structuredClone(ofKind(runs["l3"]!.manifests, "PrometheusRule")[0]!);
        delete rule["spec"]["groups"][0]["name"];
        expect(validateObjects([rule]).length).toBeGreaterThan(0);
    });

    it("scrape the injector over HTTPS, verified against its own CA and Service name", () => {
        const sm = ofKind(runs["l3"]!.manifests, "ServiceMonitor")[0]!;
        expect(sm["spec"]["endpoints"]).toEqual([
            {
                port: "https",
                scheme: "https",
                path: "/metrics",
                interval: "30s",
                tlsConfig: {
                    ca: { secret: { name: "envoy-injector-tls", key: "ca.crt" } },
                    serverName: "envoy-injector.agentstack-system.svc",
                },
            },
        ]);
        const svc = runs["l3"]!.manifests.find(
            (o) => o["kind"] === "Service" && o["metadata"]["name"] === "envoy-injector",
        )!;
        expect(svc["spec"]["ports"].map((p: K8sObject) => p["name"])).toEqual(["https"]);
    });

    it("give Qdrant its read-only API key as a Bearer token from the Secret, never a value", () => {
        const pm = ofKind(runs["l3"]!.manifests, "PodMonitor").find((o) => o["metadata"]["name"] === "qdrant")!;
        expect(pm["spec"]["podMetricsEndpoints"][0]["authorization"]).toEqual({
            type: "Bearer",
            credentials: { name: "qdrant-api-keys", key: "read-only-api-key" },
        });
    });

    it("scrape every metrics port a container declares, and the Services carry none of them", () => {
        const m = runs["l3"]!.manifests;
        const ports = new Map<string, Set<string>>();
        for (const { owner, container } of containersOf(m)) {
            for (const p of container["ports"] ?? [])
                ports.set(
                    `${owner["metadata"]["namespace"]}/${p["name"]}`,
                    new Set([
                        ...(ports.get(`${owner["metadata"]["namespace"]}/${p["name"]}`) ?? []),
                        String(p["containerPort"]),
                    ]),
                );
        }
        // The sidecar is added at admission: its ports are those of the injector's sidecar template.
        const template = JSON.parse(
            m.find((o) => o["kind"] === "ConfigMap" && o["metadata"]["name"] === "envoy-sidecar-template")!["data"][
                "sidecar.yaml"
            ],
        );
        for (const ns of ["agentstack-gateway", "agentstack-agents", "agentstack-mcp"]) {
            for (const p of template["ports"]) ports.set(`${ns}/${p["name"]}`, new Set([String(p["containerPort"])]));
        }
        expect(template["ports"].map((p: K8sObject) => [p["name"], p["containerPort"]])).toEqual([
            ["envoy-health", 15021],
            ["envoy-stats", ENVOY_STATS_PORT],
        ]);
        for (const pm of ofKind(m, "PodMonitor")) {
            const port = pm["spec"]["podMetricsEndpoints"][0]["port"];
            expect(ports.has(`${pm["metadata"]["namespace"]}/${port}`), `${pm["metadata"]["name"]} port ${port}`).toBe(
                true,
            );
        }
        for (const svc of ofKind(m, "Service")) {
            for (const p of svc["spec"]["ports"])
                expect([ENVOY_STATS_PORT, GATEWAY_STATS_PORT, 9000, 8282, 9187, 9216]).not.toContain(p["port"]);
        }
    });
});

describe("the alerts", () => {
    const rulesOf = (key: string) =>
        ofKind(runs[key]!.manifests, "PrometheusRule")[0]!["spec"]["groups"].flatMap(
            (g: K8sObject) => g["rules"],
        ) as K8sObject[];

    it("every expression parses with the Prometheus PromQL parser and names only metrics of METRIC_SOURCES", () => {
        const used = new Set<string>();
        // Plus a spec whose gateway and webhook certificates come from cert-manager (the cert-manager alert).
        const certManager = resolvePlatformSpec(
            engineConfig(
                cfg(3, {
                    gateway: {
                        hostname: "a.example.com",
                        gatewayRef: { name: "edge", namespace: "gateway-system" },
                        tls: { mode: "cert-manager", issuer: { name: "le" } },
                    },
                    zeroTrust: { webhookTls: { provider: "cert-manager" } },
                }),
            ),
        );
        const certRules = alertRules(certManager).map((r) => ({ alert: r.alert, expr: r.expr }));
        expect(certRules.find((r) => r.alert === "CertificateExpiringSoon")!.expr).toContain(
            'namespace=~"agentstack-gateway|agentstack-identity|agentstack-system"',
        );
        for (const rules of [...["l1-on", "l2", "l3"].map(rulesOf), certRules]) {
            for (const r of rules) {
                const names = metricNames(r["expr"]);
                expect(names.length, r["alert"]).toBeGreaterThan(0);
                for (const n of names) {
                    expect(Object.keys(METRIC_SOURCES), `${r["alert"]} names ${n}`).toContain(n);
                    used.add(n);
                }
            }
        }
        // Every listed metric is used by some alert: no dead entries.
        expect(Object.keys(METRIC_SOURCES).filter((n) => !used.has(n))).toEqual([]);
    });

    it("the checker can fail: a broken expression and an invented metric are caught", () => {
        expect(() => metricNames("sum(rate(agentstack_injector_requests_total[5m]) > ")).toThrow(/parse error/);
        expect(Object.keys(METRIC_SOURCES)).not.toContain(metricNames("kubelet_volumestats_available_bytes / 2")[0]);
    });

    it("every metric cites its source, and every alert has a runbook section, in docs/observability.md", () => {
        for (const n of Object.keys(METRIC_SOURCES)) expect(DOC, n).toContain(`\`${n}\``);
        const all = new Set([
            ...["l1-on", "l2", "l3"].flatMap((k) => rulesOf(k).map((r) => r["alert"] as string)),
            "CertificateExpiringSoon",
            "EnvoyInjectorFailingOpen",
        ]);
        for (const a of all) expect(DOC, a).toMatch(new RegExp(`^### ${a}$`, "m"));
        for (const r of rulesOf("l3")) {
            expect(r["annotations"]["runbook"]).toBe(`docs/observability.md#${String(r["alert"]).toLowerCase()}`);
            expect(r["annotations"]["summary"].length).toBeGreaterThan(10);
            expect(["warning", "critical"]).toContain(r["labels"]["severity"]);
        }
    });

    it("the injector alerts are critical where failurePolicy is Fail (levels 2, 3), warnings at level 1", () => {
        const sev = (key: string) =>
            Object.fromEntries(
                rulesOf(key)
                    .filter((r) => (INJECTOR_ALERTS as readonly string[]).includes(r["alert"]))
                    .map((r) => [r["alert"], r["labels"]["severity"]]),
            );
        expect(sev("l2")).toEqual({ EnvoyInjectorUnavailable: "critical", EnvoyInjectorAdmissionFailures: "critical" });
        expect(sev("l3")).toEqual({ EnvoyInjectorUnavailable: "critical", EnvoyInjectorAdmissionFailures: "critical" });
        expect(sev("l1-on")).toEqual({
            EnvoyInjectorUnavailable: "warning",
            EnvoyInjectorAdmissionFailures: "warning",
        });
        // Ignore at level 1: the fail-open alert says pods start without their sidecar.
        expect(rulesOf("l1-on").map((r) => r["alert"])).toContain("EnvoyInjectorFailingOpen");
        expect(rulesOf("l3").map((r) => r["alert"])).not.toContain("EnvoyInjectorFailingOpen");
        const unavailable = rulesOf("l3").find((r) => r["alert"] === "EnvoyInjectorUnavailable")!;
        expect(unavailable["expr"]).toBe(
            'sum(kube_deployment_status_replicas_available{namespace="agentstack-system",deployment="envoy-injector"}) < 1',
        );
        expect(INJECTOR_ALERTS[0]).toBe(INJECTOR_UNAVAILABLE_ALERT);
    });

    it("extra alert labels are added; severity can't be overridden; the alert list follows the config", () => {
        const spec = resolvePlatformSpec(
            engineConfig(
                cfg(3, {
                    monitoring: { alertLabels: { team: "platform" } },
                    gateway: {
                        hostname: "a.example.com",
                        gatewayRef: { name: "edge", namespace: "gateway-system" },
                        tls: { mode: "cert-manager", issuer: { name: "le" } },
                    },
                    mongodb: {
                        mode: "external",
                        host: "mongo.example.com",
                        egressCidrs: ["198.51.100.7/32"],
                        credentialsSecretRef: { name: "mongo" },
                    },
                }),
            ),
        );
        const rule = monitoringObjects(spec).find((o) => o.kind === "PrometheusRule")!;
        const rules = (rule.spec as { groups: { rules: K8sObject[] }[] }).groups[0]!.rules;
        for (const r of rules) expect(r["labels"]["team"]).toBe("platform");
        const names = alertRules(spec).map((r) => r.alert);
        expect(names).toContain("CertificateExpiringSoon");
        expect(names.filter((n) => n.startsWith("MongoDB"))).toEqual([]);
        expect(monitoringObjects(spec).filter((o) => o.metadata.name === "mongodb")).toEqual([]);
        const cert = alertRules(spec).find((r) => r.alert === "CertificateExpiringSoon")!;
        expect(cert.expr).toContain('namespace=~"agentstack-gateway|agentstack-identity"');
    });
});

describe("the exporters", () => {
    it("run beside PostgreSQL and MongoDB, pinned, hardened, small, credentials by secretKeyRef only", () => {
        const m = runs["l3"]!.manifests;
        const exporters = containersOf(m).filter((c) => c.container["name"] === EXPORTER_CONTAINER);
        expect(exporters.map((e) => `${e.owner["metadata"]["name"]}:${e.container["image"]}`).sort()).toEqual([
            `mongodb:${MONGODB_EXPORTER_IMAGE}`,
            `postgresql:${POSTGRESQL_EXPORTER_IMAGE}`,
        ]);
        for (const e of exporters) {
            expectHardened(
                e.container,
                e.owner["spec"]["template"]["spec"],
                `${e.owner["metadata"]["name"]}/${EXPORTER_CONTAINER}`,
                { probes: true },
            );
            expect(e.container["resources"]).toEqual({
                requests: { cpu: "10m", memory: "32Mi" },
                limits: { cpu: "100m", memory: "64Mi" },
            });
            for (const env of e.container["env"]) {
                if (/USER|PASS/.test(env["name"])) expect(env["valueFrom"]["secretKeyRef"], env["name"]).toBeDefined();
                else expect(env["value"]).not.toMatch(/@|password/i);
            }
            expect(JSON.stringify(e.container["args"])).not.toMatch(/@|password/i);
        }
        const pg = exporters.find((e) => e.owner["metadata"]["name"] === "postgresql")!.container;
        expect(pg["env"].map((x: K8sObject) => x["name"])).toEqual([
            "DATA_SOURCE_URI",
            "DATA_SOURCE_USER",
            "DATA_SOURCE_PASS",
        ]);
        expect(pg["securityContext"]["runAsUser"]).toBe(65534);
    });
});

describe("the scrape flows", () => {
    /** What the Prometheus pods may reach, per destination workload, as the evaluator computes it. */
    const reached = (key: string) => {
        const run = runs[key]!;
        const entries = analyzeConnectivity(run.manifests, platformAnalyzeOptions(run, { internet: false }));
        // Its egress is its own cluster's business (not the platform's): only the platform's pods count here.
        return new Map(
            entries
                .filter((e) => e.src === "prometheus" && e.dst.startsWith("agentstack-"))
                .map((e) => [e.dst, e.conn]),
        );
    };

    it.each(["l2", "l3"])("at %s the Prometheus pods reach exactly the metrics ports, nothing else", (key) => {
        const r = reached(key);
        expect(Object.fromEntries([...r].sort(([a], [b]) => a.localeCompare(b)))).toEqual({
            "agentstack-agents/agent-alpha[Deployment]": "TCP 15090",
            "agentstack-agents/agent-beta[Deployment]": "TCP 15090",
            "agentstack-data/mongodb[StatefulSet]": "TCP 9216",
            "agentstack-data/qdrant[StatefulSet]": "TCP 6333",
            "agentstack-gateway/gateway[Deployment]": "TCP 15090,15091",
            "agentstack-identity/keycloak[Deployment]": "TCP 9000",
            "agentstack-identity/postgresql[StatefulSet]": "TCP 9187",
            "agentstack-mcp/mcp-files[Deployment]": "TCP 15090",
            "agentstack-mcp/mcp-search[Deployment]": "TCP 15090",
            "agentstack-system/envoy-injector[Deployment]": "TCP 8443",
            "agentstack-system/extauth[Deployment]": "TCP 8282",
        });
        // One flow per scrape, in the flow table the NetworkPolicies are made from.
        const flows = flowTable(runs[key]!.spec).filter((f: Flow) => f.from.kind === "prometheus");
        expect(flows.map((f) => f.id)).toEqual(monitoringFlows(runs[key]!.spec).map((f) => f.id));
        expect(flows.length).toBe(10);
    });

    it("at level 1 (monitoring on) the sandbox stays isolated: reached by agents only, by no Prometheus", () => {
        const run = runs["l1-on"]!;
        const entries = analyzeConnectivity(run.manifests, platformAnalyzeOptions(run, { internet: false }));
        const toSandbox = entries.filter(
            (e) => e.dst.startsWith("agentstack-sandbox/") && !e.src.startsWith("agentstack-sandbox/"),
        );
        expect([...new Set(toSandbox.map((e) => e.src))].sort()).toEqual([
            "agentstack-agents/agent-alpha[Deployment]",
            "agentstack-agents/agent-beta[Deployment]",
        ]);
        expect(
            entries.filter((e) => e.src.startsWith("agentstack-sandbox/") && !e.dst.startsWith("agentstack-sandbox/")),
        ).toEqual([]);
        // The sandbox's own policies are the same with and without monitoring.
        const sandboxPolicies = (k: string) =>
            ofKind(runs[k]!.manifests, "NetworkPolicy").filter(
                (p) => p["metadata"]["namespace"] === "agentstack-sandbox",
            );
        expect(sandboxPolicies("l1-on")).toEqual(sandboxPolicies("l1"));
    });
});

describe("config", () => {
    it("refuses an empty Prometheus pod selector, a severity alert label, a bad interval and the stats ports, by key", () => {
        expect(reject(cfg(2, { monitoring: { prometheus: { podLabels: {} } } })).map((i) => i.key)).toEqual([
            "agentstack:monitoring.prometheus.podLabels",
        ]);
        expect(reject(cfg(2, { monitoring: { alertLabels: { severity: "page" } } })).map((i) => i.key)).toEqual([
            "agentstack:monitoring.alertLabels",
        ]);
        expect(reject(cfg(2, { monitoring: { scrapeInterval: "30" } })).map((i) => i.key)).toEqual([
            "agentstack:monitoring.scrapeInterval",
        ]);
        expect(reject(cfg(2, { monitoring: { prometheus: { namespace: "Monitoring" } } })).map((i) => i.key)).toEqual([
            "agentstack:monitoring.prometheus.namespace",
        ]);
        const gw = reject(
            cfg(1, {
                gateway: {
                    hostname: "a.example.com",
                    gatewayRef: { name: "edge", namespace: "gateway-system" },
                    port: GATEWAY_STATS_PORT,
                },
            }),
        );
        expect(gw.map((i) => i.key)).toEqual(["agentstack:gateway.port"]);
        const agent = reject(
            cfg(1, {
                agents: [
                    { name: "alpha", mcpServers: ["search"], port: ENVOY_STATS_PORT },
                    { name: "beta", mcpServers: ["files"] },
                ],
            }),
        );
        expect(agent.map((i) => i.key)).toEqual(["agentstack:agents[0].port"]);
        expect(agent[0]!.message).toContain("Envoy sidecar");
    });

    it("OpenShift user-workload monitoring: the namespace and pod labels select its Prometheus", () => {
        const spec = resolvePlatformSpec(
            engineConfig(
                cfg(3, {
                    monitoring: {
                        prometheus: {
                            namespace: "openshift-user-workload-monitoring",
                            podLabels: { "app.kubernetes.io/name": "prometheus", prometheus: "user-workload" },
                        },
                        resourceLabels: {},
                    },
                }),
            ),
        );
        const objs = monitoringObjects(spec);
        expect(objs.every((o) => !("release" in o.metadata.labels))).toBe(true);
        const flows = monitoringFlows(spec);
        expect(flows.length).toBe(10);
    });
});

describe("the policy pack", () => {
    it("passes a monitored stack; flags a stack without monitoring — advisory at level 2, mandatory at level 3", async () => {
        const policies = ["observability-monitoring", "observability-injector-alert"];
        const on = await evaluateManifestsDetailed(runs["l3"]!.manifests, { level: 3 });
        expect(on.violations.filter((v) => policies.includes(v.policy))).toEqual([]);
        const off = runs["l2-off"]!.manifests;
        expect(monitoringOf(off)).toEqual([]);
        const at2 = (await evaluateManifestsDetailed(off, { level: 2 })).violations.filter((v) =>
            policies.includes(v.policy),
        );
        expect(at2.map((v) => `${v.policy}:${v.enforcement}`).sort()).toEqual([
            "observability-injector-alert:advisory",
            "observability-monitoring:advisory",
        ]);
        const at3 = (await evaluateManifestsDetailed(off, { level: 3 })).violations.filter((v) =>
            policies.includes(v.policy),
        );
        expect(at3.map((v) => `${v.policy}:${v.enforcement}`).sort()).toEqual([
            "observability-injector-alert:mandatory",
            "observability-monitoring:mandatory",
        ]);
        expect(at3[0]!.message).toContain("agentstack:monitoring.enabled");
    });
});

describe("every workload keeps its hardening with monitoring on", () => {
    it("at level 3 every container (exporters and sidecar stats included) is hardened", () => {
        for (const w of workloadsOf(runs["l3"]!.manifests)) {
            const pod = w["spec"]["template"]["spec"];
            for (const c of pod["containers"])
                expectHardened(c, pod, `${w["metadata"]["name"]}/${c["name"]}`, { probes: true });
        }
    });
});
