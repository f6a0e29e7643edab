/**
 * Stateful data and namespaces: data stores protected by Pulumi at level 3; every namespace with
 * Pod Security Admission labels at the level's standard; a ResourceQuota and a LimitRange in every
 * namespace from level 2.
 *
 * Rule module: defines policies, no side effects.
 */
import { fixHint } from "../lib/components";
import { AgentstackPolicy, resourcePolicy, stackPolicy } from "../lib/define";
import { DATA_STORE_LABEL } from "../../lib/labels";
import { policyMeta } from "../catalog";

const dataProtected = stackPolicy({
    meta: policyMeta("stateful-data-protected"),
    validate: (stack, ctx, args) => {
        // protect is a Pulumi resource option: plain manifests cannot carry it.
        if (!stack.isPulumi)
            return args.notApplicable("protect is a Pulumi resource option; these objects are not Pulumi resources");
        const stores = stack.objects.filter((o) => o.labelsLoose[DATA_STORE_LABEL] === "true");
        for (const o of stores) {
            if (!o.protect) {
                ctx.report(
                    o,
                    `data-store resource is not protected (Pulumi protect is off): a mistaken change could delete its data; fix: set agentstack:securityLevel to ${ctx.checkLevel}`,
                );
            }
        }
    },
});

const PSA_RANK: Readonly<Record<string, number>> = { privileged: 0, baseline: 1, restricted: 2 };

const namespacePsa = resourcePolicy({
    meta: policyMeta("stateful-namespace-psa"),
    appliesTo: (o) => o.is("Namespace", ""),
    notApplicable: "applies to Namespaces",
    validate: (obj, ctx) => {
        ctx.guard(obj, "its Pod Security Admission labels", () => {
            const labels = obj.labels;
            const want = ctx.profile.podSecurity;
            for (const mode of ["enforce", "warn", "audit"] as const) {
                const key = `pod-security.kubernetes.io/${mode}`;
                const have = labels[key];
                const need = want[mode];
                if (have === undefined || (PSA_RANK[have] ?? -1) < PSA_RANK[need]!) {
                    ctx.report(
                        obj,
                        `${key} is ${have ?? "unset"}; ${ctx.levelText} requires ${need}; ${fixHint(obj, "level", `label the namespace ${key}: ${need}`, ctx.checkLevel)}`,
                    );
                }
            }
        });
    },
});

const namespaceQuota = stackPolicy({
    meta: policyMeta("stateful-namespace-quota"),
    validate: (stack, ctx, args) => {
        const namespaces = stack.namespaceObjects();
        if (namespaces.length === 0) return args.notApplicable("no Namespace objects");
        for (const ns of namespaces) {
            const missing = ["ResourceQuota", "LimitRange"].filter(
                (k) => stack.inNamespace(k, ns.name, "").length === 0,
            );
            if (missing.length > 0) {
                ctx.report(
                    ns,
                    `has no ${missing.join(" and no ")}; ${ctx.levelText} bounds every namespace; ${fixHint(ns, "level", `add a ${missing.join(" and a ")} to the namespace`, ctx.checkLevel)}`,
                );
            }
        }
    },
});

/** The stateful-data policies. */
export const STATEFUL_POLICIES: readonly AgentstackPolicy[] = [dataProtected, namespacePsa, namespaceQuota];
