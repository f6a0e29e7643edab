/**
 * The whole stack as stack policies read it: every Kubernetes object, with lookups across objects —
 * the HPA and PDBs of a workload, the Services selecting it, the workloads behind a Service, the
 * value an env var resolves to through ConfigMaps, the data stores and their declared clients.
 *
 * Pure: no side effects at import.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ComponentName, componentOf } from "./components";
import { K8sObject, SCALABLE_KINDS, containersOf, k8sObject, selectorMatches, serviceSelects } from "./k8s";
import { Unverifiable, at, list, num, rec, str, strMap } from "./values";
import { CLIENTS_ANNOTATION, DATA_STORE_LABEL } from "../../lib/labels";

/** A reference the check needs is not among the objects (e.g. a ConfigMap an env var reads). */
export class Unresolvable extends Error {
    constructor(message: string) {
        super(message);
        this.name = "Unresolvable";
    }
}

/** A declared client of a data store. */
export interface DeclaredClient {
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * Data-store products by the name their images (last path segment) and their recommended
 * `app.kubernetes.io/name` label use, for manifests without the agentstack data-store label.
 */
const DATA_STORE_NAMES: ReadonlySet<string> = new Set([
    "qdrant",
    "mongo",
    "mongodb",
    "mongodb-community-server",
    "mongodb-sharded",
    "postgres",
    "postgresql",
    "postgresql-ha",
    "pgvector",
    "timescaledb",
    "mysql",
    "mariadb",
    "percona-server",
    "redis",
    "redis-cluster",
    "redis-stack-server",
    "valkey",
    "keydb",
    "memcached",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "scylla",
    "minio",
    "weaviate",
    "milvus",
    "chroma",
    "chromadb",
    "neo4j",
    "clickhouse",
    "clickhouse-server",
    "couchdb",
    "influxdb",
    "cockroach",
    "cockroachdb",
    "etcd",
    "meilisearch",
    "typesense",
    "solr",
    "arangodb",
    "rethinkdb",
]);
/** `app.kubernetes.io/component` values that name a database. */
const DATA_STORE_COMPONENT_VALUES: ReadonlySet<string> = new Set([
    "database",
    "db",
    "datastore",
    "data-store",
    "vector-database",
    "vectordb",
]);
/** Name tokens of tools that sit beside a data store but hold no data (`postgres-exporter`, `mongo-express`). */
const NOT_A_STORE_TOKENS: ReadonlySet<string> = new Set([
    "exporter",
    "express",
    "commander",
    "ui",
    "gui",
    "web",
    "admin",
    "dashboard",
    "console",
    "studio",
    "browser",
    "insight",
    "operator",
    "metrics",
    "monitor",
    "backup",
]);

/** True when a name-label value names a data-store product: exactly, or as a token (`orders-postgres`) of a name that is not a tool's. */
function namesDataStore(value: string): boolean {
    const v = value.toLowerCase();
    if (DATA_STORE_NAMES.has(v)) return true;
    const tokens = v.split(/[-_.]/);
    return tokens.some((t) => DATA_STORE_NAMES.has(t)) && !tokens.some((t) => NOT_A_STORE_TOKENS.has(t));
}

/** Pod-label keys that name the product: the recommended label, then the common legacy ones. */
const NAME_LABEL_KEYS = ["app.kubernetes.io/name", "app", "k8s-app", "name"] as const;
const DATA_STORE_COMPONENTS: ReadonlySet<ComponentName> = new Set(["qdrant", "mongodb", "postgresql"]);

export class StackView {
    /** Every Kubernetes object of the stack. */
    readonly objects: readonly K8sObject[];
    /** True when the resources come from a Pulumi stack (a `pulumi:pulumi:Stack` resource is present). */
    readonly isPulumi: boolean;

    constructor(resources: readonly PolicyResource[]) {
        const objs: K8sObject[] = [];
        let isPulumi = false;
        for (const r of resources) {
            if (r.type === "pulumi:pulumi:Stack") isPulumi = true;
            const o = k8sObject(r.type, r.props, r.urn, r.opts?.protect === true);
            if (o) objs.push(o);
        }
        this.objects = objs;
        this.isPulumi = isPulumi;
    }

    /** Objects of a kind (any group unless given). */
    ofKind(kind: string, group?: string): K8sObject[] {
        return this.objects.filter((o) => o.is(kind, group));
    }

    /** Objects of a kind in a namespace. */
    inNamespace(kind: string, ns: string, group?: string): K8sObject[] {
        return this.ofKind(kind, group).filter((o) => o.ns === ns);
    }

    /** One object by kind, namespace and name. */
    find(kind: string, ns: string | undefined, name: string, group?: string): K8sObject | undefined {
        return this.ofKind(kind, group).find((o) => o.name === name && (ns === undefined || o.ns === ns));
    }

    /** Every workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob). */
    workloads(): K8sObject[] {
        return this.objects.filter((o) => o.isWorkload);
    }

    /** Namespace objects. */
    namespaceObjects(): K8sObject[] {
        return this.ofKind("Namespace", "");
    }

    /** The HPA whose scaleTargetRef names the workload. */
    hpaFor(w: K8sObject): K8sObject | undefined {
        return this.ofKind("HorizontalPodAutoscaler", "autoscaling").find(
            (h) =>
                h.ns === w.ns &&
                str(h.props, "spec", "scaleTargetRef", "kind") === w.kind &&
                str(h.props, "spec", "scaleTargetRef", "name") === w.name,
        );
    }

    /**
     * The smallest number of replicas a workload runs: the HPA's minReplicas when one targets it,
     * else spec.replicas (default 1); 1 for a Pod; undefined for DaemonSets, Jobs and CronJobs.
     */
    minReplicas(w: K8sObject): number | undefined {
        if (w.kind === "Pod") return 1;
        if (!SCALABLE_KINDS.has(w.kind)) return undefined;
        const hpa = this.hpaFor(w);
        if (hpa) return num(hpa.props, "spec", "minReplicas") ?? 1;
        return num(w.props, "spec", "replicas") ?? 1;
    }

    /** The PDBs selecting a workload's pods. */
    pdbsFor(w: K8sObject): K8sObject[] {
        const labels = w.podLabels();
        return this.ofKind("PodDisruptionBudget", "policy").filter(
            (p) => p.ns === w.ns && selectorMatches(rec(p.props, "spec", "selector"), labels),
        );
    }

    /** Services in the workload's namespace whose selector matches its pods. */
    servicesSelecting(w: K8sObject): K8sObject[] {
        const labels = w.podLabels();
        return this.ofKind("Service", "").filter(
            (s) => s.ns === w.ns && serviceSelects(strMap(s.props, "spec", "selector"), labels),
        );
    }

    /** Workloads in the Service's namespace whose pods it selects. */
    workloadsBehind(service: K8sObject): K8sObject[] {
        const selector = strMap(service.props, "spec", "selector");
        return this.workloads().filter((w) => w.ns === service.ns && serviceSelects(selector, w.podLabels()));
    }

    /**
     * The value of an env var of a workload's main containers: a literal, a ConfigMap key
     * (configMapKeyRef or envFrom) resolved through the stack's ConfigMaps. Undefined when no
     * container sets it. Throws Unresolvable when it comes from a ConfigMap that is not here, or
     * from a Secret (not readable by policy).
     */
    envValue(w: K8sObject, name: string): string | undefined {
        for (const c of containersOf(w).filter((x) => x.role === "main")) {
            const env = list(c.container, "env");
            for (let i = env.length - 1; i >= 0; i--) {
                if (str(c.container, "env", i, "name") !== name) continue;
                const value = at(c.container, "env", i, "value");
                if (typeof value === "string") return value;
                const cmName = str(c.container, "env", i, "valueFrom", "configMapKeyRef", "name");
                if (cmName !== undefined) {
                    const key = str(c.container, "env", i, "valueFrom", "configMapKeyRef", "key") ?? name;
                    return this.configMapValue(w.ns, cmName, key);
                }
                if (rec(c.container, "env", i, "valueFrom", "secretKeyRef")) {
                    throw new Unresolvable(
                        `env ${name} of container "${c.name}" comes from a Secret, which policies cannot read`,
                    );
                }
                return undefined;
            }
            for (const [i] of list(c.container, "envFrom").entries()) {
                const cmName = str(c.container, "envFrom", i, "configMapRef", "name");
                if (cmName === undefined) continue;
                const prefix = str(c.container, "envFrom", i, "prefix") ?? "";
                if (!name.startsWith(prefix)) continue;
                const cm = this.find("ConfigMap", w.ns, cmName, "");
                if (!cm)
                    throw new Unresolvable(
                        `container "${c.name}" reads env from ConfigMap ${w.ns}/${cmName}, which is not among the evaluated objects`,
                    );
                const v = at(cm.props, "data", name.slice(prefix.length));
                if (typeof v === "string") return v;
            }
        }
        return undefined;
    }

    /** A ConfigMap key's value; throws Unresolvable when the ConfigMap is not here. */
    configMapValue(ns: string, name: string, key: string): string | undefined {
        const cm = this.find("ConfigMap", ns, name, "");
        if (!cm) throw new Unresolvable(`ConfigMap ${ns}/${name} (key ${key}) is not among the evaluated objects`);
        const v = at(cm.props, "data", key);
        return typeof v === "string" ? v : undefined;
    }

    /** Workloads of a component (by the recommended labels). */
    componentWorkloads(component: ComponentName): K8sObject[] {
        return this.workloads().filter((w) => componentOf(w)?.component === component);
    }

    /** Data stores declared by the contract: workloads labelled `agentstack.io/data-store: "true"`. */
    declaredDataStores(): K8sObject[] {
        return this.workloads().filter(
            (w) => w.labelsLoose[DATA_STORE_LABEL] === "true" || w.podLabelsLoose()[DATA_STORE_LABEL] === "true",
        );
    }

    /** Data stores, declared or recognised (an agentstack data-store component, or a well-known database image). */
    dataStores(): K8sObject[] {
        return this.workloads().filter((w) => isDataStore(w));
    }

    /** The declared clients of a data store (throws Unresolvable when the annotation is missing or malformed). */
    declaredClients(store: K8sObject): DeclaredClient[] {
        const raw = store.annotations[CLIENTS_ANNOTATION];
        if (raw === undefined)
            throw new Unresolvable(`it has no ${CLIENTS_ANNOTATION} annotation declaring its clients`);
        let parsed: unknown;
        try {
            parsed = JSON.parse(raw);
        } catch {
            throw new Unresolvable(`its ${CLIENTS_ANNOTATION} annotation is not JSON`);
        }
        if (!Array.isArray(parsed)) throw new Unresolvable(`its ${CLIENTS_ANNOTATION} annotation is not a JSON array`);
        return parsed.map((c, i) => {
            const o = (c && typeof c === "object" ? c : {}) as Record<string, unknown>;
            if (typeof o["namespace"] !== "string")
                throw new Unresolvable(`${CLIENTS_ANNOTATION}[${i}] has no namespace`);
            const labels = (o["podLabels"] && typeof o["podLabels"] === "object" ? o["podLabels"] : {}) as Record<
                string,
                unknown
            >;
            return {
                namespace: o["namespace"],
                podLabels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])),
            };
        });
    }

    /** Plain manifests of the objects (for the connectivity evaluator). */
    manifests(): Record<string, unknown>[] {
        return this.objects.map((o) => o.props);
    }
}

/** True for a data-store workload: labelled, an agentstack data-store component, or a well-known database image. */
function isDataStore(w: K8sObject): boolean {
    if (w.labelsLoose[DATA_STORE_LABEL] === "true" || w.podLabelsLoose()[DATA_STORE_LABEL] === "true") return true;
    const c = componentOf(w);
    if (c && DATA_STORE_COMPONENTS.has(c.component)) return true;
    try {
        return containersOf(w).some((c) => {
            const image = str(c.container, "image") ?? "";
            const repo =
                image
                    .replace(/@sha256:[a-f0-9]+$/, "")
                    .replace(/:[^/:]+$/, "")
                    .split("/")
                    .pop() ?? "";
            return DATA_STORE_NAMES.has(repo.toLowerCase());
        });
    } catch (e) {
        if (e instanceof Unverifiable) return false;
        throw e;
    }
}

/** Whether a PDB blocks every voluntary eviction of a workload with `replicas` pods, and why. */
export function pdbBlocksDrain(pdb: K8sObject, replicas: number): string | undefined {
    const minAvailable = at(pdb.props, "spec", "minAvailable");
    const maxUnavailable = at(pdb.props, "spec", "maxUnavailable");
    const scaled = (v: number | string): number => {
        if (typeof v === "number") return v;
        const m = /^(\d+)%$/.exec(v);
        return m ? Math.ceil((Number(m[1]) * replicas) / 100) : Number(v);
    };
    if (minAvailable !== undefined && minAvailable !== null) {
        const n = scaled(minAvailable as number | string);
        if (Number.isNaN(n) || n >= replicas)
            return `minAvailable ${String(minAvailable)} leaves no pod of ${replicas} evictable`;
    }
    if (maxUnavailable !== undefined && maxUnavailable !== null) {
        const n = scaled(maxUnavailable as number | string);
        if (Number.isNaN(n) || n < 1) return `maxUnavailable ${String(maxUnavailable)} allows no eviction`;
    }
    return undefined;
}

/**
 * Why the pods a Service selector picks are a data store's, from the selector's labels alone (the
 * workload need not be among the objects): the agentstack data-store label, an agentstack
 * data-store component, a data-store product in `app.kubernetes.io/name` (or the legacy `app`,
 * `k8s-app`, `name`), or a database `app.kubernetes.io/component`. Undefined when none applies.
 */
export function dataStoreSelectorReason(selector: Readonly<Record<string, string>>): string | undefined {
    if (Object.keys(selector).length === 0) return undefined;
    if (selector[DATA_STORE_LABEL] === "true") return `${DATA_STORE_LABEL}=true`;
    for (const k of NAME_LABEL_KEYS) {
        const v = selector[k];
        if (v !== undefined && (namesDataStore(v) || DATA_STORE_COMPONENTS.has(v as ComponentName))) return `${k}=${v}`;
    }
    const component = selector["app.kubernetes.io/component"];
    if (component !== undefined && DATA_STORE_COMPONENT_VALUES.has(component.toLowerCase()))
        return `app.kubernetes.io/component=${component}`;
    return undefined;
}
