/**
 * Hand-made Kubernetes objects for the policy tests and examples: a small agentstack platform that
 * meets every level-3 policy (`cleanWorld`), and the bad manifests of the acceptance criteria
 * (`badManifests`). Each policy test breaks one thing of a fresh clean world.
 */
import YAML from "yaml";
import { EngineResource } from "./engine";
import { manifestResources } from "./manifests";
import { namespacesFor } from "../../stacks/resolve";

export type Obj = Record<string, any>;

/** A digest-pinned image (so the clean world has no advisory either). */
export function image(repo: string, tag = "1.0.0"): string {
    return `${repo}:${tag}@sha256:${"a".repeat(64)}`;
}

export const NS = namespacesFor("agentstack");

const PSA = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
};

/** A hardened container. */
function container(
    name: string,
    img: string,
    ports: { name: string; containerPort: number }[] = [{ name: "http", containerPort: 8080 }],
    extra: Obj = {},
): Obj {
    return {
        name,
        image: img,
        ports: ports.map((p) => ({ ...p, protocol: "TCP" })),
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        livenessProbe: { httpGet: { path: "/healthz", port: ports[0]?.name ?? 8080 } },
        readinessProbe: { httpGet: { path: "/healthz", port: ports[0]?.name ?? 8080 } },
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        ...extra,
    };
}

/** A hardened pod spec. */
function podSpec(
    containers: Obj[],
    selector: Record<string, string>,
    antiAffinity: "preferred" | "required" | "none" = "preferred",
): Obj {
    const term = { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" };
    return {
        automountServiceAccountToken: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
        },
        ...(antiAffinity === "preferred"
            ? {
                  affinity: {
                      podAntiAffinity: {
                          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }],
                      },
                  },
              }
            : antiAffinity === "required"
              ? { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } } }
              : {}),
        containers,
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

interface WorkloadArgs {
    readonly ns: string;
    readonly name: string;
    readonly component: string;
    readonly kind?: "Deployment" | "StatefulSet";
    readonly replicas?: number;
    readonly hpaMin?: number;
    readonly podLabels?: Record<string, string>;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly containers: Obj[];
    readonly antiAffinity?: "preferred" | "required" | "none";
    readonly pdbMinAvailable?: number;
    readonly servicePorts?: { name: string; port: number; targetPort?: string | number }[];
}

/** A workload with its Service, PDB and (when autoscaled) HPA. */
function workload(a: WorkloadArgs): Obj[] {
    const selector = { "app.kubernetes.io/name": a.component, "app.kubernetes.io/instance": a.name };
    const labels = { ...selector, "app.kubernetes.io/part-of": "agentstack", ...(a.labels ?? {}) };
    const kind = a.kind ?? "Deployment";
    const out: Obj[] = [
        {
            apiVersion: "apps/v1",
            kind,
            metadata: {
                name: a.name,
                namespace: a.ns,
                labels,
                ...(a.annotations ? { annotations: a.annotations } : {}),
            },
            spec: {
                ...(a.hpaMin === undefined ? { replicas: a.replicas ?? 2 } : {}),
                ...(kind === "StatefulSet" ? { serviceName: `${a.name}-headless` } : {}),
                selector: { matchLabels: selector },
                template: {
                    metadata: { labels: { ...labels, ...(a.podLabels ?? {}) } },
                    spec: podSpec(a.containers, selector, a.antiAffinity ?? "preferred"),
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: a.name, namespace: a.ns, labels },
            spec: {
                type: "ClusterIP",
                selector,
                ports: (a.servicePorts ?? [{ name: "http", port: 8080, targetPort: "http" }]).map((p) => ({
                    protocol: "TCP",
                    targetPort: p.name,
                    ...p,
                })),
            },
        },
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: { name: a.name, namespace: a.ns, labels },
            spec: { minAvailable: a.pdbMinAvailable ?? 1, selector: { matchLabels: selector } },
        },
    ];
    if (a.hpaMin !== undefined) {
        out.push({
            apiVersion: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            metadata: { name: a.name, namespace: a.ns, labels },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind, name: a.name },
                minReplicas: a.hpaMin,
                maxReplicas: 10,
                metrics: [],
            },
        });
    }
    return out;
}

function configMap(ns: string, name: string, data: Record<string, string>, labels: Record<string, string> = {}): Obj {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: ns, labels: { "app.kubernetes.io/part-of": "agentstack", ...labels } },
        data,
    };
}

function fromConfigMap(cm: string, keys: string[]): Obj[] {
    return keys.map((k) => ({ name: k, valueFrom: { configMapKeyRef: { name: cm, key: k } } }));
}

function netpol(ns: string, name: string, spec: Obj): Obj {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

const SIDECAR = { sidecar: "envoy" };

/** The Envoy sidecar container of the template. */
export function sidecarContainerObject(): Obj {
    return {
        ...container("envoy", image("envoyproxy/envoy", "v1.34.1"), [{ name: "envoy-admin", containerPort: 9901 }]),
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 101,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
    };
}

/** An Envoy bootstrap with an ext_authz filter. */
export function envoyBootstrapObject(failureModeAllow: boolean | undefined = false): Obj {
    const extAuthz: Obj = {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
        grpc_service: { envoy_grpc: { cluster_name: "extauth" } },
        transport_api_version: "V3",
    };
    if (failureModeAllow !== undefined) extAuthz["failure_mode_allow"] = failureModeAllow;
    return {
        static_resources: {
            listeners: [
                {
                    name: "outbound",
                    filter_chains: [
                        {
                            filters: [
                                {
                                    name: "envoy.filters.network.http_connection_manager",
                                    typed_config: {
                                        "@type":
                                            "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                                        http_filters: [
                                            { name: "envoy.filters.http.ext_authz", typed_config: extAuthz },
                                            { name: "envoy.filters.http.router" },
                                        ],
                                    },
                                },
                            ],
                        },
                    ],
                },
            ],
        },
    };
}

/** The sidecar-template ConfigMap. */
export function sidecarTemplate(sidecar: Obj = sidecarContainerObject(), bootstrap: Obj = envoyBootstrapObject()): Obj {
    return configMap(
        NS.system,
        "envoy-sidecar-template",
        { "sidecar.yaml": YAML.stringify(sidecar), "envoy.yaml": YAML.stringify(bootstrap) },
        {
            "agentstack.io/sidecar-template": "true",
            "app.kubernetes.io/name": "envoy-injector",
        },
    );
}

/** A small agentstack platform that passes every policy at level 3 (no advisory either). */
export function cleanWorld(): Obj[] {
    const out: Obj[] = [];
    const zones: [keyof typeof NS, boolean][] = [
        ["gateway", true],
        ["agents", true],
        ["mcp", true],
        ["sandbox", false],
        ["system", false],
        ["identity", false],
        ["data", false],
    ];
    for (const [zone, injected] of zones) {
        const ns = NS[zone];
        out.push({
            apiVersion: "v1",
            kind: "Namespace",
            metadata: {
                name: ns,
                labels: {
                    "app.kubernetes.io/part-of": "agentstack",
                    "agentstack.io/zone": zone,
                    ...PSA,
                    ...(injected ? { "agentstack.io/envoy-injection": "enabled" } : {}),
                },
            },
        });
        out.push({
            apiVersion: "v1",
            kind: "ResourceQuota",
            metadata: { name: "agentstack", namespace: ns },
            spec: { hard: { pods: "60" } },
        });
        out.push({
            apiVersion: "v1",
            kind: "LimitRange",
            metadata: { name: "agentstack", namespace: ns },
            spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "512Mi" } }] },
        });
        out.push(netpol(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }));
    }

    out.push(
        configMap(
            NS.gateway,
            "gateway-config",
            { PORT: "8080", LOG_LEVEL: "info" },
            { "app.kubernetes.io/name": "gateway" },
        ),
    );
    out.push(
        ...workload({
            ns: NS.gateway,
            name: "gateway",
            component: "gateway",
            hpaMin: 2,
            podLabels: SIDECAR,
            containers: [
                container("gateway", image("envoyproxy/envoy", "distroless-v1.38.4"), undefined, {
                    env: fromConfigMap("gateway-config", ["LOG_LEVEL", "PORT"]),
                }),
            ],
        }),
    );

    out.push(
        configMap(
            NS.agents,
            "agent-alpha-config",
            {
                SECURITY_MODE: "enforce",
                MODEL_ENDPOINT: "https://llm.example.com/v1",
                MCP_AUTH_TOKEN_URL: "http://keycloak.agentstack-identity.svc.cluster.local:8080/token",
            },
            { "app.kubernetes.io/name": "agent" },
        ),
    );
    out.push(
        ...workload({
            ns: NS.agents,
            name: "agent-alpha",
            component: "agent",
            hpaMin: 2,
            podLabels: SIDECAR,
            containers: [
                container("agent", image("registry.example.com/acme/agent", "1.0.0"), undefined, {
                    env: [
                        ...fromConfigMap("agent-alpha-config", [
                            "MCP_AUTH_TOKEN_URL",
                            "MODEL_ENDPOINT",
                            "SECURITY_MODE",
                        ]),
                        { name: "OPENAI_API_KEY", valueFrom: { secretKeyRef: { name: "llm", key: "key" } } },
                    ],
                }),
            ],
        }),
    );

    out.push(
        configMap(
            NS.mcp,
            "mcp-search-config",
            {
                MCP_AUTH_JWT_ALG: "RS256",
                MCP_AUTH_JWT_JWKS_URI:
                    "http://keycloak.agentstack-identity.svc.cluster.local:8080/realms/agentstack/protocol/openid-connect/certs",
            },
            { "app.kubernetes.io/name": "mcp-server" },
        ),
    );
    out.push(
        ...workload({
            ns: NS.mcp,
            name: "mcp-search",
            component: "mcp-server",
            hpaMin: 2,
            podLabels: SIDECAR,
            containers: [
                container("mcp-server", image("registry.example.com/acme/mcp-server", "1.0.0"), undefined, {
                    env: fromConfigMap("mcp-search-config", ["MCP_AUTH_JWT_ALG", "MCP_AUTH_JWT_JWKS_URI"]),
                }),
            ],
        }),
    );

    out.push(
        ...workload({
            ns: NS.sandbox,
            name: "sandbox",
            component: "sandbox",
            replicas: 2,
            containers: [container("sandbox", image("registry.example.com/acme/sandbox", "1.0.0"))],
        }),
    );
    out.push(
        netpol(NS.sandbox, "sandbox", {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "sandbox" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "agentstack.io/zone": "agents" } },
                            podSelector: { matchLabels: { "app.kubernetes.io/name": "agent" } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8080 }],
                },
            ],
        }),
    );

    out.push(
        ...workload({
            ns: NS.system,
            name: "extauth",
            component: "extauth",
            replicas: 3,
            containers: [
                container("extauth", image("openpolicyagent/opa", "1.17.0-envoy-static"), [
                    { name: "grpc", containerPort: 9191 },
                ]),
            ],
            servicePorts: [{ name: "grpc", port: 9191 }],
        }),
    );
    out.push(
        netpol(NS.system, "extauth", {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "extauth" } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [{ namespaceSelector: {}, podSelector: { matchLabels: SIDECAR } }],
                    ports: [{ protocol: "TCP", port: 9191 }],
                },
            ],
        }),
    );
    out.push(
        ...workload({
            ns: NS.system,
            name: "envoy-injector",
            component: "envoy-injector",
            replicas: 2,
            antiAffinity: "required",
            containers: [
                container("envoy-injector", image("node", "24.20.0-alpine3.24"), [
                    { name: "https", containerPort: 8443 },
                ]),
            ],
            servicePorts: [{ name: "https", port: 443, targetPort: "https" }],
        }),
    );
    out.push({
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingWebhookConfiguration",
        metadata: {
            name: "envoy-injector",
            labels: { "app.kubernetes.io/name": "envoy-injector", "app.kubernetes.io/part-of": "agentstack" },
        },
        webhooks: [
            {
                name: "sidecar.envoy-injector.agentstack.io",
                failurePolicy: "Fail",
                sideEffects: "None",
                admissionReviewVersions: ["v1"],
                clientConfig: {
                    service: { namespace: NS.system, name: "envoy-injector", path: "/inject", port: 443 },
                    caBundle: "Q0E=",
                },
                namespaceSelector: { matchLabels: { "agentstack.io/envoy-injection": "enabled" } },
                objectSelector: { matchLabels: SIDECAR },
                rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
            },
        ],
    });
    // Observability (issue 16): the injector is scraped and alerted on, as the program does with monitoring on.
    out.push({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: {
            name: "envoy-injector",
            namespace: NS.system,
            labels: { "app.kubernetes.io/part-of": "agentstack" },
        },
        spec: {
            selector: { matchLabels: { "app.kubernetes.io/name": "envoy-injector" } },
            endpoints: [{ port: "https", scheme: "https", path: "/metrics" }],
        },
    });
    out.push({
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "agentstack", namespace: NS.system, labels: { "app.kubernetes.io/part-of": "agentstack" } },
        spec: {
            groups: [
                {
                    name: "agentstack",
                    rules: [
                        {
                            alert: "EnvoyInjectorUnavailable",
                            expr: `sum(kube_deployment_status_replicas_available{namespace="${NS.system}",deployment="envoy-injector"}) < 1`,
                            for: "2m",
                            labels: { severity: "critical" },
                        },
                    ],
                },
            ],
        },
    });
    out.push(sidecarTemplate());

    out.push(
        ...workload({
            ns: NS.identity,
            name: "keycloak",
            component: "keycloak",
            replicas: 3,
            containers: [
                container(
                    "keycloak",
                    image("quay.io/keycloak/keycloak", "26.3.3"),
                    [
                        { name: "http", containerPort: 8080 },
                        { name: "management", containerPort: 9000 },
                    ],
                    {
                        args: ["start", "--optimized"],
                        env: [
                            { name: "KC_CACHE", value: "ispn" },
                            { name: "KC_CACHE_STACK", value: "jdbc-ping" },
                            {
                                name: "KC_DB_PASSWORD",
                                valueFrom: { secretKeyRef: { name: "keycloak-db", key: "password" } },
                            },
                        ],
                        livenessProbe: { httpGet: { path: "/health/live", port: "management" } },
                        readinessProbe: { httpGet: { path: "/health/ready", port: "management" } },
                    },
                ),
            ],
        }),
    );
    out.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "keycloak-headless", namespace: NS.identity },
        spec: {
            clusterIP: "None",
            selector: { "app.kubernetes.io/name": "keycloak", "app.kubernetes.io/instance": "keycloak" },
            ports: [{ name: "jgroups", port: 7800 }],
        },
    });

    out.push(
        ...workload({
            ns: NS.data,
            name: "qdrant",
            component: "qdrant",
            kind: "StatefulSet",
            replicas: 3,
            pdbMinAvailable: 2,
            labels: { "agentstack.io/data-store": "true" },
            podLabels: { "agentstack.io/data-store": "true" },
            annotations: {
                "agentstack.io/clients": JSON.stringify([
                    { namespace: NS.agents, podLabels: { "app.kubernetes.io/name": "agent" } },
                ]),
            },
            containers: [
                container("qdrant", image("qdrant/qdrant", "v1.15.1"), [{ name: "http", containerPort: 6333 }], {
                    env: [
                        {
                            name: "QDRANT__SERVICE__API_KEY",
                            valueFrom: { secretKeyRef: { name: "qdrant", key: "api-key" } },
                        },
                    ],
                }),
            ],
            servicePorts: [{ name: "http", port: 6333 }],
        }),
    );
    out.push(
        netpol(NS.data, "qdrant", {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "qdrant" } },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NS.agents } },
                            podSelector: { matchLabels: { "app.kubernetes.io/name": "agent" } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 6333 }],
                },
            ],
        }),
    );

    const gwLabels = {
        "app.kubernetes.io/name": "gateway",
        "app.kubernetes.io/instance": "gateway",
        "app.kubernetes.io/part-of": "agentstack",
    };
    out.push({
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: {
            name: "gateway",
            namespace: NS.gateway,
            labels: gwLabels,
            annotations: {
                "nginx.ingress.kubernetes.io/ssl-redirect": "true",
                "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "300",
                "nginx.ingress.kubernetes.io/proxy-send-timeout": "300",
            },
        },
        spec: {
            ingressClassName: "nginx",
            tls: [{ hosts: ["agents.example.com"], secretName: "gateway-tls" }],
            rules: [
                {
                    host: "agents.example.com",
                    http: {
                        paths: [
                            {
                                path: "/",
                                pathType: "Prefix",
                                backend: { service: { name: "gateway", port: { name: "http" } } },
                            },
                        ],
                    },
                },
            ],
        },
    });
    out.push({
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: "gateway-tls", namespace: NS.gateway, labels: gwLabels },
        spec: {
            secretName: "gateway-tls",
            dnsNames: ["agents.example.com"],
            issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" },
        },
    });
    return out;
}

/** The object of a kind and name (throws when absent). */
export function obj(world: readonly Obj[], kind: string, name: string, namespace?: string): Obj {
    const hit = world.find(
        (o) =>
            o["kind"] === kind &&
            o["metadata"]?.["name"] === name &&
            (namespace === undefined || o["metadata"]?.["namespace"] === namespace),
    );
    if (!hit) throw new Error(`fixture: no ${kind} ${name}`);
    return hit;
}

/** The pod spec of a workload object. */
export function specOf(o: Obj): Obj {
    if (o["kind"] === "Pod") return o["spec"];
    if (o["kind"] === "CronJob") return o["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    return o["spec"]["template"]["spec"];
}

/** Pulumi-registered resources of objects (with the stack resource), each with a protect option. */
export function pulumiResources(objects: readonly Obj[], protect: (o: Obj) => boolean = () => false): EngineResource[] {
    const stack: EngineResource = {
        type: "pulumi:pulumi:Stack",
        name: "agentstack-test",
        urn: "urn:pulumi:test::agentstack::pulumi:pulumi:Stack::agentstack-test",
        props: {},
        options: { protect: false },
    };
    const { resources } = manifestResources(objects, "test", "agentstack");
    return [
        stack,
        ...resources.map((r) => ({ ...r, parent: stack.urn, options: { ...r.options, protect: protect(r.props) } })),
    ];
}

/**
 * The acceptance criteria's bad manifests: a Deployment running as root with a writable root
 * filesystem and a secret-looking literal env var; a LoadBalancer Service selecting a Qdrant pod; a
 * webhook with failurePolicy Fail whose backend runs one replica.
 */
export function badManifests(): Obj[] {
    const web = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "shop" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "web" } },
            template: {
                metadata: { labels: { app: "web" } },
                spec: {
                    containers: [
                        {
                            name: "web",
                            image: "nginx:1.27.0",
                            securityContext: { runAsUser: 0, readOnlyRootFilesystem: false },
                            env: [{ name: "DB_PASSWORD", value: "hunter2-hunter2" }],
                        },
                    ],
                },
            },
        },
    };
    const qdrant = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "vectors", namespace: "shop" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "vectors" } },
            template: {
                metadata: { labels: { app: "vectors" } },
                spec: { containers: [{ name: "qdrant", image: "qdrant/qdrant:v1.15.1" }] },
            },
        },
    };
    const lb = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "vectors-public", namespace: "shop" },
        spec: { type: "LoadBalancer", selector: { app: "vectors" }, ports: [{ port: 6333 }] },
    };
    const hookBackend = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "policy-hook", namespace: "hooks" },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "policy-hook" } },
            template: {
                metadata: { labels: { app: "policy-hook" } },
                spec: { containers: [{ name: "hook", image: "example.com/hook:1.0.0" }] },
            },
        },
    };
    const hookService = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "policy-hook", namespace: "hooks" },
        spec: { selector: { app: "policy-hook" }, ports: [{ port: 443, targetPort: 8443 }] },
    };
    const hook = {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name: "policy-hook" },
        webhooks: [
            {
                name: "check.policy-hook.example.com",
                failurePolicy: "Fail",
                sideEffects: "None",
                admissionReviewVersions: ["v1"],
                clientConfig: { service: { namespace: "hooks", name: "policy-hook", path: "/validate" } },
                namespaceSelector: { matchLabels: { "policy-hook": "enabled" } },
                rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
            },
        ],
    };
    return [web, qdrant, lb, hookBackend, hookService, hook];
}

/** Objects as one multi-document YAML text. */
export function toYamlDocuments(objects: readonly Obj[]): string {
    return objects.map((o) => YAML.stringify(o)).join("---\n");
}

/** The workload kinds the Pod Security Standards policies judge. */
export const WORKLOAD_KINDS = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
] as const;
type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A pod template: labels, annotations and a fully hardened pod spec (restricted PSS and the agentstack checklist). */
export interface PodTemplate {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: Obj;
}

/** A hardened pod template with one main container (tests break one field of it). */
export function hardenedPodTemplate(name = "app"): PodTemplate {
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
    const spec = podSpec([container(name, image(`example.com/${name}`, "1.2.3"))], labels, "none");
    spec["securityContext"] = {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
    };
    return { metadata: { labels, annotations: {} }, spec };
}

/** A pod template as a workload of the given kind, in namespace `ns`. */
export function asWorkload(kind: WorkloadKind, t: PodTemplate, name = "app", ns = "apps"): Obj {
    const meta = { name, namespace: ns, labels: t.metadata.labels };
    const selector = { matchLabels: t.metadata.labels };
    const jobSpec = (): Obj => ({ ...t.spec, restartPolicy: "Never" });
    switch (kind) {
        case "Pod":
            return { apiVersion: "v1", kind, metadata: { ...meta, annotations: t.metadata.annotations }, spec: t.spec };
        case "Job":
            return {
                apiVersion: "batch/v1",
                kind,
                metadata: meta,
                spec: { template: { metadata: t.metadata, spec: jobSpec() } },
            };
        case "CronJob":
            return {
                apiVersion: "batch/v1",
                kind,
                metadata: meta,
                spec: {
                    schedule: "0 3 * * *",
                    jobTemplate: { spec: { template: { metadata: t.metadata, spec: jobSpec() } } },
                },
            };
        case "StatefulSet":
            return {
                apiVersion: "apps/v1",
                kind,
                metadata: meta,
                spec: { replicas: 1, serviceName: name, selector, template: t },
            };
        case "DaemonSet":
            return { apiVersion: "apps/v1", kind, metadata: meta, spec: { selector, template: t } };
        default:
            return { apiVersion: "apps/v1", kind, metadata: meta, spec: { replicas: 1, selector, template: t } };
    }
}

/** A default-deny NetworkPolicy (ingress and egress) for a namespace. */
export function defaultDeny(ns = "apps"): Obj {
    return netpol(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
}

/**
 * The Pod Security Standards gaps of issue 12, each a fully hardened Pod with one thing added (all
 * in namespace `apps` with a default-deny NetworkPolicy), plus a LoadBalancer Service selecting a
 * PostgreSQL pod that is not among the objects. Name -> what it must be flagged for.
 */
export function pssGapManifests(): {
    objects: Obj[];
    expected: { name: string; kind: string; policy: string; field: string }[];
} {
    const expected: { name: string; kind: string; policy: string; field: string }[] = [];
    const objects: Obj[] = [defaultDeny()];
    const add = (name: string, policy: string, field: string, mutate: (t: PodTemplate, c: Obj) => void) => {
        const t = hardenedPodTemplate(name);
        mutate(t, t.spec["containers"][0]);
        objects.push(asWorkload("Pod", t, name));
        expected.push({ name, kind: "Pod", policy, field });
    };
    add(
        "proc-mount",
        "pod-default-proc-mount",
        "securityContext.procMount",
        (_t, c) => (c["securityContext"]["procMount"] = "Unmasked"),
    );
    add(
        "selinux-type",
        "pod-selinux-options",
        "seLinuxOptions.type",
        (_t, c) => (c["securityContext"]["seLinuxOptions"] = { type: "spc_t" }),
    );
    add(
        "selinux-user",
        "pod-selinux-options",
        "seLinuxOptions.user",
        (t) => (t.spec["securityContext"]["seLinuxOptions"] = { user: "system_u", level: "s0:c123,c456" }),
    );
    add(
        "selinux-role",
        "pod-selinux-options",
        "seLinuxOptions.role",
        (_t, c) => (c["securityContext"]["seLinuxOptions"] = { role: "system_r" }),
    );
    add(
        "apparmor-field",
        "pod-apparmor-profile",
        "appArmorProfile.type",
        (_t, c) => (c["securityContext"]["appArmorProfile"] = { type: "Unconfined" }),
    );
    add(
        "apparmor-annotation",
        "pod-apparmor-profile",
        "container.apparmor.security.beta.kubernetes.io/apparmor-annotation",
        (t) =>
            (t.metadata.annotations["container.apparmor.security.beta.kubernetes.io/apparmor-annotation"] =
                "unconfined"),
    );
    add(
        "unsafe-sysctl",
        "pod-safe-sysctls",
        "spec.securityContext.sysctls",
        (t) => (t.spec["securityContext"]["sysctls"] = [{ name: "kernel.msgmax", value: "65536" }]),
    );
    for (const [type, source] of [
        ["nfs", { server: "nfs.example.com", path: "/exports" }],
        ["iscsi", { targetPortal: "10.0.0.1:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0 }],
        ["gitRepo", { repository: "https://example.com/repo.git" }],
    ] as const) {
        add(`volume-${type.toLowerCase()}`, "pod-restricted-volume-types", `spec.volumes[1].${type}`, (t) =>
            t.spec["volumes"].push({ name: "data", [type]: source }),
        );
    }
    add(
        "host-process",
        "pod-no-host-process",
        "windowsOptions.hostProcess",
        (_t, c) => (c["securityContext"]["windowsOptions"] = { hostProcess: true }),
    );
    add(
        "drop-lowercase-all",
        "pod-drop-all-capabilities",
        "securityContext.capabilities.drop",
        (_t, c) => (c["securityContext"]["capabilities"] = { drop: ["all"] }),
    );
    add("pod-run-as-root", "pod-run-as-non-root", "spec.securityContext.runAsUser", (t, c) => {
        t.spec["securityContext"]["runAsUser"] = 0;
        c["securityContext"]["runAsUser"] = 10001;
    });
    add(
        "pod-seccomp-unconfined",
        "pod-seccomp-runtime-default",
        "spec.securityContext.seccompProfile.type",
        (t) => (t.spec["securityContext"]["seccompProfile"] = { type: "Unconfined" }),
    );
    objects.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "postgres-public", namespace: "apps" },
        spec: {
            type: "LoadBalancer",
            selector: { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "orders-db" },
            ports: [{ name: "tcp-postgresql", port: 5432, targetPort: 5432 }],
        },
    });
    expected.push({
        name: "postgres-public",
        kind: "Service",
        policy: "network-data-store-exposure",
        field: "spec.type: LoadBalancer",
    });
    return { objects, expected };
}
