/**
 * Extraction of workloads (the pods a manifest will create) and namespaces
 * from untyped Kubernetes objects.
 */
import { isProtocol, type Protocol } from "./ports";
import type { Labels } from "./selectors";
import { asArray, asObject, asString, asStringMap, compareStrings, getPath, type Obj, type WarnFn } from "../objects";

/** The label the API server sets on every namespace to its name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A port a pod's container declares (used to resolve named ports). */
export interface ContainerPort {
    readonly name?: string;
    readonly port: number;
    readonly protocol: Protocol;
}

/**
 * A group of identical pods: a real workload (`ns/name[Kind]`) or a synthetic
 * one supplied by the caller (shown under its own `name`).
 */
export interface Workload {
    /** The name used in reports: `namespace/name[Kind]`, or the synthetic name. */
    readonly name: string;
    readonly namespace: string;
    /** The object kind, or `"Synthetic"`. */
    readonly kind: string;
    /** The pod labels. */
    readonly labels: Labels;
    /** The container ports of the pod template. */
    readonly ports: readonly ContainerPort[];
    readonly synthetic: boolean;
}

/** Where each workload kind keeps its pod template (path to the object holding `metadata` and `spec`). */
export const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
    Pod: [],
    Deployment: ["spec", "template"],
    StatefulSet: ["spec", "template"],
    DaemonSet: ["spec", "template"],
    ReplicaSet: ["spec", "template"],
    ReplicationController: ["spec", "template"],
    Job: ["spec", "template"],
    CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** True when `kind` is one of the workload kinds this module understands. */
function isWorkloadKind(kind: string): boolean {
    return Object.prototype.hasOwnProperty.call(TEMPLATE_PATH, kind);
}

/**
 * Reads the container ports of a pod spec: every container, plus init
 * containers with `restartPolicy: Always` (native sidecars, which keep running
 * and serve traffic). Protocol defaults to TCP.
 */
function containerPorts(podSpec: unknown, where: string, warn: WarnFn): ContainerPort[] {
    const out: ContainerPort[] = [];
    const containers = [
        ...(asArray(getPath(podSpec, "containers")) ?? []),
        ...(asArray(getPath(podSpec, "initContainers")) ?? []).filter((c) => asObject(c)?.restartPolicy === "Always"),
    ];
    for (const c of containers) {
        for (const p of asArray(asObject(c)?.ports) ?? []) {
            const po = asObject(p);
            const port = po?.containerPort;
            const protocol = po?.protocol ?? "TCP";
            if (typeof port !== "number" || !Number.isInteger(port) || !isProtocol(protocol)) {
                warn(`${where}: container port ${JSON.stringify(p)} is malformed; ignored`);
                continue;
            }
            const name = asString(po?.name);
            out.push(name === undefined ? { port, protocol } : { name, port, protocol });
        }
    }
    return out;
}

/** The result of scanning the input objects. */
interface ParsedCluster {
    /** Workloads sorted by name. */
    readonly workloads: Workload[];
    /** Labels of each Namespace object (already including the name label). */
    readonly namespaces: Map<string, Labels>;
}

/**
 * Collects workloads and Namespace objects. Objects without a namespace are
 * placed in `defaultNamespace`. Duplicate workload names keep the first object.
 */
export function parseCluster(objects: ReadonlyArray<Obj>, defaultNamespace: string, warn: WarnFn): ParsedCluster {
    const byName = new Map<string, Workload>();
    const namespaces = new Map<string, Labels>();
    for (const obj of objects) {
        const kind = asString(obj.kind);
        const name = asString(getPath(obj, "metadata", "name"));
        if (kind === undefined) continue;
        if (kind === "Namespace") {
            if (name === undefined) {
                warn("a Namespace object has no metadata.name; ignored");
                continue;
            }
            const labels = asStringMap(getPath(obj, "metadata", "labels"), `Namespace ${name} labels`, warn);
            namespaces.set(name, { ...labels, [NAMESPACE_NAME_LABEL]: name });
            continue;
        }
        if (!isWorkloadKind(kind)) continue;
        const namespace = asString(getPath(obj, "metadata", "namespace")) ?? defaultNamespace;
        if (name === undefined) {
            warn(`a ${kind} in namespace ${namespace} has no metadata.name; ignored`);
            continue;
        }
        const id = `${namespace}/${name}[${kind}]`;
        const template = getPath(obj, ...(TEMPLATE_PATH[kind] as string[]));
        if (asObject(template) === undefined) {
            warn(`${id}: no pod template; ignored`);
            continue;
        }
        if (byName.has(id)) {
            warn(`${id}: defined more than once; the first definition is used`);
            continue;
        }
        byName.set(id, {
            name: id,
            namespace,
            kind,
            labels: asStringMap(getPath(template, "metadata", "labels"), `${id} pod labels`, warn),
            ports: containerPorts(getPath(template, "spec"), id, warn),
            synthetic: false,
        });
    }
    const workloads = [...byName.values()].sort((a, b) => compareStrings(a.name, b.name));
    return { workloads, namespaces };
}
