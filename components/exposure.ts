/**
 * `Exposure`: how a Service is reached from outside — a Gateway API HTTPRoute (the default), a
 * Kubernetes Ingress or an OpenShift Route — always over TLS with an HTTPS redirect and a long timeout
 * for LLM calls. CORS, rate limits and security headers are the gateway's own (Envoy), so the edge adds
 * no CORS headers of its own (two sets of Access-Control-* headers break browsers). The certificate is
 * self-signed (level 1 only), issued by cert-manager (and `pulumi up` waits until it is Ready), or an
 * existing Secret. The gateway and Keycloak's login both use it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { GatewaySpec } from "../stacks/resolve";
import { CERT_SOURCE_ANNOTATION } from "../lib/labels";

export interface ExposureArgs {
    /** Public host name. */
    readonly hostname: string;
    /** Namespace of the Service (and of every object created here). */
    readonly namespace: pulumi.Input<string>;
    /** The Service exposed: name and port number (its port is named `http`). */
    readonly service: { readonly name: string; readonly port: number };
    /** Exposure settings: kind, ingress class, Gateway reference, TLS, timeouts, CORS, rate limits. */
    readonly settings: Pick<
        GatewaySpec,
        "exposure" | "ingressClassName" | "gatewayRef" | "tls" | "llmRouteTimeoutSeconds" | "corsOrigins" | "rateLimit"
    >;
    /** Labels of every object. */
    readonly labels: Record<string, string>;
}

/** How long `pulumi up` waits for a cert-manager Certificate to become Ready (ACME issuance takes minutes). */
const CERTIFICATE_WAIT_SECONDS = 600;
/** The OpenShift router's ServiceAccount (it reads a Route's externalCertificate Secret). */
const OPENSHIFT_ROUTER = { namespace: "openshift-ingress", name: "router" } as const;

/** ingress-nginx annotations: HTTPS redirect, timeouts, a per-client rate limit (CORS is the gateway's). */
function ingressAnnotations(s: ExposureArgs["settings"]): Record<string, string> {
    const t = String(s.llmRouteTimeoutSeconds);
    const a: Record<string, string> = {
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": t,
        "nginx.ingress.kubernetes.io/proxy-send-timeout": t,
        "nginx.ingress.kubernetes.io/limit-rps": String(s.rateLimit.requestsPerSecond),
        "nginx.ingress.kubernetes.io/limit-burst-multiplier": String(
            Math.max(1, Math.ceil(s.rateLimit.burst / s.rateLimit.requestsPerSecond)),
        ),
    };
    return a;
}

/** Name of the TLS Secret an exposure uses: the user's existing Secret, or `<service>-tls`. */
export function exposureTlsSecretName(s: ExposureArgs["settings"], service: string): string {
    return s.tls.mode === "secret" ? s.tls.secretName : `${service}-tls`;
}

type Meta = { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
type CustomResourceArgs = k8s.apiextensions.CustomResourceArgs;

/** The cert-manager Certificate that issues the TLS Secret (creates nothing). */
export function certificateArgs(
    a: ExposureArgs,
    tlsMeta: Meta,
    tlsSecretName: string,
    issuer: { readonly name: string; readonly kind: string },
): CustomResourceArgs {
    return {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: {
            ...tlsMeta,
            // The provider waits for the Ready condition: `pulumi up` fails instead of succeeding
            // while the site still serves the controller's default certificate.
            annotations: {
                "pulumi.com/waitFor": "condition=Ready",
                "pulumi.com/timeoutSeconds": String(CERTIFICATE_WAIT_SECONDS),
            },
        },
        spec: {
            secretName: tlsSecretName,
            dnsNames: [a.hostname],
            issuerRef: { name: issuer.name, kind: issuer.kind, group: "cert-manager.io" },
            privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
            duration: "2160h",
            renewBefore: "360h",
        },
    };
}

/** The Ingress (creates nothing). */
export function ingressArgs(a: ExposureArgs, meta: Meta, tlsSecretName: string): k8s.networking.v1.IngressArgs {
    const s = a.settings;
    return {
        metadata: { ...meta, annotations: ingressAnnotations(s) },
        spec: {
            ingressClassName: s.ingressClassName,
            tls: [{ hosts: [a.hostname], secretName: tlsSecretName }],
            rules: [
                {
                    host: a.hostname,
                    http: {
                        paths: [
                            {
                                path: "/",
                                pathType: "Prefix",
                                backend: { service: { name: a.service.name, port: { name: "http" } } },
                            },
                        ],
                    },
                },
            ],
        },
    };
}

/** The OpenShift Route (creates nothing): edge TLS from the external certificate Secret, HTTPS redirect, timeout, rate limit, HSTS. */
export function routeArgs(a: ExposureArgs, meta: Meta, tlsSecretName: string): CustomResourceArgs {
    const s = a.settings;
    return {
        apiVersion: "route.openshift.io/v1",
        kind: "Route",
        metadata: {
            ...meta,
            annotations: {
                "haproxy.router.openshift.io/timeout": `${s.llmRouteTimeoutSeconds}s`,
                "haproxy.router.openshift.io/rate-limit-connections": "true",
                "haproxy.router.openshift.io/rate-limit-connections.rate-http": String(s.rateLimit.requestsPerSecond),
                "haproxy.router.openshift.io/hsts_header": "max-age=31536000;includeSubDomains",
            },
        },
        spec: {
            host: a.hostname,
            to: { kind: "Service", name: a.service.name, weight: 100 },
            port: { targetPort: "http" },
            tls: {
                termination: "edge",
                insecureEdgeTerminationPolicy: "Redirect",
                externalCertificate: { name: tlsSecretName },
            },
        },
    };
}

/** The Gateway API objects (create nothing): the HTTPRoute, the HTTP→HTTPS redirect route and the certificate's ReferenceGrant. */
export function gatewayApiArgs(
    a: ExposureArgs,
    meta: Meta,
    tlsSecretName: string,
): { route: CustomResourceArgs; redirect: CustomResourceArgs; referenceGrant: CustomResourceArgs } {
    const s = a.settings;
    const ref = s.gatewayRef!;
    const timeout = `${s.llmRouteTimeoutSeconds}s`;
    return {
        route: {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: meta,
            spec: {
                parentRefs: [{ name: ref.name, namespace: ref.namespace, sectionName: ref.sectionName }],
                hostnames: [a.hostname],
                rules: [
                    {
                        matches: [{ path: { type: "PathPrefix", value: "/" } }],
                        backendRefs: [{ name: a.service.name, port: a.service.port }],
                        timeouts: { request: timeout, backendRequest: timeout },
                    },
                ],
            },
        },
        redirect: {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { ...meta, name: `${a.service.name}-https-redirect` },
            spec: {
                parentRefs: [{ name: ref.name, namespace: ref.namespace, sectionName: ref.httpSectionName }],
                hostnames: [a.hostname],
                rules: [
                    { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
                ],
            },
        },
        // The Gateway's HTTPS listener (in its own namespace) reads the certificate Secret here.
        referenceGrant: {
            apiVersion: "gateway.networking.k8s.io/v1beta1",
            kind: "ReferenceGrant",
            metadata: { ...meta, name: `${a.service.name}-tls` },
            spec: {
                from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: ref.namespace }],
                to: [{ group: "", kind: "Secret", name: tlsSecretName }],
            },
        },
    };
}

/** Creates the TLS source (self-signed Secret or cert-manager Certificate; none for the user's Secret) below `parent`. */
function createTlsSource(
    name: string,
    a: ExposureArgs,
    tlsMeta: Meta,
    tlsSecretName: string,
    parent: pulumi.Resource,
): pulumi.Resource | undefined {
    const t = a.settings.tls;
    if (t.mode === "self-signed") {
        const key = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
        const cert = new tls.SelfSignedCert(
            `${name}-tls-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: a.hostname, organization: "agentstack (self-signed, level 1)" },
                dnsNames: [a.hostname],
                validityPeriodHours: 24 * 90,
                earlyRenewalHours: 24 * 15,
                allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
            },
            { parent },
        );
        return new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: { ...tlsMeta, annotations: { [CERT_SOURCE_ANNOTATION]: "self-signed" } },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem },
            },
            { parent },
        );
    }
    if (t.mode === "cert-manager")
        return new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            certificateArgs(a, tlsMeta, tlsSecretName, t.issuer),
            { parent },
        );
    return undefined;
}

/** Creates an exposure's children below `parent`: the TLS source, then the Ingress, the Route (with its Secret reader) or the Gateway API routes. */
function createExposure(
    name: string,
    args: ExposureArgs,
    parent: pulumi.Resource,
): { url: pulumi.Output<string>; tlsSecretName: string } {
    const s = args.settings;
    const svc = args.service.name;
    const tlsSecretName = exposureTlsSecretName(s, svc);
    const meta = { name: svc, namespace: args.namespace, labels: args.labels };
    const tlsMeta = { name: tlsSecretName, namespace: args.namespace, labels: args.labels };
    // The object that makes the TLS Secret exist (none when it is the user's existing Secret).
    const tlsSource = createTlsSource(name, args, tlsMeta, tlsSecretName, parent);
    if (s.exposure === "ingress") {
        new k8s.networking.v1.Ingress(`${name}-ingress`, ingressArgs(args, meta, tlsSecretName), { parent });
    } else if (s.exposure === "route") {
        // The router validates (and later reads) the externalCertificate Secret as its own
        // ServiceAccount: it needs get, list and watch on exactly that Secret.
        const reader = new k8s.rbac.v1.Role(
            `${name}-route-tls-reader`,
            {
                metadata: { ...meta, name: `${svc}-route-tls-reader` },
                rules: [
                    {
                        apiGroups: [""],
                        resources: ["secrets"],
                        resourceNames: [tlsSecretName],
                        verbs: ["get", "list", "watch"],
                    },
                ],
            },
            { parent },
        );
        const binding = new k8s.rbac.v1.RoleBinding(
            `${name}-route-tls-reader`,
            {
                metadata: { ...meta, name: `${svc}-route-tls-reader` },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: reader.metadata.name },
                subjects: [
                    { kind: "ServiceAccount", name: OPENSHIFT_ROUTER.name, namespace: OPENSHIFT_ROUTER.namespace },
                ],
            },
            { parent },
        );
        new k8s.apiextensions.CustomResource(`${name}-route`, routeArgs(args, meta, tlsSecretName), {
            parent,
            dependsOn: [binding, ...(tlsSource ? [tlsSource] : [])],
        });
    } else {
        const g = gatewayApiArgs(args, meta, tlsSecretName);
        new k8s.apiextensions.CustomResource(`${name}-httproute`, g.route, { parent });
        new k8s.apiextensions.CustomResource(`${name}-httproute-redirect`, g.redirect, { parent });
        new k8s.apiextensions.CustomResource(`${name}-referencegrant`, g.referenceGrant, { parent });
    }
    return { url: pulumi.output(`https://${args.hostname}`), tlsSecretName };
}

export class Exposure extends pulumi.ComponentResource {
    /** `https://<hostname>`. */
    public readonly url: pulumi.Output<string>;
    /** Name of the TLS Secret the exposure uses. */
    public readonly tlsSecretName: string;

    constructor(name: string, args: ExposureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:exposure:Exposure", name, {}, opts);
        const out = createExposure(name, args, this);
        this.url = out.url;
        this.tlsSecretName = out.tlsSecretName;
        this.registerOutputs({ url: this.url });
    }
}
