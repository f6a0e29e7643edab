import { describe, expect, it } from "vitest";
import { type ValidationIssue, validateObjects } from "../tools/k8s/validate";

type Obj = Record<string, unknown>;

const NS = "agents";
const podLabels = { "app.kubernetes.io/name": "agent", "app.kubernetes.io/part-of": "agentstack" };

/** A pod spec exercising most container fields. */
function podSpec(): Obj {
    return {
        serviceAccountName: "agent",
        automountServiceAccountToken: false,
        runtimeClassName: "gvisor",
        nodeSelector: { "kubernetes.io/os": "linux" },
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
            {
                name: "agent",
                image: "registry.example.com/agent:1.2.3",
                args: ["--port=8080"],
                ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
                env: [
                    { name: "MODE", value: "strict" },
                    { name: "TOKEN", valueFrom: { secretKeyRef: { name: "agent-token", key: "token" } } },
                ],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    capabilities: { drop: ["ALL"] },
                },
                readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 10 },
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

/** One valid object of every kind the validator must cover. */
function validObjects(): Obj[] {
    const meta = (name: string): Obj => ({ name, namespace: NS, labels: { ...podLabels } });
    const template = { metadata: { labels: { ...podLabels } }, spec: podSpec() };
    const selector = { matchLabels: { ...podLabels } };
    return [
        {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: meta("agent"),
            spec: { selector: { ...podLabels }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
        },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("agent"), automountServiceAccountToken: false },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: meta("agent-config"),
            data: { "config.yaml": "a: 1", MODE: "strict" },
        },
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: meta("agent-token"),
            type: "Opaque",
            data: { token: "c2VjcmV0" },
            stringData: { extra: "plain" },
        },
        {
            apiVersion: "v1",
            kind: "ResourceQuota",
            metadata: meta("quota"),
            spec: { hard: { "requests.cpu": "4", pods: "20" } },
        },
        {
            apiVersion: "v1",
            kind: "LimitRange",
            metadata: meta("limits"),
            spec: { limits: [{ type: "Container", default: { cpu: "500m" }, defaultRequest: { cpu: "100m" } }] },
        },
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: meta("data"),
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
        { apiVersion: "v1", kind: "Pod", metadata: meta("debug"), spec: podSpec() },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { ...meta("agent"), annotations: { "agentstack.example.com/level": "high" } },
            spec: {
                replicas: 2,
                selector,
                template,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: meta("store"),
            spec: { serviceName: "agent", selector, template },
        },
        { apiVersion: "apps/v1", kind: "DaemonSet", metadata: meta("node-agent"), spec: { selector, template } },
        {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            metadata: meta("agent-rs"),
            spec: { replicas: 1, selector, template },
        },
        {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: meta("migrate"),
            spec: { backoffLimit: 1, template: { spec: { ...podSpec(), restartPolicy: "Never" } } },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: meta("cleanup"),
            spec: {
                schedule: "*/15 * * * *",
                concurrencyPolicy: "Forbid",
                jobTemplate: { spec: { template: { spec: { ...podSpec(), restartPolicy: "OnFailure" } } } },
            },
        },
        {
            apiVersion: "policy/v1",
            kind: "PodDisruptionBudget",
            metadata: meta("agent"),
            spec: { minAvailable: 1, selector },
        },
        {
            apiVersion: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            metadata: meta("agent"),
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "agent" },
                minReplicas: 2,
                maxReplicas: 10,
                metrics: [
                    {
                        type: "Resource",
                        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
                    },
                ],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: meta("agent"),
            spec: {
                podSelector: selector,
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    {
                        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "gateway" } } }],
                        ports: [{ protocol: "TCP", port: "http" }],
                    },
                ],
                egress: [
                    { to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ port: 443 }] },
                ],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: meta("agent"),
            spec: {
                ingressClassName: "nginx",
                tls: [{ hosts: ["agent.example.com"], secretName: "agent-tls" }],
                rules: [
                    {
                        host: "agent.example.com",
                        http: {
                            paths: [
                                {
                                    path: "/",
                                    pathType: "Prefix",
                                    backend: { service: { name: "agent", port: { name: "http" } } },
                                },
                            ],
                        },
                    },
                ],
            },
        },
        {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: { name: "agent-injector" },
            webhooks: [
                {
                    name: "inject.agentstack.example.com",
                    admissionReviewVersions: ["v1"],
                    sideEffects: "None",
                    failurePolicy: "Fail",
                    clientConfig: { service: { name: "injector", namespace: NS, path: "/mutate", port: 443 } },
                    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
                    namespaceSelector: {
                        matchExpressions: [{ key: "agentstack.example.com/inject", operator: "In", values: ["true"] }],
                    },
                },
            ],
        },
        { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name: "gvisor" }, handler: "runsc" },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: meta("agent"),
            rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: meta("agent"),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "agent" },
            subjects: [{ kind: "ServiceAccount", name: "agent", namespace: NS }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "agentstack:agent-reader" },
            rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "agentstack:agent-reader" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "agentstack:agent-reader" },
            subjects: [{ kind: "ServiceAccount", name: "agent", namespace: NS }],
        },
        validCertificate(),
        { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: meta("selfsigned"), spec: { selfSigned: {} } },
        {
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: "ca" },
            spec: { ca: { secretName: "ca-key-pair" } },
        },
        validHttpRoute(),
        validRoute(),
    ];
}

function validCertificate(): Obj {
    return {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: "agent-tls", namespace: NS },
        spec: {
            secretName: "agent-tls",
            dnsNames: ["agent.example.com"],
            duration: "2160h",
            issuerRef: { name: "selfsigned", kind: "Issuer" },
            privateKey: { algorithm: "ECDSA", size: 256 },
        },
    };
}

function validHttpRoute(): Obj {
    return {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "agent", namespace: NS },
        spec: {
            parentRefs: [{ name: "public", namespace: "gateway" }],
            hostnames: ["agent.example.com"],
            rules: [
                { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "agent", port: 80 }] },
            ],
        },
    };
}

function validRoute(): Obj {
    return {
        apiVersion: "route.openshift.io/v1",
        kind: "Route",
        metadata: { name: "agent", namespace: NS, labels: { ...podLabels } },
        spec: {
            host: "agent.apps.example.com",
            to: { kind: "Service", name: "agent", weight: 100 },
            port: { targetPort: "http" },
            tls: { termination: "edge", insecureEdgeTerminationPolicy: "Redirect" },
        },
    };
}

function validDeployment(): Obj {
    const deployment = validObjects().find((o) => o.kind === "Deployment");
    if (deployment === undefined) {
        throw new Error("fixture has no Deployment");
    }
    return deployment;
}

/** Follows a path of keys/indexes into a fixture, for targeted mutation. */
function dig(root: unknown, ...path: Array<string | number>): Obj {
    let cursor: unknown = root;
    for (const step of path) {
        cursor = (cursor as Record<string | number, unknown>)[step];
    }
    if (typeof cursor !== "object" || cursor === null) {
        throw new Error(`no object at ${path.join(".")}`);
    }
    return cursor as Obj;
}

function issuesAt(issues: ReadonlyArray<ValidationIssue>, path: string): ValidationIssue[] {
    return issues.filter((i) => i.path === path);
}

/** Asserts exactly one issue at `path` whose message contains `fragment`. */
function expectIssue(issues: ReadonlyArray<ValidationIssue>, path: string, fragment: string): ValidationIssue {
    const matching = issuesAt(issues, path).filter((i) => i.message.includes(fragment));
    expect(matching, `issues were: ${JSON.stringify(issues, null, 2)}`).toHaveLength(1);
    return matching[0] as ValidationIssue;
}

describe("validateObjects: valid objects", () => {
    it("accepts one valid object of every covered kind", () => {
        const objects = validObjects();
        expect(objects.map((o) => `${String(o.apiVersion)}/${String(o.kind)}`)).toHaveLength(30);
        expect(validateObjects(objects)).toEqual([]);
    });

    it("returns [] for no objects", () => {
        expect(validateObjects([])).toEqual([]);
    });

    it("validates ~300 objects quickly", () => {
        const objects = Array.from({ length: 10 }, () => validObjects()).flat();
        expect(objects.length).toBe(300);
        validateObjects(objects.slice(0, 30)); // warm: lookups and lazily compiled schemas
        const start = performance.now();
        expect(validateObjects(objects)).toEqual([]);
        expect(performance.now() - start).toBeLessThan(2000);
    });
});

describe("validateObjects: schema and formats (kubernetes-models)", () => {
    it("reports a wrong type with the object's identity", () => {
        const deployment = validDeployment();
        dig(deployment, "spec").replicas = "two";
        const issues = validateObjects([deployment]);
        expect(issues).toEqual([
            { kind: "Deployment", namespace: NS, name: "agent", path: "spec.replicas", message: "must be integer" },
        ]);
    });

    it("reports an invalid quantity once, as a format error", () => {
        const deployment = validDeployment();
        dig(deployment, "spec", "template", "spec", "containers", 0, "resources", "limits").memory = "512 megs";
        const issues = validateObjects([deployment]);
        expect(issues).toHaveLength(1);
        expectIssue(issues, "spec.template.spec.containers[0].resources.limits.memory", 'must match format "quantity"');
    });

    it("reports an int-or-string of the wrong type", () => {
        const service = validObjects().find((o) => o.kind === "Service") as Obj;
        dig(service, "spec", "ports", 0).targetPort = true;
        expectIssue(validateObjects([service]), "spec.ports[0].targetPort", "must be string or integer");
    });

    it("reports invalid base64 in Secret data", () => {
        const secret = validObjects().find((o) => o.kind === "Secret") as Obj;
        dig(secret, "data").token = "not base64!";
        expectIssue(validateObjects([secret]), "data.token", 'must match format "byte"');
    });
});

describe("validateObjects: unknown fields (client-node field lists)", () => {
    it("reports an unknown field deep in a container spec, with a suggestion", () => {
        const deployment = validDeployment();
        dig(deployment, "spec", "template", "spec", "containers", 0).securityContxt = { runAsNonRoot: true };
        const issues = validateObjects([deployment]);
        expect(issues).toHaveLength(1);
        const issue = expectIssue(
            issues,
            "spec.template.spec.containers[0].securityContxt",
            'unknown field "securityContxt"',
        );
        expect(issue.message).toContain('did you mean "securityContext"?');
    });

    it("reports an unknown field in an HPA v2 metric target", () => {
        const hpa = validObjects().find((o) => o.kind === "HorizontalPodAutoscaler") as Obj;
        const target = dig(hpa, "spec", "metrics", 0, "resource", "target");
        delete target.averageUtilization;
        target.averageUtilisation = 70;
        const issues = validateObjects([hpa]);
        expectIssue(issues, "spec.metrics[0].resource.target.averageUtilisation", "unknown field");
        expect(issues).toHaveLength(1);
    });

    it("reports unknown top-level and metadata fields", () => {
        const cm = validObjects().find((o) => o.kind === "ConfigMap") as Obj;
        cm.spec = { foo: 1 };
        dig(cm, "metadata").label = { a: "b" };
        const issues = validateObjects([cm]);
        expectIssue(issues, "spec", 'unknown field "spec" in V1ConfigMap');
        expectIssue(issues, "metadata.label", 'did you mean "labels"?');
    });

    it("reports unknown fields inside a CronJob's nested pod template", () => {
        const cronJob = validObjects().find((o) => o.kind === "CronJob") as Obj;
        dig(cronJob, "spec", "jobTemplate", "spec", "template", "spec").restartPolicyy = "Never";
        expectIssue(validateObjects([cronJob]), "spec.jobTemplate.spec.template.spec.restartPolicyy", "unknown field");
    });
});

describe("validateObjects: names, labels, annotations, namespaces", () => {
    it("rejects a metadata.name that is not a DNS-1123 subdomain", () => {
        const deployment = validDeployment();
        dig(deployment, "metadata").name = "My_App";
        const issues = validateObjects([deployment]);
        expect(issues).toHaveLength(1);
        const issue = expectIssue(issues, "metadata.name", "DNS-1123 subdomain");
        expect(issue.name).toBe("My_App");
    });

    it("requires DNS-1123 labels for Namespace names and DNS-1035 labels for Service names", () => {
        const [namespace, service] = validObjects();
        dig(namespace, "metadata").name = "team.a";
        dig(service, "metadata").name = "1agent";
        const issues = validateObjects([namespace as Obj, service as Obj]);
        expect(issues.map((i) => [i.kind, i.path])).toEqual([
            ["Namespace", "metadata.name"],
            ["Service", "metadata.name"],
        ]);
        expect(issues[0]?.message).toContain("DNS-1123 label");
        expect(issues[1]?.message).toContain("DNS-1035 label");
    });

    it("accepts RBAC names with colons but not with slashes", () => {
        const clusterRole = validObjects().find((o) => o.kind === "ClusterRole") as Obj;
        expect(validateObjects([clusterRole])).toEqual([]);
        dig(clusterRole, "metadata").name = "agentstack/reader";
        expectIssue(validateObjects([clusterRole]), "metadata.name", "may not contain");
    });

    it("rejects a bad label key and a bad label value", () => {
        const deployment = validDeployment();
        dig(deployment, "metadata").labels = { "-bad-key": "ok", "example.com/tier": "front end" };
        const issues = validateObjects([deployment]);
        expect(issues).toHaveLength(2);
        expectIssue(issues, 'metadata.labels["-bad-key"]', "invalid label key");
        expectIssue(issues, 'metadata.labels["example.com/tier"]', 'label value "front end"');
    });

    it("rejects an over-long label name and a bad label-key prefix", () => {
        const cm = validObjects().find((o) => o.kind === "ConfigMap") as Obj;
        const longName = "a".repeat(64);
        dig(cm, "metadata").labels = { [longName]: "x", "Example.COM/x": "y" };
        const issues = validateObjects([cm]);
        expectIssue(issues, `metadata.labels.${longName}`, "no more than 63 characters");
        expectIssue(issues, 'metadata.labels["Example.COM/x"]', "prefix");
    });

    it("checks label syntax in pod templates and selectors too", () => {
        const deployment = validDeployment();
        dig(deployment, "spec", "selector", "matchLabels").bad = "a b";
        dig(deployment, "spec", "template", "metadata", "labels").bad = "a b";
        const issues = validateObjects([deployment]);
        expectIssue(issues, "spec.selector.matchLabels.bad", 'label value "a b"');
        expectIssue(issues, "spec.template.metadata.labels.bad", 'label value "a b"');
    });

    it("rejects a bad annotation key", () => {
        const deployment = validDeployment();
        dig(deployment, "metadata").annotations = { "agentstack.example.com/ok": "x", "bad key": "x" };
        expectIssue(validateObjects([deployment]), 'metadata.annotations["bad key"]', "invalid annotation key");
    });

    it("requires metadata.namespace on namespaced kinds", () => {
        const cm = validObjects().find((o) => o.kind === "ConfigMap") as Obj;
        delete dig(cm, "metadata").namespace;
        const issues = validateObjects([cm]);
        expect(issues).toEqual([
            {
                kind: "ConfigMap",
                name: "agent-config",
                path: "metadata.namespace",
                message: "metadata.namespace is required: ConfigMap is a namespaced kind",
            },
        ]);
    });

    it("requires metadata.namespace on cert-manager Issuer but not on ClusterIssuer", () => {
        const objects = validObjects();
        const issuer = objects.find((o) => o.kind === "Issuer") as Obj;
        delete dig(issuer, "metadata").namespace;
        const clusterIssuer = objects.find((o) => o.kind === "ClusterIssuer") as Obj;
        const issues = validateObjects([issuer, clusterIssuer]);
        expect(issues.map((i) => `${i.kind} ${i.path}`)).toEqual(["Issuer metadata.namespace"]);
    });

    it("rejects metadata.namespace on cluster-scoped kinds", () => {
        const runtimeClass = validObjects().find((o) => o.kind === "RuntimeClass") as Obj;
        dig(runtimeClass, "metadata").namespace = NS;
        expectIssue(validateObjects([runtimeClass]), "metadata.namespace", "RuntimeClass is cluster-scoped");
    });

    it("requires metadata.name", () => {
        const cm = validObjects().find((o) => o.kind === "ConfigMap") as Obj;
        delete dig(cm, "metadata").name;
        const issue = expectIssue(validateObjects([cm]), "metadata.name", "metadata.name is required");
        expect(issue.name).toBe("<missing>");
    });

    it("rejects bad container, container-port, service-port and volume names", () => {
        const objects = validObjects();
        const deployment = objects.find((o) => o.kind === "Deployment") as Obj;
        const container = dig(deployment, "spec", "template", "spec", "containers", 0);
        container.name = "Agent";
        dig(container, "ports", 0).name = "http_port";
        dig(deployment, "spec", "template", "spec", "volumes", 0).name = "tmp.dir";
        const service = objects.find((o) => o.kind === "Service") as Obj;
        dig(service, "spec", "ports", 0).name = "HTTP";
        const issues = validateObjects([deployment, service]);
        expectIssue(issues, "spec.template.spec.containers[0].name", "DNS-1123 label");
        expectIssue(issues, "spec.template.spec.containers[0].ports[0].name", "IANA_SVC_NAME");
        expectIssue(issues, "spec.template.spec.volumes[0].name", "DNS-1123 label");
        expectIssue(issues, "spec.ports[0].name", "DNS-1123 label");
        expect(issues).toHaveLength(4);
    });

    it("rejects a container port name longer than 15 characters", () => {
        const deployment = validDeployment();
        dig(deployment, "spec", "template", "spec", "containers", 0, "ports", 0).name = "metrics-endpoint-1";
        const issue = expectIssue(
            validateObjects([deployment]),
            "spec.template.spec.containers[0].ports[0].name",
            "no more than 15",
        );
        expect(issue.kind).toBe("Deployment");
    });

    it("rejects a webhook name that is not fully qualified", () => {
        const webhook = validObjects().find((o) => o.kind === "MutatingWebhookConfiguration") as Obj;
        dig(webhook, "webhooks", 0).name = "inject";
        expectIssue(validateObjects([webhook]), "webhooks[0].name", "at least three segments");
    });

    it("rejects a bad ConfigMap data key", () => {
        const cm = validObjects().find((o) => o.kind === "ConfigMap") as Obj;
        dig(cm, "data")["bad key"] = "x";
        expectIssue(validateObjects([cm]), 'data["bad key"]', "must consist of alphanumeric characters");
    });
});

describe("validateObjects: unknown kinds", () => {
    it("reports an apiVersion/kind it does not know", () => {
        const issues = validateObjects([
            { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: NS } },
        ]);
        expect(issues).toHaveLength(1);
        expect(issues[0]).toMatchObject({ kind: "Widget", name: "w", namespace: NS, path: "kind" });
        expect(issues[0]?.message).toContain('unknown apiVersion/kind "example.com/v1" "Widget"');
    });

    it("reports a kind under the wrong apiVersion", () => {
        const issues = validateObjects([
            { apiVersion: "v1", kind: "Deployment", metadata: { name: "a", namespace: NS } },
        ]);
        expectIssue(issues, "kind", "unknown apiVersion/kind");
    });

    it("reports removed API versions that kubernetes-models still models", () => {
        const deployment = { ...validDeployment(), apiVersion: "extensions/v1beta1" };
        expectIssue(validateObjects([deployment]), "kind", "not in the Kubernetes 1.34 API");
    });

    it("reports missing apiVersion and kind", () => {
        const issues = validateObjects([{ metadata: { name: "x" } }]);
        expect(issues.map((i) => i.path)).toEqual(["apiVersion", "kind"]);
    });
});

describe("validateObjects: cert-manager Certificate (@kubernetes-models/cert-manager)", () => {
    it("accepts a valid Certificate", () => {
        expect(validateObjects([validCertificate()])).toEqual([]);
    });

    it("reports a missing required field, a wrong type and a bad enum value", () => {
        const cert = validCertificate();
        const spec = dig(cert, "spec");
        delete spec.issuerRef;
        spec.dnsNames = "agent.example.com";
        dig(spec, "privateKey").algorithm = "DSA";
        const issues = validateObjects([cert]);
        expectIssue(issues, "spec.issuerRef", "required field is missing");
        expectIssue(issues, "spec.dnsNames", "must be array");
        expectIssue(issues, "spec.privateKey.algorithm", 'must be one of "RSA", "ECDSA", "Ed25519"');
        expect(issues).toHaveLength(3);
    });

    it("checks metadata of CRD kinds against the ObjectMeta field list", () => {
        const cert = validCertificate();
        dig(cert, "metadata").labelz = { a: "b" };
        expectIssue(validateObjects([cert]), "metadata.labelz", "unknown field");
    });

    it("LIMITATION: does not detect unknown fields in a cert-manager spec (the model schema allows them)", () => {
        const cert = validCertificate();
        dig(cert, "spec").secretNmae = "typo";
        // If this starts failing, the package now rejects additional properties: update the docs in validate.ts.
        expect(validateObjects([cert])).toEqual([]);
    });
});

describe("validateObjects: Gateway API HTTPRoute (@kubernetes-models/gateway-api)", () => {
    it("accepts a valid HTTPRoute", () => {
        expect(validateObjects([validHttpRoute()])).toEqual([]);
    });

    it("reports a bad hostname, a wrong port type and a bad path match type", () => {
        const route = validHttpRoute();
        const spec = dig(route, "spec");
        spec.hostnames = ["Agent_Host"];
        dig(spec, "rules", 0, "backendRefs", 0).port = "http";
        dig(spec, "rules", 0, "matches", 0, "path").type = "Glob";
        const issues = validateObjects([route]);
        expectIssue(issues, "spec.hostnames[0]", "must match pattern");
        expectIssue(issues, "spec.rules[0].backendRefs[0].port", "must be integer");
        expectIssue(
            issues,
            "spec.rules[0].matches[0].path.type",
            'must be one of "Exact", "PathPrefix", "RegularExpression"',
        );
        expect(issues).toHaveLength(3);
    });
});

describe("validateObjects: OpenShift Route (openshift-rest-client OpenAPI document)", () => {
    it("accepts a valid Route", () => {
        expect(validateObjects([validRoute()])).toEqual([]);
    });

    it("reports an unknown field and wrong types", () => {
        const route = validRoute();
        const spec = dig(route, "spec");
        dig(spec, "tls").terminaton = "edge";
        dig(spec, "to").weight = "heavy";
        dig(spec, "port").targetPort = false;
        const issues = validateObjects([route]);
        expectIssue(issues, "spec.tls.terminaton", 'unknown field "terminaton"');
        expectIssue(issues, "spec.to.weight", "must be integer");
        expectIssue(issues, "spec.port.targetPort", "must be integer or string");
        expect(issues).toHaveLength(3);
    });

    it("applies the metadata rules to Routes", () => {
        const route = validRoute();
        delete dig(route, "metadata").namespace;
        dig(route, "metadata").name = "Agent";
        const issues = validateObjects([route]);
        expectIssue(issues, "metadata.namespace", "metadata.namespace is required");
        expectIssue(issues, "metadata.name", "DNS-1123 subdomain");
    });
});
