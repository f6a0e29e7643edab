/**
 * The real program, run under the offline harness for each stack file: what it registers, the level's
 * numbers, the env wiring and the hardening of every container. Also run in preview mode.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
    assertRegistered,
    containersOf,
    expectHardened,
    find,
    ofKind,
    runStack,
    StackRun,
    workloadsOf,
} from "./helpers";

const runs: Record<string, StackRun> = {};

beforeAll(async () => {
    for (const stack of ["dev", "staging", "prod"]) runs[stack] = await runStack(stack);
});

/** Env var names that look like secret material. */
const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL)S?$|^(API_?KEY|TOKEN)$/i;

describe("the harness", () => {
    it("rejects a run in which the program registered nothing", () => {
        expect(() => assertRegistered({ resources: [] })).toThrow(/registered nothing/);
    });

    it("registers the stack, the platform and its components", () => {
        const types = new Set(runs["dev"]!.resources.map((r) => r.type));
        for (const t of [
            "pulumi:pulumi:Stack",
            "agentstack:platform:Platform",
            "agentstack:agent:Agent",
            "agentstack:mcp:McpServer",
            "agentstack:gateway:Gateway",
            "agentstack:sandbox:Sandbox",
            "agentstack:workload:HardenedWorkload",
        ]) {
            expect(types.has(t), t).toBe(true);
        }
        // Every component child is parented: at the stack root only the platform and the explicit
        // Kubernetes provider every object uses (docs/decisions.md: config changes roll).
        const stackUrn = runs["dev"]!.resources.find((r) => r.type === "pulumi:pulumi:Stack")!.urn;
        const atRoot = runs["dev"]!.resources.filter((r) => r.parent === stackUrn)
            .map((r) => r.type)
            .sort();
        expect(atRoot).toEqual(["agentstack:platform:Platform", "pulumi:providers:kubernetes"]);
    });

    it("hands back the spec and the flow table the program ran with, resolved once", async () => {
        const { flowTable } = await import("../stacks/flows");
        const { networkPolicyObjects } = await import("../components/networkPolicies");
        const prod = runs["prod"]!;
        expect(prod.spec.level).toBe(3);
        expect(prod.flows).toEqual(flowTable(prod.spec));
        // The NetworkPolicies the program registered are exactly those of the returned flow table.
        const names = (objs: { metadata: { namespace?: unknown; name?: unknown } }[]) =>
            objs.map((o) => `${String(o.metadata.namespace)}/${String(o.metadata.name)}`).sort();
        expect(names(ofKind(prod.manifests, "NetworkPolicy") as never)).toEqual(
            names(networkPolicyObjects(prod.spec, prod.flows) as never),
        );
    });

    it("records URNs as the engine makes them: every parent and dependency resolves", () => {
        const urns = new Set(runs["prod"]!.resources.map((r) => r.urn));
        expect(urns.size).toBe(runs["prod"]!.resources.length);
        for (const r of runs["prod"]!.resources) {
            if (r.parent) expect(urns.has(r.parent), `${r.urn} parent`).toBe(true);
            for (const d of r.options.dependsOn) expect(urns.has(d), `${r.urn} dependsOn ${d}`).toBe(true);
        }
        expect(urns).toContain(
            "urn:pulumi:prod::agentstack::agentstack:platform:Platform$agentstack:agent:Agent$agentstack:workload:HardenedWorkload$kubernetes:apps/v1:Deployment::agentstack-agent-coder-workload-deployment",
        );
    });
});

describe("dev (level 1)", () => {
    it("creates the expected objects", () => {
        const m = runs["dev"]!.manifests;
        expect(
            ofKind(m, "Namespace")
                .map((n) => n["metadata"]["name"])
                .sort(),
        ).toEqual([
            "agentstack-agents",
            "agentstack-data",
            "agentstack-gateway",
            "agentstack-identity",
            "agentstack-mcp",
            "agentstack-sandbox",
            "agentstack-system",
        ]);
        expect(
            ofKind(m, "Deployment")
                .map((d) => d["metadata"]["name"])
                .sort(),
        ).toEqual(
            expect.arrayContaining([
                "agent-coder",
                "agent-support",
                "gateway",
                "mcp-code-tools",
                "mcp-web-search",
                "sandbox",
            ]),
        );
    });

    it("runs every workload with one replica, no PDB, no anti-affinity", () => {
        const m = runs["dev"]!.manifests;
        expect(ofKind(m, "PodDisruptionBudget")).toEqual([]);
        for (const w of workloadsOf(m)) {
            const affinity = w["spec"]["template"]["spec"]["affinity"];
            if (w["metadata"]["name"] === "mongodb") {
                // The table gives MongoDB soft anti-affinity at every level below 3: preferred, weight 1.
                expect(affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight).toBe(1);
            } else expect(affinity, w["metadata"]["name"]).toBeUndefined();
            const hpa = m.find(
                (o) =>
                    o["kind"] === "HorizontalPodAutoscaler" &&
                    o["spec"]["scaleTargetRef"]["name"] === w["metadata"]["name"],
            );
            expect(hpa ? hpa["spec"]["minReplicas"] : w["spec"]["replicas"], w["metadata"]["name"]).toBe(1);
        }
        expect(find(m, "HorizontalPodAutoscaler", "gateway")["spec"]["maxReplicas"]).toBe(5);
    });

    it("wires agents: settings from the ConfigMap, the API key and MCP tokens from Secrets", () => {
        const m = runs["dev"]!.manifests;
        const cm = find(m, "ConfigMap", "agent-coder-config")["data"];
        expect(cm["SECURITY_MODE"]).toBe("observe");
        expect(cm["MODEL_ENDPOINT"]).toBe("https://api.openai.com/v1");
        expect(cm["LOG_LEVEL"]).toBe("info");
        expect(cm["TOOL_INSPECTION_ENABLED"]).toBe("true");
        expect(cm["MCP_SERVERS"]).toBe("code-tools,web-search");
        expect(cm["MCP_WEB_SEARCH_URL"]).toBe("http://mcp-web-search.agentstack-mcp.svc.cluster.local:8000/mcp");
        expect(cm["SANDBOX_URL"]).toBe("http://sandbox.agentstack-sandbox.svc.cluster.local:8080");
        const env = find(m, "Deployment", "agent-coder")["spec"]["template"]["spec"]["containers"][0]["env"];
        const byName = Object.fromEntries(env.map((e: any) => [e.name, e]));
        expect(byName["OPENAI_API_KEY"].valueFrom).toEqual({ secretKeyRef: { name: "llm-api-key", key: "api-key" } });
        expect(byName["MODEL_ENDPOINT"].valueFrom).toEqual({
            configMapKeyRef: { name: "agent-coder-config", key: "MODEL_ENDPOINT" },
        });
        expect(byName["MCP_WEB_SEARCH_AUTH_TOKEN"].valueFrom).toEqual({
            secretKeyRef: { name: "agent-coder-mcp-credentials", key: "web-search-token" },
        });
        expect(byName["MCP_CODE_TOOLS_AUTH_TOKEN"].valueFrom.secretKeyRef.key).toBe("code-tools-token");
        // An agent with one MCP server also gets the plain names.
        const support = find(m, "Deployment", "agent-support")["spec"]["template"]["spec"]["containers"][0]["env"].map(
            (e: any) => e.name,
        );
        expect(support).toEqual(expect.arrayContaining(["MCP_AUTH_TOKEN", "MCP_WEB_SEARCH_AUTH_TOKEN"]));
        expect(find(m, "ConfigMap", "agent-support-config")["data"]["MCP_SERVER_URL"]).toContain("mcp-web-search");
    });

    it("gives MCP servers HS256 with a generated key in a Secret, and agents a token it accepts", async () => {
        const m = runs["dev"]!.manifests;
        expect(find(m, "ConfigMap", "mcp-web-search-config")["data"]).toMatchObject({
            MCP_AUTH_JWT_ALG: "HS256",
            MCP_AUTH_JWT_AUDIENCE: "mcp-web-search",
        });
        const env = find(m, "Deployment", "mcp-web-search")["spec"]["template"]["spec"]["containers"][0]["env"];
        expect(env.find((e: any) => e.name === "MCP_AUTH_JWT_SECRET").valueFrom).toEqual({
            secretKeyRef: { name: "mcp-web-search-jwt", key: "hs256-key" },
        });
        // The token in the agent's Secret verifies against the server's key (checked on the raw, unredacted inputs).
        const { createHmac } = await import("crypto");
        const raw = (name: string) =>
            runs["dev"]!.resources.find(
                (r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs["metadata"] as any).name === name,
            )!.inputs;
        const unwrap = (v: any): any => (v && typeof v === "object" && "$secret" in v ? unwrap(v.$secret) : v);
        const key = unwrap(unwrap(raw("mcp-web-search-jwt")["stringData"])["hs256-key"]);
        const token: string = unwrap(unwrap(raw("agent-coder-mcp-credentials")["stringData"])["web-search-token"]);
        const [h, p, sig] = token.split(".");
        expect(createHmac("sha256", key).update(`${h}.${p}`).digest("base64url")).toBe(sig);
        expect(JSON.parse(Buffer.from(p!, "base64url").toString())).toEqual({
            iss: "agentstack",
            sub: "agent-coder",
            aud: "mcp-web-search",
        });
        const otherKey = unwrap(unwrap(raw("mcp-code-tools-jwt")["stringData"])["hs256-key"]);
        expect(createHmac("sha256", otherKey).update(`${h}.${p}`).digest("base64url")).not.toBe(sig);
    });

    it("exposes the gateway through a Gateway API HTTPRoute (the default) with self-signed TLS, redirect and the LLM timeout", () => {
        const m = runs["dev"]!.manifests;
        expect(ofKind(m, "Ingress")).toEqual([]);
        const route = find(m, "HTTPRoute", "gateway");
        expect(route["spec"]["parentRefs"]).toEqual([
            { name: "edge", namespace: "gateway-system", sectionName: "https" },
        ]);
        expect(route["spec"]["hostnames"]).toEqual(["agents.dev.example.com"]);
        expect(route["spec"]["rules"][0]["timeouts"]).toEqual({ request: "300s", backendRequest: "300s" });
        const redirect = find(m, "HTTPRoute", "gateway-https-redirect");
        expect(redirect["spec"]["rules"][0]["filters"]).toEqual([
            { type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } },
        ]);
        // The Gateway (another namespace) may read exactly the certificate Secret.
        expect(find(m, "ReferenceGrant", "gateway-tls")["spec"]["to"]).toEqual([
            { group: "", kind: "Secret", name: "gateway-tls" },
        ]);
        const tls = find(m, "Secret", "gateway-tls");
        expect(tls["type"]).toBe("kubernetes.io/tls");
        expect(tls["stringData"]).toEqual({ "tls.crt": "[secret]", "tls.key": "[secret]" });
        // Self-signed exposure certificates: the gateway's and Keycloak's login host (the injector's CA is separate).
        expect(
            ofKind(m, "Secret")
                .filter((x) => x["metadata"]["annotations"]?.["agentstack.io/certificate-source"] === "self-signed")
                .map((x) => x["metadata"]["name"])
                .sort(),
        ).toEqual(["gateway-tls", "keycloak-tls"]);
    });

    it("isolates the sandbox: no token, no sidecar, its own namespace, tight limits", () => {
        const m = runs["dev"]!.manifests;
        const sb = find(m, "Deployment", "sandbox");
        const pod = sb["spec"]["template"]["spec"];
        expect(pod["automountServiceAccountToken"]).toBe(false);
        expect(sb["spec"]["template"]["metadata"]["labels"]["sidecar"]).toBeUndefined();
        expect(sb["metadata"]["namespace"]).toBe("agentstack-sandbox");
        expect(pod["containers"][0]["resources"]["limits"]).toEqual({ cpu: "1", memory: "512Mi" });
        expect(pod["volumes"]).toEqual([{ name: "sandbox-tmp", emptyDir: { sizeLimit: "64Mi" } }]);
        expect(
            find(m, "Namespace", "agentstack-sandbox")["metadata"]["labels"]["agentstack.io/envoy-injection"],
        ).toBeUndefined();
    });
});

describe.each([
    ["staging", 5],
    ["prod", 10],
])("%s (level 2/3)", (stack, gatewayMax) => {
    it("scales agents, MCP servers and the gateway per the table, with PDBs and preferred anti-affinity", () => {
        const m = runs[stack]!.manifests;
        for (const name of ["agent-coder", "agent-support", "mcp-web-search", "mcp-code-tools", "gateway"]) {
            const hpa = find(m, "HorizontalPodAutoscaler", name);
            expect(hpa["spec"]["minReplicas"], name).toBe(2);
            expect(find(m, "Deployment", name)["spec"]["replicas"], `${name}: the HPA owns replicas`).toBeUndefined();
            const pdb = find(m, "PodDisruptionBudget", name);
            expect(pdb["spec"]["minAvailable"]).toBe(1);
            expect(pdb["spec"]["unhealthyPodEvictionPolicy"]).toBe("AlwaysAllow");
            const aa = find(m, "Deployment", name)["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"];
            expect(aa["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"]).toBe(
                "kubernetes.io/hostname",
            );
        }
        expect(find(m, "HorizontalPodAutoscaler", "gateway")["spec"]["maxReplicas"]).toBe(gatewayMax);
        expect(
            find(m, "HorizontalPodAutoscaler", "gateway")["spec"]["metrics"].map((x: any) => [
                x.resource.name,
                x.resource.target.averageUtilization,
            ]),
        ).toEqual([
            ["cpu", 70],
            ["memory", 80],
        ]);
    });

    it("enforces agents, RS256 MCP auth via Keycloak JWKS, CA-issued TLS, quotas and restricted PSA", () => {
        const m = runs[stack]!.manifests;
        expect(find(m, "ConfigMap", "agent-coder-config")["data"]["SECURITY_MODE"]).toBe("enforce");
        const mcp = find(m, "ConfigMap", "mcp-web-search-config")["data"];
        expect(mcp["MCP_AUTH_JWT_ALG"]).toBe("RS256");
        expect(mcp["MCP_AUTH_JWT_JWKS_URI"]).toBe(
            "http://keycloak.agentstack-identity.svc.cluster.local:8080/realms/agentstack/protocol/openid-connect/certs",
        );
        expect(mcp["MCP_AUTH_JWT_AUDIENCE"]).toBe("mcp-web-search");
        expect(m.some((o) => o["kind"] === "Secret" && o["metadata"]["name"].endsWith("-jwt"))).toBe(false);
        expect(find(m, "Certificate", "gateway-tls")["spec"]["issuerRef"]).toEqual({
            name: "letsencrypt-prod",
            kind: "ClusterIssuer",
            group: "cert-manager.io",
        });
        expect(
            ofKind(m, "Secret").filter(
                (x) => x["metadata"]["annotations"]?.["agentstack.io/certificate-source"] === "self-signed",
            ),
        ).toEqual([]);
        expect(find(m, "Certificate", "keycloak-tls")["spec"]["dnsNames"]).toEqual([
            `auth.${find(m, "HTTPRoute", "gateway")["spec"]["hostnames"][0]}`,
        ]);
        expect(ofKind(m, "ResourceQuota")).toHaveLength(7);
        expect(ofKind(m, "LimitRange")).toHaveLength(7);
        for (const ns of ofKind(m, "Namespace"))
            expect(ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });
});

describe.each(["dev", "staging", "prod"])("every container of %s", (stack) => {
    it("is hardened: non-root, read-only root, no escalation, drop ALL, seccomp, requests+limits, probes", () => {
        const all = containersOf(runs[stack]!.manifests);
        expect(all.length).toBeGreaterThanOrEqual(6);
        for (const { owner, container: c } of all) {
            const pod = owner["spec"]["template"]["spec"];
            const where = `${owner["metadata"]["name"]}/${c["name"]}`;
            const isInit = (pod["initContainers"] ?? []).includes(c);
            // Probes are for serving containers: not init containers, not a Job's (the realm sync runs to completion).
            expectHardened(c, pod, where, { probes: !isInit && owner["kind"] !== "Job" });
            expect(pod["securityContext"]["seccompProfile"]["type"], where).toBe("RuntimeDefault");
            expect(pod["automountServiceAccountToken"], where).toBe(false);
            expect(pod["hostNetwork"] ?? false).toBe(false);
        }
    });

    it("has no secret-looking env var with a literal value", () => {
        const all = containersOf(runs[stack]!.manifests);
        const offenders = all.flatMap(({ owner, container }) =>
            (container["env"] ?? [])
                .filter((e: any) => SECRET_NAME.test(e.name) && e.value !== undefined)
                .map((e: any) => `${owner["metadata"]["name"]}:${e.name}`),
        );
        expect(offenders).toEqual([]);
        const secretRefs = all.flatMap(({ container }) =>
            (container["env"] ?? []).filter((e: any) => SECRET_NAME.test(e.name)),
        );
        expect(secretRefs.length).toBeGreaterThan(0);
        for (const e of secretRefs) expect(e.valueFrom.secretKeyRef, e.name).toBeTruthy();
    });

    it("carries the recommended labels and the Envoy sidecar label on injected workloads", () => {
        const m = runs[stack]!.manifests;
        for (const w of workloadsOf(m)) {
            const labels = w["spec"]["template"]["metadata"]["labels"];
            expect(labels["app.kubernetes.io/part-of"]).toBe("agentstack");
            expect(labels["app.kubernetes.io/instance"]).toBe(w["metadata"]["name"]);
            expect(labels["app.kubernetes.io/name"]).toMatch(
                /^(agent|mcp-server|gateway|sandbox|extauth|envoy-injector|keycloak|qdrant|mongodb|postgresql)$/,
            );
            const ns = w["metadata"]["namespace"] as string;
            const injected = /-(gateway|agents|mcp)$/.test(ns);
            expect(labels["sidecar"] === "envoy", `${w["metadata"]["name"]} in ${ns}`).toBe(injected);
            expect(w["spec"]["template"]["metadata"]["annotations"]?.["checksum/config"] ?? "none").toMatch(
                /^([0-9a-f]{64}|none)$/,
            );
        }
    });
});

describe("preview mode (unknown outputs)", () => {
    it.each(["dev", "prod"])("evaluates %s without hanging or throwing", async (stack) => {
        const run = await runStack(stack, { preview: true });
        expect(run.preview).toBe(true);
        expect(run.manifests.length).toBe(runs[stack]!.manifests.length);
        if (stack === "dev") {
            // Generated keys are unknown in a first preview: the HS256 Secret holds an unknown, never a made-up value.
            const jwt = run.resources.find(
                (r) =>
                    r.type === "kubernetes:core/v1:Secret" &&
                    (r.inputs["metadata"] as any).name === "mcp-web-search-jwt",
            )!;
            expect(JSON.stringify(jwt.inputs["stringData"])).toContain("$unknown");
        }
    });
});
