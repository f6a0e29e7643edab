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

const dataProtected = stackPolicy({
    meta: {
        name: "stateful-data-protected",
        level: 3,
        group: "stateful",
        description:
            "At level 3 every data-store resource (labelled agentstack.io/data-store) has the Pulumi protect option, so a mistaken change cannot delete data.",
        fix: "Set agentstack:securityLevel to 3 (the program sets protect on every data-store resource).",
    },
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
    meta: {
        name: "stateful-namespace-psa",
        level: 1,
        group: "stateful",
        description:
            "Every Namespace has Pod Security Admission labels: enforce at the level's standard (baseline at level 1, restricted from level 2), warn and audit restricted.",
        fix: "Set agentstack:securityLevel (components/namespaces.ts labels every zone from the level table).",
    },
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
    meta: {
        name: "stateful-namespace-quota",
        level: 2,
        group: "stateful",
        description: "From level 2 every Namespace has a ResourceQuota and a LimitRange.",
        fix: "Set agentstack:securityLevel to 2 or more (the program adds both to every zone).",
    },
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
