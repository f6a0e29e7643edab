/**
 * `gateway`: the HTTP entry (API gateway + chat UI) and its exposure — a Kubernetes Ingress, an
 * OpenShift Route or a Gateway API HTTPRoute — always over TLS with an HTTPS redirect, a timeout of at
 * least 120 s for LLM calls, CORS restricted to the configured origins, and rate limits.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { LevelProfile } from "../stacks/levels";
import { GatewaySpec, Namespaces } from "../stacks/resolve";
import { configMapEnv } from "./env";
import { INSTANCES, agentInstance, serviceHost } from "./names";
import { HardenedWorkload, SIDECAR_LABEL, checksum, recommendedLabels } from "./workload";

/** Name of the gateway's TLS Secret (created by the program or cert-manager, unless one is given). */
export const GATEWAY_TLS_SECRET = "gateway-tls";

export interface GatewayArgs {
    /** The resolved gateway spec. */
    readonly spec: GatewaySpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespaces of the platform (the gateway lives in `gateway`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** The agents it routes to: name and port. */
    readonly agents: ReadonlyArray<{ readonly name: string; readonly port: number }>;
    /** LOG_LEVEL. Default "info". */
    readonly logLevel?: string;
}

/** The gateway's non-secret settings (its ConfigMap). */
export function gatewaySettings(args: Pick<GatewayArgs, "spec" | "namespaces" | "agents" | "logLevel">): Record<string, string> {
    const s = args.spec;
    const agents = Object.fromEntries(args.agents.map((a) => [a.name, `http://${serviceHost(agentInstance(a.name), args.namespaces.agents)}:${a.port}`]));
    return {
        PORT: String(s.port),
        PUBLIC_URL: `https://${s.hostname}`,
        AGENT_URLS: JSON.stringify(agents),
        CORS_ALLOWED_ORIGINS: s.corsOrigins.join(","),
        RATE_LIMIT_RPS: String(s.rateLimit.requestsPerSecond),
        RATE_LIMIT_BURST: String(s.rateLimit.burst),
        UPSTREAM_TIMEOUT_SECONDS: String(s.llmRouteTimeoutSeconds),
        SECURITY_HEADERS: "strict",
        LOG_LEVEL: args.logLevel ?? "info",
    };
}

/** ingress-nginx annotations: HTTPS redirect, LLM timeouts, CORS, rate limits. */
export function ingressAnnotations(s: GatewaySpec): Record<string, string> {
    const t = String(s.llmRouteTimeoutSeconds);
    const a: Record<string, string> = {
        "nginx.ingress.kubernetes.io/ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        "nginx.ingress.kubernetes.io/proxy-read-timeout": t,
        "nginx.ingress.kubernetes.io/proxy-send-timeout": t,
        "nginx.ingress.kubernetes.io/limit-rps": String(s.rateLimit.requestsPerSecond),
        "nginx.ingress.kubernetes.io/limit-burst-multiplier": String(Math.max(1, Math.ceil(s.rateLimit.burst / s.rateLimit.requestsPerSecond))),
    };
    if (s.corsOrigins.length > 0) {
        a["nginx.ingress.kubernetes.io/enable-cors"] = "true";
        a["nginx.ingress.kubernetes.io/cors-allow-origin"] = s.corsOrigins.join(", ");
        a["nginx.ingress.kubernetes.io/cors-allow-credentials"] = "true";
    }
    return a;
}

export class Gateway extends pulumi.ComponentResource {
    /** The public URL. */
    public readonly url: pulumi.Output<string>;
    /** Service name. */
    public readonly serviceName: pulumi.Output<string>;
    /** Name of the TLS Secret the exposure uses. */
    public readonly tlsSecretName: string;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:gateway:Gateway", name, {}, opts);
        const s = args.spec;
        const ns = args.namespace;
        const instance = INSTANCES.gateway;
        const labels = recommendedLabels("gateway", instance);
        const settings = gatewaySettings(args);
        const cm = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: `${instance}-config`, namespace: ns, labels },
            data: settings,
        }, { parent: this });
        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "gateway",
            instance,
            namespace: ns,
            profile: args.profile,
            replicas: { min: s.scale.min, max: s.scale.max },
            hpaMemory: true,
            podLabels: { ...SIDECAR_LABEL },
            configChecksum: checksum(settings),
            containers: [{
                name: "gateway",
                image: s.image,
                ports: [{ name: "http", containerPort: s.port }],
                env: configMapEnv(cm.metadata.name, settings),
                resources: s.resources,
                probes: { liveness: "/healthz", readiness: "/healthz" },
            }],
        }, { parent: this });

        this.tlsSecretName = s.tls.mode === "secret" ? s.tls.secretName : GATEWAY_TLS_SECRET;
        this.createTls(name, s, ns, labels);
        this.createExposure(name, s, ns, labels);

        this.serviceName = workload.serviceName;
        this.url = pulumi.output(`https://${s.hostname}`);
        this.registerOutputs({ url: this.url, serviceName: this.serviceName });
    }

    /** The certificate: self-signed (level 1 only), cert-manager, or an existing Secret (nothing to create). */
    private createTls(name: string, s: GatewaySpec, ns: pulumi.Input<string>, labels: Record<string, string>): void {
        const meta = { name: GATEWAY_TLS_SECRET, namespace: ns, labels };
        if (s.tls.mode === "self-signed") {
            const key = new tls.PrivateKey(`${name}-tls-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const cert = new tls.SelfSignedCert(`${name}-tls-cert`, {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: s.hostname, organization: "agentstack (self-signed, level 1)" },
                dnsNames: [s.hostname],
                validityPeriodHours: 24 * 90,
                earlyRenewalHours: 24 * 15,
                allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
            }, { parent: this });
            new k8s.core.v1.Secret(`${name}-tls`, {
                metadata: { ...meta, annotations: { "agentstack.io/certificate-source": "self-signed" } },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem },
            }, { parent: this });
        } else if (s.tls.mode === "cert-manager") {
            new k8s.apiextensions.CustomResource(`${name}-certificate`, {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: meta,
                spec: {
                    secretName: GATEWAY_TLS_SECRET,
                    dnsNames: [s.hostname],
                    issuerRef: { name: s.tls.issuer.name, kind: s.tls.issuer.kind, group: "cert-manager.io" },
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    duration: "2160h",
                    renewBefore: "360h",
                },
            }, { parent: this });
        }
    }

    /** Ingress, Route or HTTPRoute (+ redirect route and ReferenceGrant for the Gateway's listener). */
    private createExposure(name: string, s: GatewaySpec, ns: pulumi.Input<string>, labels: Record<string, string>): void {
        const timeout = `${s.llmRouteTimeoutSeconds}s`;
        const meta = { name: INSTANCES.gateway, namespace: ns, labels };
        if (s.exposure === "ingress") {
            new k8s.networking.v1.Ingress(`${name}-ingress`, {
                metadata: { ...meta, annotations: ingressAnnotations(s) },
                spec: {
                    ingressClassName: s.ingressClassName,
                    tls: [{ hosts: [s.hostname], secretName: this.tlsSecretName }],
                    rules: [{
                        host: s.hostname,
                        http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: INSTANCES.gateway, port: { name: "http" } } } }] },
                    }],
                },
            }, { parent: this });
        } else if (s.exposure === "route") {
            new k8s.apiextensions.CustomResource(`${name}-route`, {
                apiVersion: "route.openshift.io/v1",
                kind: "Route",
                metadata: {
                    ...meta,
                    annotations: {
                        "haproxy.router.openshift.io/timeout": timeout,
                        "haproxy.router.openshift.io/rate-limit-connections": "true",
                        "haproxy.router.openshift.io/rate-limit-connections.rate-http": String(s.rateLimit.requestsPerSecond),
                        "haproxy.router.openshift.io/hsts_header": "max-age=31536000;includeSubDomains",
                    },
                },
                spec: {
                    host: s.hostname,
                    to: { kind: "Service", name: INSTANCES.gateway, weight: 100 },
                    port: { targetPort: "http" },
                    tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect", externalCertificate: { name: this.tlsSecretName } },
                },
            }, { parent: this });
        } else {
            const ref = s.gatewayRef!;
            new k8s.apiextensions.CustomResource(`${name}-httproute`, {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: meta,
                spec: {
                    parentRefs: [{ name: ref.name, namespace: ref.namespace, sectionName: ref.sectionName }],
                    hostnames: [s.hostname],
                    rules: [{
                        matches: [{ path: { type: "PathPrefix", value: "/" } }],
                        backendRefs: [{ name: INSTANCES.gateway, port: s.port }],
                        timeouts: { request: timeout, backendRequest: timeout },
                    }],
                },
            }, { parent: this });
            new k8s.apiextensions.CustomResource(`${name}-httproute-redirect`, {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { ...meta, name: `${INSTANCES.gateway}-https-redirect` },
                spec: {
                    parentRefs: [{ name: ref.name, namespace: ref.namespace, sectionName: ref.httpSectionName }],
                    hostnames: [s.hostname],
                    rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
                },
            }, { parent: this });
            // The Gateway's HTTPS listener (in its own namespace) reads our certificate Secret.
            new k8s.apiextensions.CustomResource(`${name}-referencegrant`, {
                apiVersion: "gateway.networking.k8s.io/v1beta1",
                kind: "ReferenceGrant",
                metadata: { ...meta, name: `${INSTANCES.gateway}-tls` },
                spec: {
                    from: [{ group: "gateway.networking.k8s.io", kind: "Gateway", namespace: ref.namespace }],
                    to: [{ group: "", kind: "Secret", name: this.tlsSecretName }],
                },
            }, { parent: this });
        }
    }
}
