/**
 * What a rendered platform asks of its nodes: the CPU and memory requests of every pod it runs, as the
 * scheduler counts them. A pod's effective request (Kubernetes "Resource sharing within containers"
 * and the sidecar containers KEP-753, native sidecars GA in 1.33, on by default from 1.29) is the
 * larger of
 *   - the sum of its app containers and of its sidecars (init containers with restartPolicy Always), and
 *   - for each other init container, its own request plus the sidecars started before it;
 * pod overhead (RuntimeClass) comes on top and is none here. Workloads count once per replica: the
 * HPA's minReplicas where one scales them, else spec.replicas (default 1). Jobs are listed apart: they
 * run at each deploy, beside everything else.
 *
 * Pods are counted as admitted: `mutate` returns the pod after the cluster's mutating webhooks (the
 * Envoy sidecar); the caller runs the real injector (see test/resources.test.ts).
 */
import { parseQuantity } from "../diff/fields";
import { selectorMatches } from "../../policies/lib/k8s";

type Obj = Record<string, any>;

/** CPU in millicores and memory in MiB. */
interface Requests {
    readonly cpuMillis: number;
    readonly memoryMiB: number;
}

/** One workload's pods. */
interface WorkloadRequests {
    readonly kind: string;
    readonly namespace: string;
    readonly name: string;
    readonly replicas: number;
    /** Whether a mutating webhook changed its pod (the Envoy sidecar). */
    readonly mutated: boolean;
    /** One pod's effective request. */
    readonly pod: Requests;
}

export interface PlatformRequests {
    readonly workloads: WorkloadRequests[];
    /** Long-running pods (Deployments, StatefulSets, DaemonSets one node's worth), × replicas. */
    readonly running: Requests;
    /** Jobs' pods (× parallelism). */
    readonly jobs: Requests;
    /** running + jobs: what the node must hold while a deploy runs its Jobs. */
    readonly total: Requests;
}

function requestsOf(container: Obj): Requests {
    const r = (container["resources"]?.["requests"] ?? {}) as Obj;
    return {
        cpuMillis: Math.round((parseQuantity(r["cpu"]) ?? 0) * 1000),
        memoryMiB: (parseQuantity(r["memory"]) ?? 0) / 2 ** 20,
    };
}

const add = (a: Requests, b: Requests): Requests => ({
    cpuMillis: a.cpuMillis + b.cpuMillis,
    memoryMiB: a.memoryMiB + b.memoryMiB,
});
const scale = (a: Requests, n: number): Requests => ({ cpuMillis: a.cpuMillis * n, memoryMiB: a.memoryMiB * n });
const ZERO: Requests = { cpuMillis: 0, memoryMiB: 0 };

/** A pod spec's effective request (see the module comment). */
export function podRequests(spec: Obj): Requests {
    let sidecars = ZERO;
    let initPeak = ZERO;
    for (const c of (spec["initContainers"] ?? []) as Obj[]) {
        const r = requestsOf(c);
        if (c["restartPolicy"] === "Always") {
            sidecars = add(sidecars, r);
        } else {
            const during = add(r, sidecars);
            initPeak = {
                cpuMillis: Math.max(initPeak.cpuMillis, during.cpuMillis),
                memoryMiB: Math.max(initPeak.memoryMiB, during.memoryMiB),
            };
        }
    }
    const steady = ((spec["containers"] ?? []) as Obj[]).map(requestsOf).reduce(add, sidecars);
    return {
        cpuMillis: Math.max(steady.cpuMillis, initPeak.cpuMillis),
        memoryMiB: Math.max(steady.memoryMiB, initPeak.memoryMiB),
    };
}

/** Whether a mutating webhook's namespace and object selectors pick a pod. */
function webhookSelects(
    webhook: Obj,
    namespaceLabels: Record<string, string>,
    podLabels: Record<string, string>,
): boolean {
    const select = (selector: Obj | undefined, labels: Record<string, string>) =>
        selector === undefined || Object.keys(selector).length === 0 || selectorMatches(selector, labels);
    return select(webhook["namespaceSelector"], namespaceLabels) && select(webhook["objectSelector"], podLabels);
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

/**
 * The requests of every workload among `objects`. `mutate(pod, webhook)` is called for each pod a
 * MutatingWebhookConfiguration's webhook selects, and returns the pod as admitted.
 */
export function platformRequests(objects: readonly Obj[], mutate: (pod: Obj, webhook: Obj) => Obj): PlatformRequests {
    const namespaces = new Map(
        objects
            .filter((o) => o["kind"] === "Namespace")
            .map((o) => [
                o["metadata"]["name"] as string,
                { ...(o["metadata"]["labels"] ?? {}), "kubernetes.io/metadata.name": o["metadata"]["name"] } as Record<
                    string,
                    string
                >,
            ]),
    );
    const webhooks = objects
        .filter((o) => o["kind"] === "MutatingWebhookConfiguration")
        .flatMap((o) => (o["webhooks"] ?? []) as Obj[]);
    const hpas = objects.filter((o) => o["kind"] === "HorizontalPodAutoscaler");
    const workloads: WorkloadRequests[] = [];
    for (const o of objects) {
        if (!WORKLOAD_KINDS.has(o["kind"])) continue;
        const ns = o["metadata"]["namespace"] as string;
        const template = o["spec"]["template"] as Obj;
        let pod: Obj = {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { namespace: ns, ...structuredClone(template["metadata"] ?? {}) },
            spec: structuredClone(template["spec"]),
        };
        let mutated = false;
        for (const w of webhooks) {
            if (
                !webhookSelects(
                    w,
                    namespaces.get(ns) ?? { "kubernetes.io/metadata.name": ns },
                    pod["metadata"]["labels"] ?? {},
                )
            )
                continue;
            const after = mutate(pod, w);
            mutated ||= after !== pod;
            pod = after;
        }
        const hpa = hpas.find(
            (h) =>
                h["metadata"]["namespace"] === ns &&
                h["spec"]["scaleTargetRef"]["kind"] === o["kind"] &&
                h["spec"]["scaleTargetRef"]["name"] === o["metadata"]["name"],
        );
        const replicas =
            o["kind"] === "Job"
                ? (o["spec"]["parallelism"] ?? 1)
                : o["kind"] === "DaemonSet"
                  ? 1
                  : hpa
                    ? (hpa["spec"]["minReplicas"] ?? 1)
                    : (o["spec"]["replicas"] ?? 1);
        workloads.push({
            kind: o["kind"],
            namespace: ns,
            name: o["metadata"]["name"],
            replicas,
            mutated,
            pod: podRequests(pod["spec"]),
        });
    }
    const sum = (ws: readonly WorkloadRequests[]) => ws.reduce((acc, w) => add(acc, scale(w.pod, w.replicas)), ZERO);
    const running = sum(workloads.filter((w) => w.kind !== "Job"));
    const jobs = sum(workloads.filter((w) => w.kind === "Job"));
    return { workloads, running, jobs, total: add(running, jobs) };
}
