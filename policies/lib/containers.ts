/**
 * A resource policy over every container an object runs: init, main and ephemeral containers of
 * every workload kind, and the Envoy sidecar described by the sidecar-template ConfigMap (checked
 * like any other container — without pod-level fallbacks, since it is injected into other pods).
 *
 * Pure: no side effects at import.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { AgentstackPolicy, Ctx, PolicyMeta, resourcePolicy } from "./define";
import { ContainerRef, ContainerRole, K8sObject, containersOf } from "./k8s";

export interface ContainerRule {
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
export function runsContainers(obj: K8sObject): boolean {
    return obj.isWorkload || obj.isSidecarTemplate;
}

export function containerPolicy(rule: ContainerRule): AgentstackPolicy {
    return resourcePolicy({
        meta: rule.meta,
        appliesTo: (o) => runsContainers(o) && (!rule.kinds || rule.kinds.has(o.isSidecarTemplate ? "ConfigMap" : o.kind)),
        notApplicable: "applies to workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) and the sidecar-template ConfigMap",
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
        notApplicable: "applies to workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob)",
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
export function proxiedPodSpec(args: ResourceValidationArgs, templatePath: readonly string[]): Record<string, any> | undefined {
    let cur: any = args.props;
    for (const p of [...templatePath, "spec"]) {
        if (cur === undefined || cur === null || typeof cur !== "object") return undefined;
        cur = cur[p];
    }
    return cur && typeof cur === "object" ? cur : undefined;
}
