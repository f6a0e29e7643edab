/**
 * Every policy of the pack, one failing and one passing case each, on hand-made objects
 * (tools/policy/fixtures.ts): a clean level-3 world passes everything; each case breaks one thing.
 * Plus: every workload and container kind, unknown values, levels, exemptions, remediation.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../policies/pack";
import { metaOf } from "../policies/lib/define";
import { PackConfigError, generatePackConfig } from "../tools/policy/config";
import {
    Obj,
    cleanWorld,
    envoyBootstrapObject,
    obj,
    pulumiResources,
    sidecarContainerObject,
    sidecarTemplate,
    specOf,
    NS,
} from "../tools/policy/fixtures";
import { Evaluation, Violation, evaluateManifestsDetailed, evaluateResources } from "../tools/policy/run";

async function evaluate(world: Obj[], level: 1 | 2 | 3 = 3): Promise<Violation[]> {
    return (await evaluateManifestsDetailed(world, { level })).violations;
}

function of(vs: readonly Violation[], policy: string): Violation[] {
    return vs.filter((v) => v.policy === policy);
}

const main = (w: Obj[], kind: string, name: string) => specOf(obj(w, kind, name))["containers"][0];

interface Case {
    /** Breaks one thing of a clean world. */
    readonly fail: (w: Obj[]) => void;
    /** Text the violation message contains. */
    readonly expect: string | RegExp;
    /** The resource the violation is about (kind/name). */
    readonly resource?: string;
}

/** One failing case per policy; the passing case is the clean world itself. */
const CASES: Record<string, Case> = {
    "pod-run-as-non-root": {
        fail: (w) => (main(w, "Deployment", "gateway")["securityContext"]["runAsUser"] = 0),
        expect: "runs as root (runAsUser: 0)",
        resource: "Deployment/gateway",
    },
    "pod-read-only-root-fs": {
        fail: (w) => (main(w, "Deployment", "agent-alpha")["securityContext"]["readOnlyRootFilesystem"] = false),
        expect: "writable root filesystem",
        resource: "Deployment/agent-alpha",
    },
    "pod-no-privilege-escalation": {
        fail: (w) => (main(w, "Deployment", "agent-alpha")["securityContext"]["allowPrivilegeEscalation"] = true),
        expect: "allows privilege escalation",
    },
    "pod-drop-all-capabilities": {
        fail: (w) =>
            (main(w, "Deployment", "mcp-search")["securityContext"]["capabilities"] = {
                drop: ["NET_RAW"],
                add: ["NET_ADMIN"],
            }),
        expect: "does not drop ALL capabilities",
    },
    "pod-seccomp-runtime-default": {
        fail: (w) => (main(w, "Deployment", "sandbox")["securityContext"]["seccompProfile"] = { type: "Unconfined" }),
        expect: "seccomp profile Unconfined",
    },
    "pod-no-privileged": {
        fail: (w) => (main(w, "Deployment", "sandbox")["securityContext"]["privileged"] = true),
        expect: "runs privileged",
    },
    "pod-no-host-namespaces": {
        fail: (w) => (specOf(obj(w, "Deployment", "extauth"))["hostNetwork"] = true),
        expect: "hostNetwork: true",
    },
    "pod-no-host-ports": {
        fail: (w) => (main(w, "Deployment", "extauth")["ports"][0]["hostPort"] = 9191),
        expect: "binds host port 9191",
    },
    "pod-no-host-path": {
        fail: (w) =>
            specOf(obj(w, "Deployment", "extauth"))["volumes"].push({
                name: "docker",
                hostPath: { path: "/var/run/docker.sock" },
            }),
        expect: "hostPath (/var/run/docker.sock)",
    },
    "pod-restricted-volume-types": {
        fail: (w) =>
            specOf(obj(w, "Deployment", "gateway"))["volumes"].push({
                name: "shared",
                nfs: { server: "nfs.example.com", path: "/exports" },
            }),
        expect: "is of type nfs (spec.volumes[1].nfs)",
    },
    "pod-no-host-process": {
        fail: (w) => (main(w, "Deployment", "gateway")["securityContext"]["windowsOptions"] = { hostProcess: true }),
        expect: "securityContext.windowsOptions.hostProcess: true",
    },
    "pod-no-host-probes": {
        fail: (w) => (main(w, "Deployment", "gateway")["livenessProbe"]["httpGet"]["host"] = "169.254.169.254"),
        expect: 'livenessProbe.httpGet.host: "169.254.169.254"',
    },
    "pod-apparmor-profile": {
        fail: (w) => (main(w, "Deployment", "gateway")["securityContext"]["appArmorProfile"] = { type: "Unconfined" }),
        expect: 'securityContext.appArmorProfile.type: "Unconfined"',
    },
    "pod-selinux-options": {
        fail: (w) => (main(w, "Deployment", "gateway")["securityContext"]["seLinuxOptions"] = { type: "spc_t" }),
        expect: 'seLinuxOptions.type: "spc_t"',
    },
    "pod-default-proc-mount": {
        fail: (w) => (main(w, "Deployment", "gateway")["securityContext"]["procMount"] = "Unmasked"),
        expect: 'securityContext.procMount: "Unmasked"',
    },
    "pod-safe-sysctls": {
        fail: (w) =>
            (specOf(obj(w, "Deployment", "gateway"))["securityContext"]["sysctls"] = [
                { name: "kernel.msgmax", value: "65536" },
            ]),
        expect: 'unsafe sysctls "kernel.msgmax"',
    },
    "pod-resources": {
        fail: (w) => delete main(w, "Deployment", "gateway")["resources"]["limits"],
        expect: "has no limits.cpu, limits.memory",
    },
    "pod-probes": {
        fail: (w) => delete main(w, "Deployment", "gateway")["readinessProbe"],
        expect: "has no readinessProbe",
    },
    "pod-no-service-account-token": {
        fail: (w) => delete specOf(obj(w, "Deployment", "gateway"))["automountServiceAccountToken"],
        expect: "automountServiceAccountToken",
    },
    "pod-image-pinned": {
        fail: (w) => (main(w, "Deployment", "agent-alpha")["image"] = "registry.example.com/acme/agent:latest"),
        expect: "uses the tag latest",
    },
    "pod-image-digest": {
        fail: (w) => (main(w, "Deployment", "agent-alpha")["image"] = "registry.example.com/acme/agent:1.0.0"),
        expect: "not pinned by digest",
    },
    "secrets-env-literal": {
        fail: (w) =>
            main(w, "Deployment", "agent-alpha")["env"].push({ name: "GITHUB_TOKEN", value: "not-a-real-token-123" }),
        expect: "env GITHUB_TOKEN looks secret but has a literal value",
    },
    "secrets-configmap-literal": {
        fail: (w) => (obj(w, "ConfigMap", "agent-alpha-config")["data"]["DB_PASSWORD"] = "hunter2hunter2"),
        expect: "data key DB_PASSWORD looks secret",
    },
    "secrets-by-reference": {
        fail: (w) =>
            (main(w, "Deployment", "agent-alpha")["env"].find((e: Obj) => e["name"] === "OPENAI_API_KEY")["valueFrom"] =
                { configMapKeyRef: { name: "agent-alpha-config", key: "KEY" } }),
        expect: "comes from ConfigMap agent-alpha-config, not a Secret",
    },
    "availability-min-replicas": {
        fail: (w) => (obj(w, "Deployment", "extauth")["spec"]["replicas"] = 2),
        expect: "level 3 requires at least 3 for extauth",
    },
    "availability-pdb": {
        fail: (w) => (obj(w, "PodDisruptionBudget", "keycloak")["spec"]["minAvailable"] = 3),
        expect: "blocks node drains",
    },
    "availability-anti-affinity": {
        fail: (w) =>
            (specOf(obj(w, "Deployment", "envoy-injector"))["affinity"] = {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        {
                            weight: 1,
                            podAffinityTerm: {
                                topologyKey: "kubernetes.io/hostname",
                                labelSelector: { matchLabels: { "app.kubernetes.io/name": "envoy-injector" } },
                            },
                        },
                    ],
                },
            }),
        expect: "requires required pod anti-affinity",
    },
    "zerotrust-webhook-failure-policy": {
        fail: (w) =>
            (obj(w, "MutatingWebhookConfiguration", "envoy-injector")["webhooks"][0]["failurePolicy"] = "Ignore"),
        expect: "failurePolicy Ignore; level 3 requires Fail",
    },
    "zerotrust-webhook-backend": {
        fail: (w) => w.splice(w.indexOf(obj(w, "PodDisruptionBudget", "envoy-injector")), 1),
        expect: "has no PodDisruptionBudget",
    },
    "zerotrust-webhook-selectors": {
        fail: (w) =>
            delete obj(w, "MutatingWebhookConfiguration", "envoy-injector")["webhooks"][0]["namespaceSelector"],
        expect: "selects its own namespace agentstack-system",
    },
    "zerotrust-injection": {
        fail: (w) => delete obj(w, "Namespace", NS.agents)["metadata"]["labels"]["agentstack.io/envoy-injection"],
        expect: "lacks agentstack.io/envoy-injection: enabled",
    },
    "zerotrust-sidecar-template": {
        fail: (w) => w.splice(w.indexOf(obj(w, "ConfigMap", "envoy-sidecar-template")), 1),
        expect: "no sidecar-template ConfigMap describes it",
    },
    "zerotrust-extauth-fail-closed": {
        fail: (w) =>
            w.splice(
                w.indexOf(obj(w, "ConfigMap", "envoy-sidecar-template")),
                1,
                sidecarTemplate(undefined, envoyBootstrapObject(true)),
            ),
        expect: "failure_mode_allow: true (fails open",
    },
    "network-default-deny": {
        fail: (w) => w.splice(w.indexOf(obj(w, "NetworkPolicy", "default-deny", NS.data)), 1),
        expect: "has no default-deny NetworkPolicy",
    },
    "network-sandbox-isolation": {
        fail: (w) => {
            obj(w, "NetworkPolicy", "sandbox")["spec"]["policyTypes"] = ["Ingress"];
            w.splice(w.indexOf(obj(w, "NetworkPolicy", "default-deny", NS.sandbox)), 1);
        },
        expect: "the sandbox can open connections to a pod of another namespace",
    },
    "network-data-store-clients": {
        fail: (w) => (obj(w, "NetworkPolicy", "qdrant")["spec"]["ingress"][0]["from"] = [{ namespaceSelector: {} }]),
        expect: "not its declared clients: a pod of another namespace",
    },
    "network-extauth-from-sidecars": {
        fail: (w) => (obj(w, "NetworkPolicy", "extauth")["spec"]["ingress"][0]["from"] = [{ namespaceSelector: {} }]),
        expect: "pods without an Envoy sidecar",
    },
    "network-data-store-exposure": {
        fail: (w) => (obj(w, "Service", "qdrant")["spec"]["type"] = "LoadBalancer"),
        expect: "outside the cluster (spec.type: LoadBalancer)",
    },
    "exposure-tls": {
        fail: (w) => delete obj(w, "Ingress", "gateway")["spec"]["tls"],
        expect: "serves plain HTTP only",
    },
    "exposure-https-redirect": {
        fail: (w) => {
            const a = obj(w, "Ingress", "gateway")["metadata"]["annotations"];
            a["nginx.ingress.kubernetes.io/ssl-redirect"] = "false";
            delete a["nginx.ingress.kubernetes.io/force-ssl-redirect"];
        },
        expect: "does not redirect HTTP to HTTPS",
    },
    "exposure-llm-timeout": {
        fail: (w) =>
            (obj(w, "Ingress", "gateway")["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"] =
                "60"),
        expect: "proxy-read-timeout is 60",
    },
    "exposure-no-self-signed": {
        fail: (w) => {
            w.splice(w.indexOf(obj(w, "Certificate", "gateway-tls")), 1);
            w.push({
                apiVersion: "v1",
                kind: "Secret",
                type: "kubernetes.io/tls",
                metadata: {
                    name: "gateway-tls",
                    namespace: NS.gateway,
                    annotations: { "agentstack.io/certificate-source": "self-signed" },
                },
                data: { "tls.crt": "", "tls.key": "" },
            });
        },
        expect: "is a self-signed certificate used by Ingress",
    },
    "identity-mcp-auth": {
        fail: (w) => delete obj(w, "ConfigMap", "mcp-search-config")["data"]["MCP_AUTH_JWT_ALG"],
        expect: "does not authenticate callers",
    },
    "identity-mcp-rs256": {
        fail: (w) => {
            obj(w, "ConfigMap", "mcp-search-config")["data"]["MCP_AUTH_JWT_ALG"] = "HS256";
            main(w, "Deployment", "mcp-search")["env"].push({
                name: "MCP_AUTH_JWT_SECRET",
                valueFrom: { secretKeyRef: { name: "mcp-search-jwt", key: "hs256-key" } },
            });
        },
        expect: "verifies HS256 tokens",
    },
    "identity-agent-enforce": {
        fail: (w) => (obj(w, "ConfigMap", "agent-alpha-config")["data"]["SECURITY_MODE"] = "observe"),
        expect: "SECURITY_MODE=observe; level 3 requires enforce",
    },
    "identity-keycloak-production": {
        fail: (w) => (main(w, "Deployment", "keycloak")["args"] = ["start-dev"]),
        expect: "development mode (start-dev)",
    },
    "identity-keycloak-clustering": {
        fail: (w) => (main(w, "Deployment", "keycloak")["env"][0]["value"] = "local"),
        expect: "KC_CACHE=local",
    },
    "identity-keycloak-management-port": {
        fail: (w) =>
            obj(w, "Service", "keycloak")["spec"]["ports"].push({
                name: "management",
                port: 9000,
                targetPort: "management",
            }),
        expect: "management port 9000",
    },
    "stateful-namespace-psa": {
        fail: (w) =>
            (obj(w, "Namespace", NS.data)["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"),
        expect: "enforce is baseline; level 3 requires restricted",
    },
    "stateful-namespace-quota": {
        fail: (w) => w.splice(w.indexOf(obj(w, "ResourceQuota", "agentstack", NS.agents)), 1),
        expect: "has no ResourceQuota",
    },
    "observability-monitoring": {
        fail: (w) => w.splice(w.indexOf(obj(w, "ServiceMonitor", "envoy-injector", NS.system)), 1),
        expect: "no ServiceMonitor or PodMonitor in agentstack-system scrapes it",
        resource: "Deployment/envoy-injector",
    },
    "observability-injector-alert": {
        fail: (w) =>
            (obj(w, "PrometheusRule", "agentstack", NS.system)["spec"]["groups"][0]["rules"][0]["expr"] =
                'sum(kube_deployment_status_replicas_available{deployment="extauth"}) < 1'),
        expect: "no PrometheusRule alerts when it is unavailable",
        resource: "Deployment/envoy-injector",
    },
};

describe("the clean world", () => {
    it.each([1, 2, 3] as const)("passes every policy at level %i", async (level) => {
        expect(await evaluate(cleanWorld(), level)).toEqual([]);
    });
});

describe("every policy has a failing and a passing case", () => {
    it("covers every policy of the pack", () => {
        const covered = new Set([...Object.keys(CASES), "stateful-data-protected"]);
        expect(POLICIES.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
        expect([...covered].filter((n) => !POLICIES.some((p) => p.name === n))).toEqual([]);
    });

    for (const [policy, c] of Object.entries(CASES)) {
        it(policy, async () => {
            const clean = cleanWorld();
            expect(of(await evaluate(clean), policy)).toEqual([]);
            const broken = cleanWorld();
            c.fail(broken);
            const hits = of(await evaluate(broken), policy);
            expect(hits.length, `no ${policy} violation`).toBeGreaterThan(0);
            expect(
                hits.some((v) =>
                    typeof c.expect === "string" ? v.message.includes(c.expect) : c.expect.test(v.message),
                ),
                hits.map((v) => v.message).join("\n"),
            ).toBe(true);
            const meta = metaOf(POLICIES.find((p) => p.name === policy)!);
            for (const v of hits) {
                expect(v.enforcement).toBe(meta.advisoryOnly ? "advisory" : "mandatory");
                expect(v.level).toBe(meta.level);
                // Every message names the resource and a fix (the config key, or why there is none).
                expect(v.message).toContain(
                    `${v.resource.kind} ${v.resource.namespace ? `${v.resource.namespace}/` : ""}${v.resource.name}`,
                );
                expect(v.message).toMatch(/fix: |could not verify/);
            }
            if (c.resource) expect(hits.some((v) => `${v.resource.kind}/${v.resource.name}` === c.resource)).toBe(true);
        });
    }

    it("stateful-data-protected: a data store without Pulumi protect fails at level 3, a protected one passes, plain manifests are not applicable", async () => {
        const config = generatePackConfig(POLICIES, 3);
        const isStore = (o: Obj) => o["metadata"]?.["labels"]?.["agentstack.io/data-store"] === "true";
        const bad = await evaluateResources(
            pulumiResources(cleanWorld(), () => false),
            config,
            { stack: "test", configSource: "test" },
        );
        const hits = of(bad.violations, "stateful-data-protected");
        expect(hits.map((v) => `${v.resource.kind}/${v.resource.name}`).sort()).toEqual([
            "PodDisruptionBudget/qdrant",
            "Service/qdrant",
            "StatefulSet/qdrant",
        ]);
        expect(hits[0]!.message).toContain("agentstack:securityLevel");
        expect(hits[0]!.enforcement).toBe("mandatory");
        const good = await evaluateResources(pulumiResources(cleanWorld(), isStore), config, {
            stack: "test",
            configSource: "test",
        });
        expect(good.violations).toEqual([]);
        const atTwo = await evaluateResources(
            pulumiResources(cleanWorld(), () => false),
            generatePackConfig(POLICIES, 2),
            { stack: "test", configSource: "test" },
        );
        expect(new Set(of(atTwo.violations, "stateful-data-protected").map((v) => v.enforcement))).toEqual(
            new Set(["advisory"]),
        );
        expect(of(await evaluate(cleanWorld()), "stateful-data-protected")).toEqual([]);
    });
});

/** A root container in a workload of the given kind. */
function workloadOfKind(kind: string): Obj {
    const c = { name: "app", image: "example.com/app:1.0.0", securityContext: { runAsUser: 0 } };
    const podSpec = { containers: [c] };
    const template = { metadata: { labels: { app: "x" } }, spec: podSpec };
    const meta = { name: `x-${kind.toLowerCase()}`, namespace: "apps" };
    switch (kind) {
        case "Pod":
            return { apiVersion: "v1", kind, metadata: meta, spec: podSpec };
        case "Job":
            return { apiVersion: "batch/v1", kind, metadata: meta, spec: { template } };
        case "CronJob":
            return {
                apiVersion: "batch/v1",
                kind,
                metadata: meta,
                spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } },
            };
        case "ReplicationController":
            return { apiVersion: "v1", kind, metadata: meta, spec: { selector: { app: "x" }, template } };
        default:
            return {
                apiVersion: "apps/v1",
                kind,
                metadata: meta,
                spec: { selector: { matchLabels: { app: "x" } }, template },
            };
    }
}

describe("every workload kind and container kind", () => {
    it.each(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"])(
        "%s: a root container is flagged",
        async (kind) => {
            const hits = of(await evaluate([workloadOfKind(kind)]), "pod-run-as-non-root");
            expect(hits).toHaveLength(1);
            expect(hits[0]!.resource.kind).toBe(kind);
            expect(hits[0]!.message).toContain('container "app" runs as root');
        },
    );

    it("probes apply to serving workloads, not to Jobs and CronJobs", async () => {
        const vs = await evaluate(["Deployment", "Job", "CronJob"].map(workloadOfKind));
        expect(of(vs, "pod-probes").map((v) => v.resource.kind)).toEqual(["Deployment"]);
    });

    it("init and ephemeral containers are checked like main containers", async () => {
        const w = cleanWorld();
        const spec = specOf(obj(w, "Deployment", "gateway"));
        spec["initContainers"] = [
            {
                ...spec["containers"][0],
                name: "migrate",
                securityContext: { ...spec["containers"][0]["securityContext"], runAsUser: 0 },
                livenessProbe: undefined,
                readinessProbe: undefined,
            },
        ];
        spec["ephemeralContainers"] = [
            { name: "debug", image: "busybox:1.36.1", securityContext: { privileged: true } },
        ];
        const vs = await evaluate(w);
        expect(of(vs, "pod-run-as-non-root").map((v) => v.message)).toEqual([
            expect.stringContaining('init container "migrate" runs as root'),
        ]);
        expect(of(vs, "pod-no-privileged").map((v) => v.message)).toEqual([
            expect.stringContaining('ephemeral container "debug" runs privileged'),
        ]);
        // Ephemeral containers cannot have resources or probes; init containers have no probes.
        expect(of(vs, "pod-resources")).toEqual([]);
        expect(of(vs, "pod-probes")).toEqual([]);
    });

    it("the injected sidecar (sidecar template) is checked like any container, without pod-level fallbacks", async () => {
        const w = cleanWorld();
        const sidecar = sidecarContainerObject();
        delete sidecar["securityContext"]["runAsNonRoot"];
        delete sidecar["resources"];
        sidecar["image"] = "envoyproxy/envoy:latest";
        sidecar["env"] = [{ name: "ADMIN_TOKEN", value: "s3cr3t-s3cr3t" }];
        w.splice(w.indexOf(obj(w, "ConfigMap", "envoy-sidecar-template")), 1, sidecarTemplate(sidecar));
        const vs = await evaluate(w);
        for (const p of ["pod-run-as-non-root", "pod-resources", "pod-image-pinned", "secrets-env-literal"]) {
            expect(
                of(vs, p).map((v) => `${v.resource.kind}/${v.resource.name}`),
                p,
            ).toEqual(["ConfigMap/envoy-sidecar-template"]);
            expect(of(vs, p)[0]!.message).toContain('injected sidecar "envoy"');
        }
    });

    it("an unreadable sidecar template is reported, not skipped", async () => {
        const w = cleanWorld();
        obj(w, "ConfigMap", "envoy-sidecar-template")["data"]["sidecar.yaml"] = "- not: a container";
        const vs = await evaluate(w);
        expect(of(vs, "pod-run-as-non-root").map((v) => v.message)).toEqual([
            expect.stringContaining("not a YAML mapping"),
        ]);
        expect(of(vs, "zerotrust-sidecar-template").map((v) => v.enforcement)).toEqual(["mandatory"]);
    });
});

describe("values unknown during preview never pass silently", () => {
    it("an unknown securityContext field is reported as could-not-verify, with the policy's enforcement", async () => {
        const w = cleanWorld();
        main(w, "Deployment", "gateway")["securityContext"]["readOnlyRootFilesystem"] = { $unknown: true };
        const hits = of(await evaluate(w), "pod-read-only-root-fs");
        expect(hits).toHaveLength(1);
        expect(hits[0]!.enforcement).toBe("mandatory");
        expect(hits[0]!.message).toMatch(
            /could not verify container "gateway": securityContext\.readOnlyRootFilesystem is unknown during preview/,
        );
    });

    it("an unknown ConfigMap value an identity check needs is reported", async () => {
        const w = cleanWorld();
        obj(w, "ConfigMap", "agent-alpha-config")["data"]["SECURITY_MODE"] = { $unknown: true };
        const hits = of(await evaluate(w), "identity-agent-enforce");
        expect(hits.map((v) => v.message)).toEqual([expect.stringContaining("could not verify its SECURITY_MODE")]);
    });

    it("unknown network rules make the reachability checks report could-not-verify", async () => {
        const w = cleanWorld();
        obj(w, "NetworkPolicy", "qdrant")["spec"]["ingress"] = { $unknown: true };
        const hits = of(await evaluate(w), "network-data-store-clients");
        expect(hits.map((v) => v.message)).toEqual([expect.stringContaining("could not verify network reachability")]);
    });

    it("an unknown webhook failurePolicy is reported", async () => {
        const w = cleanWorld();
        obj(w, "MutatingWebhookConfiguration", "envoy-injector")["webhooks"][0]["failurePolicy"] = { $unknown: true };
        expect(of(await evaluate(w), "zerotrust-webhook-failure-policy").map((v) => v.message)).toEqual([
            expect.stringContaining("could not verify its webhooks"),
        ]);
    });
});

describe("levels", () => {
    it("a policy above the required level reports as advisory, at or below as mandatory", async () => {
        const w = cleanWorld();
        w.splice(w.indexOf(obj(w, "NetworkPolicy", "default-deny", NS.data)), 1);
        expect(of(await evaluate(w, 1), "network-default-deny").map((v) => v.enforcement)).toEqual(["advisory"]);
        expect(of(await evaluate(w, 2), "network-default-deny").map((v) => v.enforcement)).toEqual(["mandatory"]);
    });

    it("numbers come from the level table of the checked level", async () => {
        const w = cleanWorld();
        obj(w, "Deployment", "extauth")["spec"]["replicas"] = 2;
        obj(w, "Deployment", "keycloak")["spec"]["replicas"] = 2;
        expect(of(await evaluate(w, 2), "availability-min-replicas")).toEqual([]);
        expect(
            of(await evaluate(w, 3), "availability-min-replicas")
                .map((v) => v.resource.name)
                .sort(),
        ).toEqual(["extauth", "keycloak"]);
    });
});

function writeConfig(content: unknown): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
    const file = path.join(dir, "config.json");
    fs.writeFileSync(file, JSON.stringify(content));
    return file;
}

function rootDeployment(annotations: Record<string, string> = {}): Obj[] {
    const w = cleanWorld();
    main(w, "Deployment", "gateway")["securityContext"]["runAsUser"] = 0;
    Object.assign((obj(w, "Deployment", "gateway")["metadata"]["annotations"] ??= {}), annotations);
    return w;
}

async function withConfig(world: Obj[], config: unknown): Promise<Evaluation> {
    return evaluateManifestsDetailed(world, { packConfigFile: writeConfig(config) });
}

describe("exemptions", () => {
    const exemption = {
        resource: "Deployment/agentstack-gateway/gateway",
        reason: "vendor image needs root until 2.0 (TICKET-1)",
    };

    it("an exemption in the pack config (resource + reason) suppresses the violation of that policy only", async () => {
        const config = generatePackConfig(POLICIES, 3);
        (config["pod-run-as-non-root"] as Obj)["exemptions"] = [exemption];
        const e = await withConfig(rootDeployment(), config);
        expect(of(e.violations, "pod-run-as-non-root")).toEqual([]);
    });

    it("forbidExemptions (prod) ignores the exemption and reports it", async () => {
        const config = generatePackConfig(POLICIES, 3, { forbidExemptions: true });
        (config["pod-run-as-non-root"] as Obj)["exemptions"] = [exemption];
        const msgs = of((await withConfig(rootDeployment(), config)).violations, "pod-run-as-non-root").map(
            (v) => v.message,
        );
        expect(msgs).toEqual(
            expect.arrayContaining([
                expect.stringContaining("forbids exemptions"),
                expect.stringContaining("runs as root"),
            ]),
        );
    });

    it("an exemption without a reason is rejected, as the CLI's config validation does", async () => {
        const config = generatePackConfig(POLICIES, 3);
        (config["pod-run-as-non-root"] as Obj)["exemptions"] = [{ resource: exemption.resource }];
        await expect(withConfig(rootDeployment(), config)).rejects.toThrow(PackConfigError);
        (config["pod-run-as-non-root"] as Obj)["exemptions"] = [{ resource: exemption.resource, reason: "short" }];
        await expect(withConfig(rootDeployment(), config)).rejects.toThrow(/reason|fewer than 10/);
    });

    it("no annotation switches a policy off", async () => {
        const vs = await evaluate(
            rootDeployment({
                "agentstack.io/policy-exempt": "pod-run-as-non-root",
                "pulumi.com/policy-skip": "true",
                "policy.agentstack.io/disable": "all",
            }),
        );
        expect(of(vs, "pod-run-as-non-root")).toHaveLength(1);
    });
});

describe("remediation", () => {
    function unhardened(): Obj[] {
        const w = cleanWorld();
        const spec = specOf(obj(w, "Deployment", "gateway"));
        delete spec["automountServiceAccountToken"];
        delete spec["securityContext"]["seccompProfile"];
        delete spec["containers"][0]["securityContext"]["seccompProfile"];
        return w;
    }

    it("is off unless the config enables it", async () => {
        const e = await evaluateManifestsDetailed(unhardened(), { level: 3 });
        expect(e.remediations).toEqual([]);
        expect(of(e.violations, "pod-seccomp-runtime-default")).toHaveLength(1);
        expect(of(e.violations, "pod-no-service-account-token")).toHaveLength(1);
    });

    it("with enforcementLevel remediate, seccomp RuntimeDefault and automountServiceAccountToken false are set", async () => {
        const e = await withConfig(unhardened(), generatePackConfig(POLICIES, 3, { remediate: true }));
        expect(e.remediations.map((r) => r.policyName).sort()).toEqual([
            "pod-no-service-account-token",
            "pod-seccomp-runtime-default",
        ]);
        expect(of(e.violations, "pod-seccomp-runtime-default")).toEqual([]);
        expect(of(e.violations, "pod-no-service-account-token")).toEqual([]);
    });

    it("leaves an explicit choice alone and still reports it", async () => {
        const w = unhardened();
        specOf(obj(w, "Deployment", "gateway"))["automountServiceAccountToken"] = true;
        const e = await withConfig(w, generatePackConfig(POLICIES, 3, { remediate: true }));
        expect(of(e.violations, "pod-no-service-account-token").map((v) => v.enforcement)).toEqual(["mandatory"]);
    });
});
