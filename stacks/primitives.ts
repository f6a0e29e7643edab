/**
 * The zod primitives every part of the config schema shares: names, Secret references, image
 * references, quantities, CIDRs, ports. One definition each, so one rule everywhere.
 */
import { z } from "zod";
import { hostnameProblem, labelKeyProblem, labelValueProblem, quantityValue } from "../lib/syntax";

/** A DNS-1123 label (Kubernetes names of Services, Namespaces, ...). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (names of most other objects). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A name that becomes part of Kubernetes object names; short enough for suffixes like `-headless`. */
export const componentName = z
    .string()
    .max(40, "must be at most 40 characters (it prefixes object names)")
    .regex(DNS_LABEL, "must be a DNS label: lower-case letters, digits and '-', starting and ending alphanumeric");

export const secretName = z.string().max(253).regex(DNS_SUBDOMAIN, "must be a Kubernetes Secret name (DNS subdomain)");
export const secretKeyName = z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret data key ([-._a-zA-Z0-9]+)");

/** A reference to a key of an existing Kubernetes Secret, in the namespace of the workload that uses it. */
export const secretRef = z.strictObject({
    /** The Secret's name. */
    name: secretName,
    /** The key within the Secret. */
    key: secretKeyName,
});
export type SecretRef = z.infer<typeof secretRef>;

/**
 * A container image reference: `[registry/]repository:tag` or `...@sha256:<64 hex>`. The tag `latest`
 * and untagged references are rejected: a deploy must say exactly what it runs.
 */
export const imageRef = z
    .string()
    .regex(
        /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
        "must be an image reference such as registry.example.com/team/app:1.2.3 or ...@sha256:<digest>",
    )
    .refine((s) => /:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(s.replace(/@sha256:[a-f0-9]{64}$/, "")) || /@sha256:/.test(s), {
        message: "must pin a tag or a digest (an untagged image means `latest`)",
    })
    .refine((s) => !/:latest(@|$)/.test(s), {
        message: "must not use the tag `latest`: pin a version tag or a digest",
    });

const quantityCpu = z.string().regex(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, "must be a CPU quantity such as 250m or 1");
export const quantityMem = z.string().regex(/^[0-9]+(Ki|Mi|Gi|Ti)$/, "must be a memory quantity such as 256Mi or 1Gi");

/**
 * CPU and memory requests and limits. A request above its limit is refused here, as the API server
 * refuses it (core validation: "must be less than or equal to <resource> limit"); quantities are
 * compared by value (`500m` < `1`, `256Mi` < `1Gi`).
 */
export const resources = z
    .strictObject({
        requests: z.strictObject({ cpu: quantityCpu, memory: quantityMem }),
        limits: z.strictObject({ cpu: quantityCpu, memory: quantityMem }),
    })
    .superRefine((r, ctx) => {
        for (const k of ["cpu", "memory"] as const) {
            const req = quantityValue(r.requests[k]);
            const lim = quantityValue(r.limits[k]);
            if (req !== undefined && lim !== undefined && req > lim) {
                ctx.addIssue({
                    code: "custom",
                    path: ["requests", k],
                    message: `${r.requests[k]} is above the ${k} limit ${r.limits[k]} (Kubernetes refuses a request above its limit): lower the request or raise limits.${k}`,
                });
            }
        }
    });
export type Resources = z.infer<typeof resources>;

export const cidr = z.cidrv4({ message: "must be an IPv4 CIDR such as 203.0.113.0/24" });
export const port = z.number().int().min(1).max(65535);
export const replicas = z.number().int().min(1, "must be at least 1").max(100, "must be at most 100");
/** Kubernetes labels (a pod selector): every key and value as the API server checks them. */
export const labelMap = z.record(z.string(), z.string()).superRefine((m, ctx) => {
    for (const [k, v] of Object.entries(m)) {
        const keyProblem = labelKeyProblem(k);
        if (keyProblem) ctx.addIssue({ code: "custom", path: [k], message: `"${k}" ${keyProblem}` });
        const valueProblem = labelValueProblem(v);
        if (valueProblem) ctx.addIssue({ code: "custom", path: [k], message: `"${v}" ${valueProblem}` });
    }
});

/** A host name or IPv4 address of an external service. */
export const host = z.string().superRefine((s, ctx) => {
    const problem = hostnameProblem(s, { allowIp: true });
    if (problem)
        ctx.addIssue({
            code: "custom",
            message: `"${s}" ${problem.replace("such as agents.example.com", "such as db.example.com (or an IPv4 address)")}`,
        });
});

/** A public DNS host name (Ingress/HTTPRoute host, certificate name): never an IP address, DNS length limits. */
export const hostname = z.string().superRefine((s, ctx) => {
    const problem = hostnameProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: `"${s}" ${problem}` });
});

/** A username/password pair in an existing Secret (keys default to `username` and `password`). */
export const userPasswordSecretRef = z.strictObject({
    name: secretName,
    usernameKey: secretKeyName.default("username"),
    passwordKey: secretKeyName.default("password"),
});
