/**
 * A resource policy over every container an object runs: init (native sidecars included), main and ephemeral containers of
 * every workload kind, and the Envoy sidecar described by the sidecar-template ConfigMap (checked
 * like any other container — without pod-level fallbacks, since it is injected into other pods).
 *
 * Pure: no side effects at import.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { AgentstackPolicy, Ctx, PolicyMeta, resourcePolicy } from "./define";
import { ContainerRef, ContainerRole, K8sObject, containersOf } from "./k8s";
import { at, rec, str } from "./values";

interface ContainerRule {
    readonly meta: Omit<PolicyMeta, "kind">;
    /** Container roles checked (default: all). */
    readonly roles?: readonly ContainerRole[];
    /** Workload kinds checked (default: all; the sidecar template counts as "ConfigMap"). */
    readonly kinds?: ReadonlySet<string>;
    /** The check of one container: report through `ctx.report(obj, ...)`. */
    readonly check: (c: ContainerRef, obj: K8sObject, ctx: Ctx) => void;
    readonly remediate?: (args: ResourceValidationArgs) => Record<string, unknown> | undefined;
}

/** Workloads and the sidecar template. */
function runsContainers(obj: K8sObject): boolean {
    return obj.isWorkload || obj.isSidecarTemplate;
}

export function containerPolicy(rule: ContainerRule): AgentstackPolicy {
    return resourcePolicy({
        meta: rule.meta,
        appliesTo: (o) =>
            runsContainers(o) && (!rule.kinds || rule.kinds.has(o.isSidecarTemplate ? "ConfigMap" : o.kind)),
        notApplicable:
            "applies to workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) and the sidecar-template ConfigMap",
        validate: (obj, ctx) => {
            let containers: ContainerRef[] = [];
            ctx.guard(obj, "its containers", () => {
                containers = containersOf(obj);
            });
            for (const c of containers) {
                if (rule.roles && !rule.roles.includes(c.role)) continue;
                ctx.guard(obj, c.label, () => rule.check(c, obj, ctx));
            }
        },
        ...(rule.remediate ? { remediate: rule.remediate } : {}),
    });
}

/** A pod-level resource policy over workloads (not the sidecar template). */
export function podPolicy(rule: {
    readonly meta: Omit<PolicyMeta, "kind">;
    readonly check: (spec: Record<string, unknown>, obj: K8sObject, ctx: Ctx) => void;
    readonly remediate?: (args: ResourceValidationArgs) => Record<string, unknown> | undefined;
}): AgentstackPolicy {
    return resourcePolicy({
        meta: rule.meta,
        appliesTo: (o) => o.isWorkload,
        notApplicable:
            "applies to workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)",
        validate: (obj, ctx) => {
            ctx.guard(obj, "its pod spec", () => {
                const spec = obj.podSpec();
                if (spec) rule.check(spec, obj, ctx);
            });
        },
        ...(rule.remediate ? { remediate: rule.remediate } : {}),
    });
}

/**
 * The pod spec of a workload, read through the engine's proxies for in-place remediation; undefined
 * when the path is absent.
 */
export function proxiedPodSpec(
    args: ResourceValidationArgs,
    templatePath: readonly string[],
): Record<string, any> | undefined {
    let cur: any = args.props;
    for (const p of [...templatePath, "spec"]) {
        if (cur === undefined || cur === null || typeof cur !== "object") return undefined;
        cur = cur[p];
    }
    return cur && typeof cur === "object" ? cur : undefined;
}

/** A pod as a Pod Security Standards check sees it (the sidecar template: one container, no pod). */
interface PodView {
    /** The pod spec (undefined for the sidecar template: it is injected into pods it does not control). */
    readonly spec?: Record<string, unknown>;
    /**
     * The pod's annotations (a workload's pod-template annotations) whose key starts with `prefix`;
     * throws Unverifiable only when the map or one of those values is unknown (an unknown checksum
     * annotation does not stop an AppArmor check).
     */
    annotationsWithPrefix(prefix: string): [string, string][];
    /** Every container: init, native sidecar, main, ephemeral (or the injected sidecar). */
    readonly containers: readonly ContainerRef[];
    /** `spec.os.name: windows` (PSA exempts such pods from a few restricted checks). */
    readonly windows: boolean;
}

/**
 * A Pod Security Standards policy: one check of the pod-level fields (never run for the sidecar
 * template) and one per container, each guarded on its own so that an unknown value is reported
 * where it is. Applies to every workload kind and to the sidecar-template ConfigMap.
 */
export function pssPolicy(rule: {
    readonly meta: Omit<PolicyMeta, "kind">;
    readonly checkPod?: (pod: PodView & { readonly spec: Record<string, unknown> }, obj: K8sObject, ctx: Ctx) => void;
    readonly checkContainer?: (c: ContainerRef, pod: PodView, obj: K8sObject, ctx: Ctx) => void;
    readonly remediate?: (args: ResourceValidationArgs) => Record<string, unknown> | undefined;
}): AgentstackPolicy {
    return resourcePolicy({
        meta: rule.meta,
        appliesTo: runsContainers,
        notApplicable:
            "applies to workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) and the sidecar-template ConfigMap",
        validate: (obj, ctx) => {
            let pod: PodView | undefined;
            ctx.guard(obj, "its pod spec", () => {
                const spec = obj.isSidecarTemplate ? undefined : obj.podSpec();
                if (!obj.isSidecarTemplate && !spec) return;
                pod = {
                    ...(spec ? { spec } : {}),
                    annotationsWithPrefix: (prefix: string) => {
                        if (obj.isSidecarTemplate || !obj.templatePath) return [];
                        const path = [...obj.templatePath, "metadata", "annotations"];
                        const m = rec(obj.props, ...path) ?? {};
                        return Object.keys(m)
                            .filter((k) => k.startsWith(prefix))
                            .map((k): [string, string] => {
                                const v = at(obj.props, ...path, k);
                                return [k, typeof v === "string" ? v : String(v)];
                            });
                    },
                    containers: containersOf(obj),
                    windows: spec ? str(spec, "os", "name") === "windows" : false,
                };
            });
            const p = pod;
            if (!p) return;
            const spec = p.spec;
            if (rule.checkPod && spec) ctx.guard(obj, "the pod", () => rule.checkPod!({ ...p, spec }, obj, ctx));
            if (rule.checkContainer)
                for (const c of p.containers) ctx.guard(obj, c.label, () => rule.checkContainer!(c, p, obj, ctx));
        },
        ...(rule.remediate ? { remediate: rule.remediate } : {}),
    });
}
