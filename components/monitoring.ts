/**
 * Observability: the platform plugs into the cluster's Prometheus Operator (kube-prometheus-stack, or
 * OpenShift's user-workload monitoring) instead of bringing its own. With `agentstack:monitoring` on
 * (default from level 2) it creates
 *
 * - one ServiceMonitor or PodMonitor (`monitoring.coreos.com/v1`) per metrics endpoint: the injector's
 *   own `/metrics` (HTTPS, verified against the webhook's CA), OPA's diagnostic `/metrics`, Keycloak's
 *   management `/metrics`, the gateway Envoy's and every sidecar's stats listener, Qdrant's `/metrics`
 *   (with its read-only API key) and the PostgreSQL / MongoDB exporter sidecars;
 * - one PrometheusRule with the alerts that matter (`alertRules`), each with a severity, a summary and
 *   a runbook in docs/observability.md — above all "the injector is down or failing admissions",
 *   critical where its failurePolicy is Fail (an outage stops every new pod of the injected zones).
 *
 * The NetworkPolicy side (the Prometheus pods reach exactly these ports) is the flow table's
 * (`monitoringFlows` in stacks/flows.ts). Every metric an alert names is listed in METRIC_SOURCES
 * with the component that exports it; test/monitoring.test.ts parses every expression with the
 * Prometheus project's PromQL parser and checks each name against that list.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
// The prometheus-operator's own types (from its CRDs): object literals are checked field by field.
import type { IPodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { DataStoreKind, DATA_STORE_ZONE } from "../stacks/dataStores";
import { Namespaces, PlatformSpec } from "../stacks/resolve";
import { ENVOY_STATS_PATH } from "./envoyStats";
import { WEBHOOK_NAME } from "./envoyInjector";
import { INSTANCES } from "./names";
import { QDRANT_KEYS, QDRANT_KEYS_SECRET } from "./qdrant";
import { MANAGED_BY_LABEL, PART_OF, PART_OF_LABEL, SIDECAR_LABEL, selectorLabels } from "../lib/labels";

/** API version of every monitoring object. */
const MONITORING_API_VERSION = "monitoring.coreos.com/v1";
/** Name of the PrometheusRule (in the system namespace). */
const PROMETHEUS_RULE_NAME = "agentstack";
/** The runbooks: one section per alert in this file. */
const RUNBOOK_DOC = "docs/observability.md";
/** Alerts the policy pack requires (policies/rules/observability.ts): the injector down or failing admissions. */
export const INJECTOR_ALERTS = ["EnvoyInjectorUnavailable", "EnvoyInjectorAdmissionFailures"] as const;
/** Days before expiry at which a certificate alert fires. */
const CERT_EXPIRY_DAYS = 14;
/** Free space below which a data volume alert fires. */
const VOLUME_FREE_RATIO = 0.1;

/** Where each metric an alert reads comes from (docs/observability.md lists the same, with the source file). */
export const METRIC_SOURCES: Readonly<Record<string, string>> = {
    kube_deployment_status_replicas_available: "kube-state-metrics (docs/metrics/workload/deployment-metrics.md)",
    kube_statefulset_status_replicas_ready: "kube-state-metrics (docs/metrics/workload/statefulset-metrics.md)",
    kube_statefulset_replicas: "kube-state-metrics (docs/metrics/workload/statefulset-metrics.md)",
    kube_horizontalpodautoscaler_status_current_replicas:
        "kube-state-metrics (docs/metrics/workload/horizontalpodautoscaler-metrics.md)",
    kube_horizontalpodautoscaler_spec_max_replicas:
        "kube-state-metrics (docs/metrics/workload/horizontalpodautoscaler-metrics.md)",
    kube_poddisruptionbudget_status_pod_disruptions_allowed:
        "kube-state-metrics (docs/metrics/policy/poddisruptionbudget-metrics.md)",
    kubelet_volume_stats_available_bytes: "kubelet (kubernetes pkg/kubelet/metrics/collectors/volume_stats.go)",
    kubelet_volume_stats_capacity_bytes: "kubelet (kubernetes pkg/kubelet/metrics/collectors/volume_stats.go)",
    apiserver_admission_webhook_rejection_count:
        "kube-apiserver (kubernetes staging/src/k8s.io/apiserver/pkg/admission/metrics/metrics.go)",
    apiserver_admission_webhook_fail_open_count:
        "kube-apiserver (kubernetes staging/src/k8s.io/apiserver/pkg/admission/metrics/metrics.go)",
    agentstack_injector_requests_total: "envoy-injector (injector/envoy-injector.mjs)",
    agentstack_injector_request_duration_seconds_bucket: "envoy-injector (injector/envoy-injector.mjs)",
    agentstack_injector_certificate_expiry_timestamp_seconds: "envoy-injector (injector/envoy-injector.mjs)",
    grpc_request_duration_seconds_bucket:
        "OPA-Envoy plugin, enable-performance-metrics (opa-envoy-plugin internal/internal.go)",
    grpc_request_duration_seconds_count:
        "OPA-Envoy plugin, enable-performance-metrics (opa-envoy-plugin internal/internal.go)",
    error_counter: "OPA-Envoy plugin, enable-performance-metrics (opa-envoy-plugin internal/internal.go)",
    certmanager_certificate_expiration_timestamp_seconds:
        "cert-manager controller (cert-manager pkg/metrics/metrics.go)",
    pg_up: "postgres_exporter (exporter/postgres_exporter.go)",
    mongodb_up: "mongodb_exporter (exporter/general_collector.go)",
};

/** One alert as the platform describes it. */
interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly severity: "warning" | "critical";
    readonly summary: string;
    readonly description: string;
}

type Meta = {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly zone: keyof Namespaces;
};
/** A monitoring object as a plain object (typed by the prometheus-operator's CRD types; `zone` names the namespace's trust zone). */
type MonitoringObject =
    | {
          readonly apiVersion: typeof MONITORING_API_VERSION;
          readonly kind: "ServiceMonitor";
          readonly metadata: Meta;
          readonly spec: IServiceMonitor["spec"];
      }
    | {
          readonly apiVersion: typeof MONITORING_API_VERSION;
          readonly kind: "PodMonitor";
          readonly metadata: Meta;
          readonly spec: IPodMonitor["spec"];
      }
    | {
          readonly apiVersion: typeof MONITORING_API_VERSION;
          readonly kind: "PrometheusRule";
          readonly metadata: Meta;
          readonly spec: IPrometheusRule["spec"];
      };
type PodMetricsEndpoint = IPodMonitor["spec"]["podMetricsEndpoints"][number];

const q = (s: string) => JSON.stringify(s);
/** A PromQL regex that matches exactly these values. */
const anyOf = (values: readonly string[]) =>
    q([...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));

/** The in-cluster data stores (external ones have no workload, so no exporter and no volume). */
function inClusterStores(spec: PlatformSpec): DataStoreKind[] {
    return (["qdrant", "mongodb", "postgresql"] as const).filter((s) => spec.dataStores[s].mode === "in-cluster");
}

/** Every alert of the platform, for its spec (severities follow the level; cert-manager alerts only where it issues). */
export function alertRules(spec: PlatformSpec): AlertRule[] {
    const ns = spec.namespaces;
    const sys = q(ns.system);
    const admission = spec.profile.monitoring.admissionAlertSeverity;
    const failClosed = spec.zeroTrust.injector.failurePolicy === "Fail";
    const extauthSeverity = spec.zeroTrust.envoy.failOpen ? "warning" : "critical";
    const available = (namespace: string, deployment: string) =>
        `sum(kube_deployment_status_replicas_available{namespace=${q(namespace)},deployment=${q(deployment)}}) < 1`;
    const rules: AlertRule[] = [
        {
            alert: "EnvoyInjectorUnavailable",
            expr: available(ns.system, INSTANCES.envoyInjector),
            for: "2m",
            severity: admission,
            summary: "No envoy-injector replica is available.",
            description: failClosed
                ? `The sidecar injection webhook has failurePolicy Fail: no new pod can start in ${ns.gateway}, ${ns.agents} or ${ns.mcp} until it is back.`
                : "The sidecar injection webhook has failurePolicy Ignore: new pods start without their Envoy sidecar (no egress control).",
        },
        {
            alert: "EnvoyInjectorAdmissionFailures",
            expr: `sum(rate(apiserver_admission_webhook_rejection_count{name=${q(WEBHOOK_NAME)},error_type=~"calling_webhook_error|apiserver_internal_error"}[5m])) > 0`,
            for: "5m",
            severity: admission,
            summary: "The API server cannot call the envoy-injector webhook.",
            description:
                "Pod creations in the injected namespaces are being rejected because the webhook call fails (timeout, TLS, no endpoint).",
        },
        ...(failClosed
            ? []
            : [
                  {
                      alert: "EnvoyInjectorFailingOpen",
                      expr: `sum(rate(apiserver_admission_webhook_fail_open_count{name=${q(WEBHOOK_NAME)}}[5m])) > 0`,
                      for: "5m",
                      severity: "warning" as const,
                      summary: "Pods are admitted without their Envoy sidecar.",
                      description: "The webhook failed and its failurePolicy Ignore let the pods through un-injected.",
                  },
              ]),
        {
            alert: "EnvoyInjectorErrors",
            expr: `sum(rate(agentstack_injector_requests_total{namespace=${sys},outcome=~"error-5.."}[5m])) > 0`,
            for: "5m",
            severity: "warning",
            summary: "The envoy-injector answers AdmissionReviews with server errors.",
            description: "The injector's own counter shows 5xx answers: see its JSON log lines with level error.",
        },
        {
            alert: "EnvoyInjectorSlow",
            expr: `histogram_quantile(0.99, sum by (le) (rate(agentstack_injector_request_duration_seconds_bucket{namespace=${sys}}[5m]))) > 1`,
            for: "10m",
            severity: "warning",
            summary: "The envoy-injector's p99 answer time is above 1 s.",
            description: `The webhook times out after ${spec.zeroTrust.injector.timeoutSeconds} s; a slow injector delays every pod creation.`,
        },
        {
            alert: "EnvoyInjectorCertificateExpiringSoon",
            expr: `min(agentstack_injector_certificate_expiry_timestamp_seconds{namespace=${sys}}) - time() < ${CERT_EXPIRY_DAYS} * 86400`,
            for: "1h",
            severity: admission,
            summary: `The webhook's serving certificate expires within ${CERT_EXPIRY_DAYS} days.`,
            description:
                "Once it lapses the API server cannot call the webhook. A routine pulumi up (program-made TLS) or cert-manager renews it.",
        },
        {
            alert: "ExtAuthUnavailable",
            expr: available(ns.system, INSTANCES.extauth),
            for: "2m",
            severity: extauthSeverity,
            summary: "No ExtAuth replica is available.",
            description: spec.zeroTrust.envoy.failOpen
                ? "The sidecars fail open at this level: egress is no longer authorized."
                : "The sidecars fail closed: every request through an Envoy sidecar is denied.",
        },
        {
            alert: "ExtAuthErrors",
            expr: `sum(rate(error_counter{namespace=${sys}}[5m])) / sum(rate(grpc_request_duration_seconds_count{namespace=${sys},handler="check"}[5m])) > 0.01`,
            for: "10m",
            severity: "warning",
            summary: "More than 1 % of ExtAuth's decisions end in an error.",
            description: "OPA-Envoy counts evaluation and decision-log errors by reason (error_counter).",
        },
        {
            alert: "ExtAuthSlow",
            expr: `histogram_quantile(0.99, sum by (le) (rate(grpc_request_duration_seconds_bucket{namespace=${sys},handler="check"}[5m]))) > ${spec.zeroTrust.envoy.timeoutMs / 2000}`,
            for: "10m",
            severity: "warning",
            summary: "ExtAuth's p99 decision time is above half the sidecars' ext_authz timeout.",
            description: `The sidecars give ExtAuth ${spec.zeroTrust.envoy.timeoutMs} ms (agentstack:zeroTrust.extAuthzTimeoutMs); slower decisions become denials.`,
        },
        {
            alert: "KeycloakDown",
            expr: available(ns.identity, INSTANCES.keycloak),
            for: "5m",
            severity: "critical",
            summary: "No Keycloak replica is available.",
            description: "Logins fail, and the gateway and MCP servers cannot refresh the realm's keys.",
        },
    ];

    const certNamespaces = [
        ...(spec.gateway.tls.mode === "cert-manager" ? [ns.gateway, ns.identity] : []),
        ...(spec.zeroTrust.injector.tls.mode === "cert-manager" ? [ns.system] : []),
    ];
    if (certNamespaces.length > 0) {
        rules.push({
            alert: "CertificateExpiringSoon",
            expr: `min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds{namespace=~${anyOf(certNamespaces)}}) - time() < ${CERT_EXPIRY_DAYS} * 86400`,
            for: "1h",
            severity: "warning",
            summary: `A certificate of the platform expires within ${CERT_EXPIRY_DAYS} days and cert-manager has not renewed it.`,
            description: "See the Certificate's status and its CertificateRequests (kubectl describe certificate).",
        });
    }

    for (const store of inClusterStores(spec)) {
        const namespace = ns[DATA_STORE_ZONE[store]];
        const sts = `namespace=${q(namespace)},statefulset=${q(INSTANCES[store])}`;
        rules.push({
            alert: `${storeTitle(store)}Down`,
            expr: `sum(kube_statefulset_status_replicas_ready{${sts}}) < 1`,
            for: "5m",
            severity: "critical",
            summary: `No ${store} pod is ready.`,
            description: `Its clients (${store === "postgresql" ? "Keycloak" : "the agents"}) cannot read or write.`,
        });
        rules.push({
            alert: `${storeTitle(store)}ReplicasMissing`,
            expr: `sum(kube_statefulset_status_replicas_ready{${sts}}) < sum(kube_statefulset_replicas{${sts}})`,
            for: "15m",
            severity: "warning",
            summary: `A ${store} pod is not ready.`,
            description: "The store runs with less redundancy than the level asks for.",
        });
        const pvc = `namespace=${q(namespace)},persistentvolumeclaim=~${q(`data-${INSTANCES[store]}-[0-9]+`)}`;
        rules.push({
            alert: `${storeTitle(store)}VolumeNearlyFull`,
            expr: `kubelet_volume_stats_available_bytes{${pvc}} / kubelet_volume_stats_capacity_bytes{${pvc}} < ${VOLUME_FREE_RATIO}`,
            for: "15m",
            severity: "warning",
            summary: `A ${store} data volume has less than ${VOLUME_FREE_RATIO * 100} % free space.`,
            description:
                "Grow the volume (agentstack:" +
                store +
                ".storage.size, if the StorageClass allows expansion) before the store stops writing.",
        });
    }
    if (inClusterStores(spec).includes("postgresql")) {
        rules.push({
            alert: "PostgreSQLNotAnswering",
            expr: `max(pg_up{namespace=${q(ns[DATA_STORE_ZONE.postgresql])}}) < 1`,
            for: "5m",
            severity: "critical",
            summary: "The PostgreSQL exporter cannot connect to its server.",
            description: "The server runs but does not accept connections (or the superuser credentials changed).",
        });
    }
    if (inClusterStores(spec).includes("mongodb")) {
        rules.push({
            alert: "MongoDBNotAnswering",
            expr: `min(mongodb_up{namespace=${q(ns[DATA_STORE_ZONE.mongodb])}}) < 1`,
            for: "5m",
            severity: "critical",
            summary: "A MongoDB exporter cannot reach its mongod.",
            description: "A member does not answer a ping (or the root credentials changed).",
        });
    }

    const scaled = anyOf([ns.gateway, ns.agents, ns.mcp]);
    rules.push({
        alert: "HorizontalPodAutoscalerAtMaximum",
        expr: `kube_horizontalpodautoscaler_status_current_replicas{namespace=~${scaled}} >= kube_horizontalpodautoscaler_spec_max_replicas{namespace=~${scaled}}`,
        for: "15m",
        severity: "warning",
        summary: "An autoscaled workload has run at its maximum replicas for 15 minutes.",
        description:
            "It cannot scale further: raise its maxReplicas (agentstack:<component>.maxReplicas) or its resources.",
    });
    rules.push({
        alert: "PodDisruptionBudgetBlocksDrain",
        expr: `kube_poddisruptionbudget_status_pod_disruptions_allowed{namespace=~${anyOf(Object.values(ns))}} == 0`,
        for: "30m",
        severity: "warning",
        summary: "A PodDisruptionBudget allows no disruption: node drains wait.",
        description: "Some pods of the workload are not ready, so evicting another would break its minimum.",
    });
    return rules;
}

function storeTitle(store: DataStoreKind): string {
    return { qdrant: "Qdrant", mongodb: "MongoDB", postgresql: "PostgreSQL" }[store];
}

/** The runbook anchor of an alert in docs/observability.md (its heading, lower case). */
function runbookAnchor(alert: string): string {
    return `${RUNBOOK_DOC}#${alert.toLowerCase()}`;
}

/** Every ServiceMonitor, PodMonitor and the PrometheusRule of the platform (none with monitoring off). */
export function monitoringObjects(spec: PlatformSpec): MonitoringObject[] {
    const m = spec.monitoring;
    if (!m.enabled) return [];
    const ns = spec.namespaces;
    const labels = { [PART_OF_LABEL]: PART_OF, [MANAGED_BY_LABEL]: "pulumi", ...m.resourceLabels };
    const meta = (name: string, zone: keyof Namespaces) => ({ name, namespace: ns[zone], labels: { ...labels }, zone });
    const interval = m.scrapeInterval;
    const podMonitor = (
        name: string,
        zone: keyof Namespaces,
        selector: Record<string, string>,
        endpoint: PodMetricsEndpoint,
    ): MonitoringObject => ({
        apiVersion: MONITORING_API_VERSION,
        kind: "PodMonitor",
        metadata: meta(name, zone),
        spec: { selector: { matchLabels: { ...selector } }, podMetricsEndpoints: [{ interval, ...endpoint }] },
    });

    const out: MonitoringObject[] = [
        {
            apiVersion: MONITORING_API_VERSION,
            kind: "ServiceMonitor",
            metadata: meta(INSTANCES.envoyInjector, "system"),
            spec: {
                selector: { matchLabels: selectorLabels("envoy-injector", INSTANCES.envoyInjector) },
                endpoints: [
                    {
                        port: "https",
                        scheme: "https",
                        path: "/metrics",
                        interval,
                        // The webhook's own CA (program-made or cert-manager's chain) and its Service name.
                        tlsConfig: {
                            ca: { secret: { name: `${INSTANCES.envoyInjector}-tls`, key: "ca.crt" } },
                            serverName: `${INSTANCES.envoyInjector}.${ns.system}.svc`,
                        },
                    },
                ],
            },
        },
        podMonitor(INSTANCES.extauth, "system", selectorLabels("extauth", INSTANCES.extauth), {
            port: "diag",
            path: "/metrics",
        }),
        podMonitor(INSTANCES.keycloak, "identity", selectorLabels("keycloak", INSTANCES.keycloak), {
            port: "management",
            path: "/metrics",
        }),
        podMonitor(INSTANCES.gateway, "gateway", selectorLabels("gateway", INSTANCES.gateway), {
            port: "metrics",
            path: ENVOY_STATS_PATH,
        }),
        ...(["gateway", "agents", "mcp"] as const).map((zone) =>
            podMonitor("envoy-sidecars", zone, { ...SIDECAR_LABEL }, { port: "envoy-stats", path: ENVOY_STATS_PATH }),
        ),
    ];
    for (const store of inClusterStores(spec)) {
        const zone = DATA_STORE_ZONE[store];
        const selector = selectorLabels(store, INSTANCES[store]);
        if (store === "qdrant") {
            const q = spec.dataStores.qdrant;
            // Qdrant's /metrics needs an API key; the read-only one suffices, sent as a Bearer token.
            const key =
                q.mode === "in-cluster" && q.apiKeys.kind === "secretRef"
                    ? { name: q.apiKeys.name, key: q.apiKeys.readOnlyApiKeyKey }
                    : { name: QDRANT_KEYS_SECRET, key: QDRANT_KEYS.readOnlyApiKey };
            out.push(
                podMonitor(INSTANCES.qdrant, zone, selector, {
                    port: "http",
                    path: "/metrics",
                    authorization: { type: "Bearer", credentials: key },
                }),
            );
        } else {
            out.push(podMonitor(INSTANCES[store], zone, selector, { port: "metrics", path: "/metrics" }));
        }
    }

    const rules = alertRules(spec);
    out.push({
        apiVersion: MONITORING_API_VERSION,
        kind: "PrometheusRule",
        metadata: meta(PROMETHEUS_RULE_NAME, "system"),
        spec: {
            groups: [
                {
                    name: "agentstack",
                    rules: rules.map((r) => ({
                        alert: r.alert,
                        expr: r.expr,
                        for: r.for,
                        labels: { ...m.alertLabels, severity: r.severity },
                        annotations: {
                            summary: r.summary,
                            description: r.description,
                            runbook: runbookAnchor(r.alert),
                        },
                    })),
                },
            ],
        },
    });
    return out;
}

interface MonitoringArgs {
    /** The resolved platform spec (monitoring settings, namespaces, level). */
    readonly spec: PlatformSpec;
    /** Namespace objects' name outputs by zone, so each object waits for its namespace. */
    readonly namespaces: Readonly<Record<keyof Namespaces, pulumi.Input<string>>>;
}

/** The monitoring objects as Pulumi resources (the Prometheus Operator's CRDs must be installed). */
export class Monitoring extends pulumi.ComponentResource {
    /** Number of monitoring objects created. */
    public readonly count: number;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:observability:Monitoring", name, {}, opts);
        const objects = monitoringObjects(args.spec);
        for (const o of objects) {
            const { zone, ...metadata } = o.metadata;
            new k8s.apiextensions.CustomResource(
                `${name}-${o.metadata.namespace}-${o.kind.toLowerCase()}-${o.metadata.name}`,
                {
                    apiVersion: o.apiVersion,
                    kind: o.kind,
                    metadata: { ...metadata, namespace: args.namespaces[zone] },
                    spec: o.spec,
                },
                { parent: this },
            );
        }
        this.count = objects.length;
        this.registerOutputs({ count: this.count });
    }
}
