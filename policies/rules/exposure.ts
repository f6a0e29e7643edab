/**
 * Exposure: TLS on every Ingress, OpenShift Route and Gateway; an HTTPS redirect; a timeout of at
 * least 120 s on the routes to the agentstack gateway (LLM calls are slow); no self-signed
 * certificate from level 2.
 *
 * Rule module: defines policies, no side effects.
 */
import { fixHint } from "../lib/components";
import { AgentstackPolicy, resourcePolicy, stackPolicy } from "../lib/define";
import { K8sObject, durationSeconds } from "../lib/k8s";
import { StackView } from "../lib/stack";
import { list, rec, str } from "../lib/values";
import { CERT_SOURCE_ANNOTATION, NAME_LABEL, PART_OF, PART_OF_LABEL } from "../../lib/labels";
import { LLM_TIMEOUT_SECONDS, policyMeta } from "../catalog";

const isIngress = (o: K8sObject) =>
    o.kind === "Ingress" && (o.group === "networking.k8s.io" || o.group === "extensions");
const isRoute = (o: K8sObject) => o.is("Route", "route.openshift.io");
const isGateway = (o: K8sObject) => o.is("Gateway", "gateway.networking.k8s.io");
const isHttpRoute = (o: K8sObject) => o.is("HTTPRoute", "gateway.networking.k8s.io");

function hostCovered(host: string, tlsHosts: readonly string[]): boolean {
    return tlsHosts.some(
        (h) =>
            h === host ||
            (h.startsWith("*.") && host.endsWith(h.slice(1)) && !host.slice(0, -h.length + 1).includes(".")),
    );
}

const tls = resourcePolicy({
    meta: policyMeta("exposure-tls"),
    appliesTo: (o) => isIngress(o) || isRoute(o) || isGateway(o),
    notApplicable: "applies to Ingresses, OpenShift Routes and Gateway API Gateways",
    validate: (obj, ctx) => {
        ctx.guard(obj, "its TLS", () => {
            if (isIngress(obj)) {
                const entries = list(obj.props, "spec", "tls");
                if (entries.length === 0) {
                    ctx.report(
                        obj,
                        `serves plain HTTP only (no spec.tls); ${fixHint(obj, "tls", "add spec.tls with a certificate Secret for every host")}`,
                    );
                    return;
                }
                const tlsHosts = entries.flatMap((_, i) =>
                    list(obj.props, "spec", "tls", i, "hosts").map(
                        (__, j) => str(obj.props, "spec", "tls", i, "hosts", j) ?? "",
                    ),
                );
                const missing = list(obj.props, "spec", "rules")
                    .map((_, i) => str(obj.props, "spec", "rules", i, "host"))
                    .filter((h): h is string => h !== undefined && h !== "" && !hostCovered(h, tlsHosts));
                if (missing.length > 0)
                    ctx.report(
                        obj,
                        `host${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ha${missing.length > 1 ? "ve" : "s"} no TLS entry; ${fixHint(obj, "tls", "list every rule host under spec.tls[].hosts")}`,
                    );
            } else if (isRoute(obj)) {
                const termination = str(obj.props, "spec", "tls", "termination");
                if (!termination)
                    ctx.report(
                        obj,
                        `has no TLS termination (spec.tls); ${fixHint(obj, "tls", "set spec.tls.termination: edge (or reencrypt/passthrough)")}`,
                    );
            } else {
                const listeners = list(obj.props, "spec", "listeners").map(
                    (_, i) => str(obj.props, "spec", "listeners", i, "protocol") ?? "",
                );
                if (!listeners.some((p) => p === "HTTPS" || p === "TLS"))
                    ctx.report(
                        obj,
                        `has no HTTPS or TLS listener; ${fixHint(obj, "tls", "add an HTTPS listener with certificateRefs")}`,
                    );
            }
        });
    },
});

const REDIRECT_ANNOTATIONS: ReadonlyArray<[string, (v: string) => boolean]> = [
    ["nginx.ingress.kubernetes.io/force-ssl-redirect", (v) => v === "true"],
    ["nginx.ingress.kubernetes.io/ssl-redirect", (v) => v === "true"],
    ["ingress.kubernetes.io/ssl-redirect", (v) => v === "true"],
    ["haproxy.org/ssl-redirect", (v) => v === "true"],
    ["alb.ingress.kubernetes.io/ssl-redirect", (v) => /^\d+$/.test(v)],
    [
        "traefik.ingress.kubernetes.io/router.entrypoints",
        (v) =>
            v
                .split(",")
                .map((s) => s.trim())
                .every((s) => s === "websecure"),
    ],
    ["kubernetes.io/ingress.allow-http", (v) => v === "false"],
];

function ingressRedirects(o: K8sObject): boolean {
    const a = o.annotations;
    if (REDIRECT_ANNOTATIONS.some(([k, ok]) => a[k] !== undefined && ok(a[k]!))) return true;
    // ingress-nginx redirects to HTTPS by default when the Ingress has TLS, unless told not to.
    const cls = str(o.props, "spec", "ingressClassName") ?? a["kubernetes.io/ingress.class"] ?? "";
    return (
        cls.includes("nginx") &&
        list(o.props, "spec", "tls").length > 0 &&
        a["nginx.ingress.kubernetes.io/ssl-redirect"] !== "false"
    );
}

/** Hostnames an HTTPRoute redirects to https. */
function httpsRedirectHosts(stack: StackView): Set<string> {
    const out = new Set<string>();
    for (const r of stack.objects.filter(isHttpRoute)) {
        const redirects = list(r.props, "spec", "rules").some((_, i) =>
            list(r.props, "spec", "rules", i, "filters").some(
                (__, j) =>
                    str(r.props, "spec", "rules", i, "filters", j, "type") === "RequestRedirect" &&
                    str(r.props, "spec", "rules", i, "filters", j, "requestRedirect", "scheme") === "https",
            ),
        );
        if (!redirects) continue;
        const hosts = list(r.props, "spec", "hostnames").map((_, i) => str(r.props, "spec", "hostnames", i) ?? "");
        for (const h of hosts.length > 0 ? hosts : ["*"]) out.add(h);
    }
    return out;
}

function servesBackends(r: K8sObject): boolean {
    return list(r.props, "spec", "rules").some((_, i) => list(r.props, "spec", "rules", i, "backendRefs").length > 0);
}

const httpsRedirect = stackPolicy({
    meta: policyMeta("exposure-https-redirect"),
    validate: (stack, ctx) => {
        let redirected: Set<string> | undefined;
        for (const o of stack.objects) {
            if (!(isIngress(o) || isRoute(o) || isHttpRoute(o))) continue;
            ctx.guard(o, "its HTTPS redirect", () => {
                if (isIngress(o)) {
                    if (!ingressRedirects(o))
                        ctx.report(
                            o,
                            `does not redirect HTTP to HTTPS (no redirect annotation, or ssl-redirect: "false"); ${fixHint(o, "tls", 'set nginx.ingress.kubernetes.io/ssl-redirect: "true" (or your controller\'s equivalent)')}`,
                        );
                } else if (isRoute(o)) {
                    const p = str(o.props, "spec", "tls", "insecureEdgeTerminationPolicy");
                    if (p !== "Redirect" && p !== "None")
                        ctx.report(
                            o,
                            `allows plain HTTP (insecureEdgeTerminationPolicy ${p ?? "unset"}); ${fixHint(o, "tls", "set spec.tls.insecureEdgeTerminationPolicy: Redirect")}`,
                        );
                } else if (servesBackends(o)) {
                    redirected ??= httpsRedirectHosts(stack);
                    const hosts = list(o.props, "spec", "hostnames").map(
                        (_, i) => str(o.props, "spec", "hostnames", i) ?? "",
                    );
                    const missing = (hosts.length > 0 ? hosts : ["*"]).filter(
                        (h) => !redirected!.has(h) && !redirected!.has("*"),
                    );
                    if (missing.length > 0)
                        ctx.report(
                            o,
                            `no HTTPRoute redirects HTTP to HTTPS for ${missing.join(", ")}; ${fixHint(o, "tls", "add an HTTPRoute on the HTTP listener with a RequestRedirect filter (scheme https)")}`,
                        );
                }
            });
        }
    },
});

/** True for an exposure of the agentstack gateway (its labels, or a backend Service named gateway). */
function isAgentstackExposure(o: K8sObject): boolean {
    const l = o.labelsLoose;
    if (l[PART_OF_LABEL] === PART_OF || l[NAME_LABEL] === "gateway") return true;
    try {
        if (isIngress(o))
            return list(o.props, "spec", "rules").some((_, i) =>
                list(o.props, "spec", "rules", i, "http", "paths").some(
                    (__, j) =>
                        str(o.props, "spec", "rules", i, "http", "paths", j, "backend", "service", "name") ===
                        "gateway",
                ),
            );
        if (isRoute(o)) return str(o.props, "spec", "to", "name") === "gateway";
        if (isHttpRoute(o))
            return list(o.props, "spec", "rules").some((_, i) =>
                list(o.props, "spec", "rules", i, "backendRefs").some(
                    (__, j) => str(o.props, "spec", "rules", i, "backendRefs", j, "name") === "gateway",
                ),
            );
    } catch {
        return false;
    }
    return false;
}

const llmTimeout = resourcePolicy({
    meta: policyMeta("exposure-llm-timeout"),
    appliesTo: (o) => (isIngress(o) || isRoute(o) || isHttpRoute(o)) && isAgentstackExposure(o),
    notApplicable: "applies to the Ingress, Route or HTTPRoute of the agentstack gateway",
    validate: (obj, ctx) => {
        const tooShort = (what: string, v: string | undefined, unit: "s" | "ms", dflt: string) => {
            const secs = v === undefined ? undefined : durationSeconds(v, unit);
            if (secs === undefined || secs < LLM_TIMEOUT_SECONDS) {
                const now =
                    v === undefined
                        ? `unset (the default is ${dflt})`
                        : secs === undefined
                          ? `"${v}" (not a duration)`
                          : `${v}`;
                ctx.report(
                    obj,
                    `${what} is ${now}; LLM routes need at least ${LLM_TIMEOUT_SECONDS}s; ${fixHint(obj, "timeout", `set ${what} to at least ${LLM_TIMEOUT_SECONDS}s`)}`,
                );
            }
        };
        ctx.guard(obj, "its timeouts", () => {
            if (isIngress(obj)) {
                const a = obj.annotations;
                tooShort(
                    "nginx.ingress.kubernetes.io/proxy-read-timeout",
                    a["nginx.ingress.kubernetes.io/proxy-read-timeout"],
                    "s",
                    "60s",
                );
                tooShort(
                    "nginx.ingress.kubernetes.io/proxy-send-timeout",
                    a["nginx.ingress.kubernetes.io/proxy-send-timeout"],
                    "s",
                    "60s",
                );
            } else if (isRoute(obj)) {
                tooShort(
                    "haproxy.router.openshift.io/timeout",
                    obj.annotations["haproxy.router.openshift.io/timeout"],
                    "ms",
                    "30s",
                );
            } else {
                list(obj.props, "spec", "rules").forEach((_, i) => {
                    if (list(obj.props, "spec", "rules", i, "backendRefs").length === 0) return;
                    tooShort(
                        `spec.rules[${i}].timeouts.request`,
                        str(obj.props, "spec", "rules", i, "timeouts", "request"),
                        "s",
                        "the implementation's",
                    );
                    const backend = str(obj.props, "spec", "rules", i, "timeouts", "backendRequest");
                    if (backend !== undefined)
                        tooShort(`spec.rules[${i}].timeouts.backendRequest`, backend, "s", "request");
                });
            }
        });
    },
});

/** TLS Secrets the exposures use: `ns/name` -> the exposures. */
function tlsSecretsInUse(stack: StackView): Map<string, K8sObject[]> {
    const out = new Map<string, K8sObject[]>();
    const add = (ns: string, name: string | undefined, o: K8sObject) => {
        if (!name) return;
        const k = `${ns}/${name}`;
        out.set(k, [...(out.get(k) ?? []), o]);
    };
    for (const o of stack.objects) {
        if (isIngress(o))
            list(o.props, "spec", "tls").forEach((_, i) => add(o.ns, str(o.props, "spec", "tls", i, "secretName"), o));
        else if (isRoute(o)) add(o.ns, str(o.props, "spec", "tls", "externalCertificate", "name"), o);
        else if (isGateway(o)) {
            list(o.props, "spec", "listeners").forEach((_, i) =>
                list(o.props, "spec", "listeners", i, "tls", "certificateRefs").forEach((__, j) =>
                    add(
                        str(o.props, "spec", "listeners", i, "tls", "certificateRefs", j, "namespace") ?? o.ns,
                        str(o.props, "spec", "listeners", i, "tls", "certificateRefs", j, "name"),
                        o,
                    ),
                ),
            );
        } else if (o.is("ReferenceGrant", "gateway.networking.k8s.io")) {
            list(o.props, "spec", "to").forEach((_, i) => {
                if (str(o.props, "spec", "to", i, "kind") === "Secret")
                    add(o.ns, str(o.props, "spec", "to", i, "name"), o);
            });
        }
    }
    return out;
}

const noSelfSigned = stackPolicy({
    meta: policyMeta("exposure-no-self-signed"),
    validate: (stack, ctx) => {
        ctx.guard(undefined, "the exposures' certificates", () => {
            const inUse = tlsSecretsInUse(stack);
            for (const [key, users] of inUse) {
                const [ns, name] = key.split("/", 2) as [string, string];
                const secret = stack.find("Secret", ns, name, "");
                const names = [...new Set(users.map((u) => u.display))].join(", ");
                if (secret) {
                    ctx.guard(secret, "its certificate source", () => {
                        if (secret.annotations[CERT_SOURCE_ANNOTATION] === "self-signed") {
                            ctx.report(
                                secret,
                                `is a self-signed certificate used by ${names}; ${ctx.levelText} requires a CA-issued certificate; ${fixHint(users[0], "tls", "use a CA-issued certificate")}`,
                            );
                        }
                    });
                }
                for (const cert of stack.ofKind("Certificate", "cert-manager.io").filter((c) => c.ns === ns)) {
                    ctx.guard(cert, "its issuer", () => {
                        if (str(cert.props, "spec", "secretName") !== name) return;
                        const kind = str(cert.props, "spec", "issuerRef", "kind") ?? "Issuer";
                        const issuerName = str(cert.props, "spec", "issuerRef", "name") ?? "";
                        const issuer =
                            kind === "ClusterIssuer"
                                ? stack.find("ClusterIssuer", undefined, issuerName, "cert-manager.io")
                                : stack.find("Issuer", ns, issuerName, "cert-manager.io");
                        if (issuer && rec(issuer.props, "spec", "selfSigned") !== undefined) {
                            ctx.report(
                                cert,
                                `is issued by the selfSigned ${kind} ${issuerName} and used by ${names}; ${ctx.levelText} requires a CA-issued certificate; ${fixHint(users[0], "tls", "use a CA issuer")}`,
                            );
                        }
                    });
                }
            }
        });
    },
});

/** The exposure policies. */
export const EXPOSURE_POLICIES: readonly AgentstackPolicy[] = [tls, httpsRedirect, llmTimeout, noSelfSigned];
