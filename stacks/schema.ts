/**
 * The whole stack configuration (`agentstack:*` keys) as a zod schema.
 *
 * Every object is strict: an unknown key is an error, so a typo (or a secret smuggled into plain
 * structured config) never passes silently. Level-dependent rules live in `resolve.ts`, not here.
 */
import { z } from "zod";
import { mongodbConfig, postgresqlConfig, qdrantConfig } from "./dataStores";
import {
    DNS_SUBDOMAIN,
    cidr,
    componentName,
    hostname,
    imageRef,
    labelMap,
    port,
    quantityMem,
    replicas,
    resources,
    secretName,
    secretRef,
    userPasswordSecretRef,
} from "./primitives";

/**
 * A URL config value never carries a credential: no `user:password@`, no query string (`?api_key=`,
 * `?token=` ...) and no fragment. Such a value would be written verbatim into ConfigMaps, the
 * rendered manifests and resources.json; a credential belongs in a Secret.
 */
function credentialFreeUrl(s: string, ctx: z.RefinementCtx, what: string): void {
    let u: URL;
    try {
        u = new URL(s);
    } catch {
        return; // the URL rule itself reports it
    }
    if (u.username !== "" || u.password !== "") {
        ctx.addIssue({
            code: "custom",
            message: `must not carry credentials (user:password@ before the host): it would be written in plain text into ConfigMaps and resources.json. Remove them; ${what}`,
        });
    }
    if (u.search !== "" || s.includes("?")) {
        ctx.addIssue({
            code: "custom",
            message: `must not have a query string ("?..."): query parameters such as ?api_key= are credentials and would be written in plain text. Remove it; ${what}`,
        });
    }
    if (u.hash !== "" || s.includes("#"))
        ctx.addIssue({ code: "custom", message: 'must not have a fragment ("#..."): remove it' });
}

/** A browser origin: `https://host[:port]` exactly as browsers send it (no path, no credentials, lower case). */
const httpsOrigin = z
    .url({ protocol: /^https$/, message: "must be an https origin such as https://app.example.com" })
    .superRefine((s, ctx) => {
        credentialFreeUrl(s, ctx, "an origin is only scheme, host and port");
        let u: URL;
        try {
            u = new URL(s);
        } catch {
            return;
        }
        if (u.username === "" && u.password === "" && u.search === "" && u.hash === "" && u.origin !== s) {
            ctx.addIssue({
                code: "custom",
                message: `must be an origin exactly as a browser sends it (scheme, host, optional port; no path, no trailing '/', lower case): use "${u.origin}"`,
            });
        }
    });

export {
    DNS_LABEL,
    DNS_SUBDOMAIN,
    componentName,
    imageRef,
    resources,
    secretRef,
    type Resources,
    type SecretRef,
} from "./primitives";

/** An egress destination outside the cluster. */
const egressRule = z.strictObject({
    /** Destination CIDR. */
    cidr,
    /** TCP ports; default [443]. */
    ports: z.array(port).min(1).default([443]),
    /**
     * DNS names the workload calls at these addresses through its Envoy sidecar (HTTP_PROXY /
     * HTTPS_PROXY): ExtAuth allows exactly these names on these ports. Default none: the addresses are
     * reachable only by a direct connection (NetworkPolicy), never through the proxy.
     */
    hosts: z.array(hostname).default([]),
});

/** `agentstack:agents[]`: one agent service each. */
const agentConfig = z.strictObject({
    name: componentName,
    image: imageRef.optional(),
    /** Names of the MCP servers this agent may call (and no other). */
    mcpServers: z.array(componentName).default([]),
    minReplicas: replicas.optional(),
    maxReplicas: replicas.optional(),
    port: port.default(8080),
    resources: resources.optional(),
    logLevel: z.enum(["debug", "info", "warning", "error"]).optional(),
    /** SECURITY_MODE override; `observe` is allowed only at level 1. */
    securityMode: z.enum(["observe", "enforce"]).optional(),
    /** TOOL_INSPECTION_ENABLED. */
    toolInspection: z.boolean().default(true),
    /** This agent's own LLM API key, instead of the platform's `agentstack:llm`. */
    apiKeySecretRef: secretRef.optional(),
});

/** `agentstack:mcpServers[]`: one MCP tool server each. */
const mcpServerConfig = z.strictObject({
    name: componentName,
    image: imageRef.optional(),
    port: port.default(8000),
    minReplicas: replicas.optional(),
    maxReplicas: replicas.optional(),
    resources: resources.optional(),
    /** External addresses this server may reach (none by default). */
    egress: z.array(egressRule).default([]),
    auth: z
        .strictObject({
            /** JWT algorithm; HS256 (a generated key kept in a Secret) only where the level allows it. */
            alg: z.enum(["HS256", "RS256"]).optional(),
        })
        .default({}),
});

/** `agentstack:gateway.chatUi`: the optional chat UI (the user's image), served by the gateway at `/`. */
const chatUiConfig = z.strictObject({
    /** The chat UI's pinned image (required: there is no default UI). */
    image: imageRef,
    /** Its HTTP port. */
    port: port.default(8080),
    /** Path of its liveness/readiness probe. */
    healthPath: z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]*$/, "must be an absolute path such as /healthz")
        .default("/healthz"),
    resources: resources.optional(),
});

/** `agentstack:gateway`. */
const gatewayConfig = z.strictObject({
    /** The gateway's image; default agentstack:images.gateway (the official Envoy image). */
    image: imageRef.optional(),
    /** Public host name of the platform. */
    hostname: hostname.default("agentstack.local"),
    /** How the gateway is exposed: a Gateway API HTTPRoute (default; needs gatewayRef), an Ingress, or an OpenShift Route. */
    exposure: z.enum(["ingress", "route", "httproute"]).default("httproute"),
    /** IngressClass for `exposure: ingress`. */
    ingressClassName: z
        .string()
        .max(253)
        .regex(DNS_SUBDOMAIN, "must be an IngressClass name (DNS subdomain)")
        .default("nginx"),
    /** The Gateway API Gateway an HTTPRoute attaches to (required for `exposure: httproute`). */
    gatewayRef: z
        .strictObject({
            name: componentName,
            namespace: componentName,
            /** The HTTPS listener the route attaches to. */
            sectionName: componentName.default("https"),
            /** The plain-HTTP listener that gets the redirect route. */
            httpSectionName: componentName.default("http"),
        })
        .optional(),
    tls: z
        .strictObject({
            /** self-signed (level 1 only), cert-manager (an issuer), or secret (an existing TLS Secret). */
            mode: z.enum(["self-signed", "cert-manager", "secret"]).optional(),
            issuer: z
                .strictObject({ name: z.string(), kind: z.enum(["Issuer", "ClusterIssuer"]).default("ClusterIssuer") })
                .optional(),
            /** Existing `kubernetes.io/tls` Secret in the gateway namespace. */
            secretName: secretName.optional(),
        })
        .default({}),
    /** Browser origins allowed by CORS (exact origins, https). */
    corsOrigins: z.array(httpsOrigin).default([]),
    /** Timeout of the LLM routes, in seconds (at least 120: model calls are slow). */
    llmRouteTimeoutSeconds: z
        .number()
        .int()
        .min(120, "must be at least 120 (LLM calls take long)")
        .max(3600)
        .default(300),
    rateLimit: z
        .strictObject({
            requestsPerSecond: z.number().int().min(1).default(20),
            burst: z.number().int().min(1).default(40),
        })
        .default({ requestsPerSecond: 20, burst: 40 }),
    /** Largest request body the gateway accepts, in bytes (larger requests get 413). */
    maxRequestBytes: z.number().int().min(1024).max(104857600).default(8388608),
    /** Proxies in front of the gateway that append to X-Forwarded-For (the ingress controller / Gateway proxy = 1). */
    trustedProxyHops: z.number().int().min(0).max(5).default(1),
    /** The optional chat UI at `/`. */
    chatUi: chatUiConfig.optional(),
    minReplicas: replicas.optional(),
    maxReplicas: replicas.optional(),
    port: port.default(8080),
    resources: resources.optional(),
});

/** `agentstack:sandbox`. */
const sandboxConfig = z.strictObject({
    image: imageRef.optional(),
    /** RuntimeClass (gVisor `gvisor`/`runsc`, Kata `kata`) — the strongest isolation available. */
    runtimeClassName: z
        .string()
        .max(253)
        .regex(DNS_SUBDOMAIN, "must be a RuntimeClass name (DNS subdomain)")
        .optional(),
    port: port.default(8080),
    replicas: replicas.optional(),
    resources: resources.optional(),
    /** Size of the writable /tmp. */
    tmpSizeLimit: quantityMem.default("64Mi"),
});

/** `agentstack:llm`: the model endpoint. */
const llmConfig = z.strictObject({
    /** OpenAI-compatible base URL (MODEL_ENDPOINT). */
    endpoint: z
        .url({ protocol: /^https?$/, message: "must be a URL such as https://api.openai.com/v1" })
        .superRefine((s, ctx) =>
            credentialFreeUrl(
                s,
                ctx,
                "give the API key with agentstack:llm.apiKeySecretRef (an existing Secret) or pulumi config set --secret agentstack:llmApiKey",
            ),
        ),
    /** Default model name. */
    model: z.string().min(1).default("gpt-4o-mini"),
    /** Egress CIDRs of the endpoint (agents may reach these on 443 and nothing else outside). */
    egressCidrs: z.array(cidr).default([]),
    /** The API key as an existing Secret (alternative to the secret config value `agentstack:llmApiKey`). */
    apiKeySecretRef: secretRef.optional(),
});

/** `agentstack:cluster`: facts about the cluster the program cannot guess. */
const clusterConfig = z.strictObject({
    /** Schedulable nodes: hard anti-affinity needs at least as many as replicas. */
    schedulableNodes: z.number().int().min(1).default(1),
    /** Namespace of the ingress controller (the only "outside" that may reach the gateway and Keycloak). */
    ingressNamespace: componentName.default("ingress-nginx"),
    /** Pod labels of the ingress controller; empty = every pod of that namespace. */
    ingressPodLabels: labelMap.default({}),
    /** Namespace and labels of the cluster DNS. */
    dnsNamespace: componentName.default("kube-system"),
    dnsPodLabels: labelMap.default({ "k8s-app": "kube-dns" }),
    /** CIDRs of the API server (webhook callers); empty = any source. */
    apiServerCidrs: z.array(cidr).default([]),
    /** StorageClass for persistent volumes; unset = the cluster default. */
    storageClassName: z
        .string()
        .max(253)
        .regex(DNS_SUBDOMAIN, "must be a StorageClass name (DNS subdomain)")
        .optional(),
});

/** The official Envoy image the gateway runs (Docker Hub, envoyproxy/envoy; see docs/images.md). */
export const DEFAULT_GATEWAY_IMAGE = "envoyproxy/envoy:distroless-v1.38.4";

/**
 * `agentstack:images`: images shared by every instance of a component. The gateway is the official
 * Envoy image (pinned default); agents, MCP servers and the sandbox are the user's own programs, so
 * they have no default: set them here or per instance (see docs/images.md for the contract).
 */
const imagesConfig = z.strictObject({
    agent: imageRef.optional(),
    mcpServer: imageRef.optional(),
    gateway: imageRef.default(DEFAULT_GATEWAY_IMAGE),
    sandbox: imageRef.optional(),
});

/** OPA with the Envoy ext_authz plugin (the static, multi-arch variant; docs/images.md). */
const OPA_ENVOY_IMAGE = "openpolicyagent/opa:1.17.0-envoy-static";
/** The official Node.js image (Docker Hub `node`, an LTS release) the injector program runs on. */
const NODE_IMAGE = "node:24.20.0-alpine3.24";

/** `agentstack:zeroTrust`: ExtAuth, the Envoy sidecar and its injection webhook. */
const zeroTrustConfig = z.strictObject({
    /** ExtAuth replicas (never below the level's). */
    extauthReplicas: replicas.optional(),
    /** Envoy injector replicas (never below the level's; failurePolicy Fail needs at least 2). */
    injectorReplicas: replicas.optional(),
    /** Webhook failurePolicy; Ignore only at level 1. Default: the level's (Ignore / Fail / Fail). */
    failurePolicy: z.enum(["Ignore", "Fail"]).optional(),
    /** Webhook reinvocationPolicy. */
    reinvocationPolicy: z.enum(["Never", "IfNeeded"]).default("IfNeeded"),
    /** Webhook timeoutSeconds (at most 10). */
    webhookTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(10, "must be at most 10: a slow webhook stalls every pod creation")
        .default(5),
    /** ext_authz timeout of the sidecar, in milliseconds. */
    extAuthzTimeoutMs: z.number().int().min(50).max(5000).default(500),
    /**
     * TLS of the webhook: made by the program (@pulumi/tls, default), or by cert-manager with a CA chain
     * of the program's own (self-signed Issuer → CA → CA Issuer → serving Certificate).
     */
    webhookTls: z
        .strictObject({
            provider: z.enum(["program", "cert-manager"]).default("program"),
            /** No longer accepted (an outside issuer, e.g. ACME, gives no CA bundle): the resolver explains. */
            certManagerIssuer: z.unknown().optional(),
            /** Validity of the serving certificate, in hours (the CA's is five times longer). */
            validityHours: z.number().int().min(24).default(8760),
            /** Renew this many hours before expiry (a routine `pulumi up`, or cert-manager, rotates it). */
            earlyRenewalHours: z.number().int().min(1).default(720),
        })
        .default({ provider: "program", validityHours: 8760, earlyRenewalHours: 720 }),
    images: z
        .strictObject({
            extauth: imageRef.default(OPA_ENVOY_IMAGE),
            /** The official Node.js image the injector program runs on (docs/images.md). */
            envoyInjector: imageRef.default(NODE_IMAGE),
            envoy: imageRef.default(DEFAULT_GATEWAY_IMAGE),
        })
        .default({ extauth: OPA_ENVOY_IMAGE, envoyInjector: NODE_IMAGE, envoy: DEFAULT_GATEWAY_IMAGE }),
});

/** `agentstack:keycloak`: the identity provider. */
const keycloakConfig = z.strictObject({
    image: imageRef.default("quay.io/keycloak/keycloak:26.3.3"),
    /** keycloak-config-cli image of the realm sync Job (a `<version>-<keycloak version>` tag matching Keycloak 26). */
    realmSyncImage: imageRef.default("docker.io/adorsys/keycloak-config-cli:6.4.0-26.1.0"),
    /** Replicas (never below the level's); clustering is on exactly when replicas >= 2. */
    replicas: replicas.optional(),
    /** Public host name for browser login. Default `auth.<gateway.hostname>`. */
    hostname: hostname.optional(),
    /** Admin credentials from an existing Secret (in the identity namespace) instead of generated ones. */
    adminSecretRef: userPasswordSecretRef.optional(),
    resources: resources.optional(),
    /**
     * Addresses (IPs or CIDRs, IPv4 or IPv6) of the reverse proxy in front of Keycloak — the ingress
     * controller's pods. Keycloak reads X-Forwarded-* headers only from these (KC_PROXY_HEADERS +
     * KC_PROXY_TRUSTED_ADDRESSES); empty (the default) = it reads no forwarded header at all.
     */
    proxyTrustedAddresses: z
        .array(
            z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], {
                message: "must be an IP address or CIDR such as 10.244.0.0/16",
            }),
        )
        .default([]),
});

/**
 * `agentstack:monitoring`: how the platform plugs into the cluster's Prometheus Operator
 * (kube-prometheus-stack, or OpenShift's user-workload monitoring; docs/observability.md). The
 * platform runs no Prometheus and no log store: it creates ServiceMonitors, PodMonitors and a
 * PrometheusRule, opens exactly the metrics ports to the Prometheus pods, and states the retention
 * it needs of the stores.
 */
const monitoringConfig = z.strictObject({
    /** Scrape, alert and open the metrics ports. Default: the level's (off at level 1, on from level 2). */
    enabled: z.boolean().optional(),
    /**
     * The Prometheus that scrapes: its namespace and the labels of its pods (the only pods the
     * NetworkPolicies let reach the metrics ports). Default kube-prometheus-stack's: namespace
     * `monitoring` and the prometheus-operator's pod label `app.kubernetes.io/name: prometheus`.
     */
    prometheus: z
        .strictObject({
            namespace: componentName.default("monitoring"),
            podLabels: labelMap
                .refine(
                    (m) => Object.keys(m).length > 0,
                    "must name at least one label: an empty selector would open the metrics ports to every pod of the namespace",
                )
                .default({ "app.kubernetes.io/name": "prometheus" }),
        })
        .default({ namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } }),
    /**
     * Labels on every ServiceMonitor, PodMonitor and PrometheusRule, so the Prometheus selects them
     * (kube-prometheus-stack selects `release: <its Helm release name>` unless told otherwise).
     */
    resourceLabels: labelMap.default({ release: "kube-prometheus-stack" }),
    /** Extra labels on every alert (e.g. a routing key for Alertmanager); `severity` is the platform's own. */
    alertLabels: labelMap
        .refine(
            (m) => !("severity" in m) && !("alertname" in m),
            "must not set severity or alertname: each alert has its own severity (docs/observability.md)",
        )
        .default({}),
    /** Scrape interval of every monitor, as a Prometheus duration. */
    scrapeInterval: z
        .string()
        .regex(/^[1-9][0-9]*(s|m)$/, "must be a duration in seconds or minutes such as 30s or 1m")
        .default("30s"),
    /** Retention the metrics and log stores must keep, in days. Default: the level's (docs/observability.md). */
    retention: z
        .strictObject({
            metricsDays: z.number().int().min(1).max(3650).optional(),
            logsDays: z.number().int().min(1).max(3650).optional(),
        })
        .default({}),
});

/** `agentstack:network`. */
const networkConfig = z.strictObject({
    /** At level 1, also apply default-deny and the whole flow table (levels 2 and 3 always do). */
    defaultDenyAtLevel1: z.boolean().default(false),
});

/** Every `agentstack:*` key. The key names are the config keys without the `agentstack:` prefix. */
export const stackConfigSchema = z.strictObject({
    securityLevel: z.union([z.literal(1), z.literal(2), z.literal(3)], { message: "must be 1, 2 or 3" }),
    namespacePrefix: componentName.default("agentstack"),
    logLevel: z.enum(["debug", "info", "warning", "error"]).default("info"),
    llm: llmConfig,
    /** Set only with `pulumi config set --secret agentstack:llmApiKey`. */
    llmApiKey: z.string().min(1).optional(),
    cluster: clusterConfig.default(clusterConfig.parse({})),
    images: imagesConfig.default(imagesConfig.parse({})),
    agents: z.array(agentConfig).min(1, "at least one agent is needed"),
    mcpServers: z.array(mcpServerConfig).default([]),
    gateway: gatewayConfig.default(gatewayConfig.parse({})),
    sandbox: sandboxConfig.default(sandboxConfig.parse({})),
    zeroTrust: zeroTrustConfig.default(zeroTrustConfig.parse({})),
    network: networkConfig.default({ defaultDenyAtLevel1: false }),
    monitoring: monitoringConfig.default(monitoringConfig.parse({})),
    qdrant: qdrantConfig,
    mongodb: mongodbConfig,
    postgresql: postgresqlConfig,
    keycloak: keycloakConfig.default(keycloakConfig.parse({})),
});

/** The stack configuration after schema validation (defaults applied, level rules not yet checked). */
export type StackConfig = z.infer<typeof stackConfigSchema>;
export type McpServerConfig = z.infer<typeof mcpServerConfig>;
export type ClusterConfig = z.infer<typeof clusterConfig>;
export type ZeroTrustConfig = z.infer<typeof zeroTrustConfig>;
export type KeycloakConfig = z.infer<typeof keycloakConfig>;
/** Config keys whose value is secret material: accepted only as Pulumi secrets. */
export const SECRET_KEYS: readonly (keyof StackConfig)[] = ["llmApiKey"];
