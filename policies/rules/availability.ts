/**
 * Availability: minimum replicas per the level table, a PodDisruptionBudget for every multi-replica
 * workload that does not block node drains, and pod anti-affinity. Replica counts come from the
 * workload or the HPA that scales it, so these are stack policies.
 *
 * Rule module: defines policies, no side effects.
 */
import { AntiAffinity } from "../../stacks/levels";
import { componentOf, fixHint, replicaRule } from "../lib/components";
import { AgentstackPolicy, stackPolicy } from "../lib/define";
import { K8sObject, SCALABLE_KINDS, selectorMatches } from "../lib/k8s";
import { StackView, pdbBlocksDrain } from "../lib/stack";
import { at, list, rec, str } from "../lib/values";
import { policyMeta } from "../catalog";

const minReplicas = stackPolicy({
    meta: policyMeta("availability-min-replicas"),
    validate: (stack, ctx) => {
        for (const w of stack.workloads()) {
            const id = componentOf(w);
            if (!id || !SCALABLE_KINDS.has(w.kind)) continue;
            ctx.guard(w, "its replicas", () => {
                const need = replicaRule(id.component, ctx.profile).min;
                const have = stack.minReplicas(w) ?? 1;
                if (have < need) {
                    const hpa = stack.hpaFor(w);
                    const how = hpa
                        ? `its HPA ${hpa.name} has minReplicas ${have}`
                        : `it runs ${have} replica${have === 1 ? "" : "s"}`;
                    ctx.report(
                        w,
                        `${how}; ${ctx.levelText} requires at least ${need} for ${id.component}; ${fixHint(w, "replicas")}`,
                    );
                }
            });
        }
    },
});

/** True when the workload needs a PDB: it runs, or at this level must run, two replicas or more. */
function needsPdb(
    stack: StackView,
    w: K8sObject,
    profile: Parameters<typeof replicaRule>[1],
): { need: boolean; replicas: number } {
    const replicas = stack.minReplicas(w) ?? 1;
    const id = componentOf(w);
    const tableMin = id ? replicaRule(id.component, profile).min : 0;
    return { need: profile.pdbs && Math.max(replicas, tableMin) >= 2, replicas };
}

const pdb = stackPolicy({
    meta: policyMeta("availability-pdb"),
    validate: (stack, ctx) => {
        for (const w of stack.workloads()) {
            if (!SCALABLE_KINDS.has(w.kind)) continue;
            ctx.guard(w, "its disruption budget", () => {
                const { need, replicas } = needsPdb(stack, w, ctx.profile);
                const pdbs = stack.pdbsFor(w);
                if (need && pdbs.length === 0) {
                    ctx.report(
                        w,
                        `runs ${replicas} replica${replicas === 1 ? "" : "s"} (${ctx.levelText} makes it multi-replica) but no PodDisruptionBudget selects its pods; ${fixHint(w, "replicas")}`,
                    );
                }
                for (const p of pdbs) {
                    const why = pdbBlocksDrain(p, replicas);
                    if (why)
                        ctx.report(
                            w,
                            `PodDisruptionBudget ${p.name} blocks node drains: ${why}; ${fixHint(w, "replicas", "lower minAvailable below the replica count (or raise maxUnavailable)")}`,
                        );
                }
            });
        }
    },
});

const RANK: Readonly<Record<AntiAffinity, number>> = { none: 0, preferred: 1, required: 2 };

/** How strongly a pod spec spreads its own replicas over nodes. */
function antiAffinityStrength(spec: Record<string, unknown>, podLabels: Record<string, string>): AntiAffinity {
    let best: AntiAffinity = "none";
    const up = (a: AntiAffinity) => {
        if (RANK[a] > RANK[best]) best = a;
    };
    const selects = (term: Record<string, unknown> | undefined) =>
        !!term && (str(term, "topologyKey") ?? "") !== "" && selectorMatches(rec(term, "labelSelector"), podLabels);
    const anti = rec(spec, "affinity", "podAntiAffinity");
    list(anti, "requiredDuringSchedulingIgnoredDuringExecution").forEach((_, i) => {
        if (selects(rec(anti, "requiredDuringSchedulingIgnoredDuringExecution", i))) up("required");
    });
    list(anti, "preferredDuringSchedulingIgnoredDuringExecution").forEach((_, i) => {
        if (selects(rec(anti, "preferredDuringSchedulingIgnoredDuringExecution", i, "podAffinityTerm")))
            up("preferred");
    });
    list(spec, "topologySpreadConstraints").forEach((_, i) => {
        const t = rec(spec, "topologySpreadConstraints", i);
        if (!selectorMatches(rec(t, "labelSelector"), podLabels)) return;
        up(at(t, "whenUnsatisfiable") === "DoNotSchedule" ? "required" : "preferred");
    });
    return best;
}

const antiAffinity = stackPolicy({
    meta: policyMeta("availability-anti-affinity"),
    validate: (stack, ctx) => {
        for (const w of stack.workloads()) {
            if (!SCALABLE_KINDS.has(w.kind)) continue;
            ctx.guard(w, "its pod anti-affinity", () => {
                const id = componentOf(w);
                const rule = id ? replicaRule(id.component, ctx.profile) : undefined;
                const replicas = stack.minReplicas(w) ?? 1;
                if (Math.max(replicas, rule?.min ?? 0) < 2) return;
                const need: AntiAffinity =
                    rule && rule.antiAffinity !== "none" ? rule.antiAffinity : ctx.profile.antiAffinity;
                if (need === "none") return;
                const spec = w.podSpec() ?? {};
                const have = antiAffinityStrength(spec, w.podLabels());
                if (RANK[have] < RANK[need]) {
                    const what =
                        have === "none" ? "does not spread its pods over nodes" : "spreads its pods only preferably";
                    ctx.report(
                        w,
                        `${what}; ${ctx.levelText} requires ${need} pod anti-affinity (or a topology spread constraint) on its own pods; ${fixHint(w, "replicas", `add ${need} podAntiAffinity on kubernetes.io/hostname selecting its own labels`)}`,
                    );
                }
            });
        }
    },
});

/** The availability policies. */
export const AVAILABILITY_POLICIES: readonly AgentstackPolicy[] = [minReplicas, pdb, antiAffinity];
