/**
 * Issue 11 (part 1): the gateway is the official Envoy image configured by the program — JWT from
 * Keycloak (public issuer, in-cluster JWKS, the gateway's audience), a route per agent, CORS for the
 * configured origins only, the configured rate limit, a body limit, security headers, the LLM timeout,
 * an access log without credentials — checked against Envoy's own v3 protos. Every image is real or the
 * user's; TLS issues at every level (the HTTP-01 solver's flow and quota, Pulumi waits for the
 * Certificate); the Route mode grants the router its Secret.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
    ACCESS_LOG_FORMAT,
    API_CSP,
    CHAT_UI_CLUSTER,
    GATEWAY_HEALTH_PATH,
    KEYCLOAK_CLUSTER,
    SECURITY_HEADERS,
    gatewayEnvoyConfig,
} from "../components/gatewayEnvoy";
import { GATEWAY_CONFIG_DIR, GATEWAY_CONFIG_KEY } from "../components/gateway";
import { quotaHard } from "../components/namespaces";
import { keycloakIssuer } from "../components/names";
import { GATEWAY_CLIENT_ID } from "../components/realm";
import { ConfigError } from "../stacks/errors";
import { PlatformSpec, resolvePlatformSpec } from "../stacks/resolve";
import { DEFAULT_GATEWAY_IMAGE } from "../stacks/schema";
import { validateEnvoyConfig } from "../tools/envoy/validate";
import { connectivityReport } from "../tools/harness/connectivityReport";
import { baseConfig, engineConfig, find, K8sObject, ofKind, runStack, StackRun } from "./helpers";

type Obj = Record<string, any>;

/** A resolved spec from `agentstack:` values. */
function specOf(values: Record<string, unknown>): PlatformSpec {
    const cfg = engineConfig(values);
    return resolvePlatformSpec({ values: cfg.values, secretKeys: cfg.secretKeys });
}

/** Config keys of the problems a config has ([] when it resolves). */
function issueKeys(values: Record<string, unknown>): string[] {
    try {
        specOf(values);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.issues.map((i) => i.key).sort();
        throw e;
    }
}

/** The gateway's Envoy config for a spec, as the Gateway component derives it. */
function envoyOf(spec: PlatformSpec): Obj {
    return gatewayEnvoyConfig({
        spec: spec.gateway,
        namespaces: spec.namespaces,
        agents: spec.agents.map((a) => ({ name: a.name, port: a.port })),
        issuer: keycloakIssuer(spec.keycloak.hostname),
        audience: GATEWAY_CLIENT_ID,
    });
}

const hcmOf = (cfg: Obj): Obj =>
    cfg["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
const filterOf = (cfg: Obj, name: string): Obj => {
    const f = hcmOf(cfg)["http_filters"].find((x: Obj) => x["name"] === name);
    if (!f) throw new Error(`no http filter ${name}`);
    return f["typed_config"];
};
const vhostOf = (cfg: Obj): Obj => hcmOf(cfg)["route_config"]["virtual_hosts"][0];
const clusterOf = (cfg: Obj, name: string): Obj => {
    const c = cfg["static_resources"]["clusters"].find((x: Obj) => x["name"] === name);
    if (!c) throw new Error(`no cluster ${name}`);
    return c;
};
const addressOf = (c: Obj): string => {
    const a = c["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"];
    return `${a["address"]}:${a["port_value"]}`;
};

/** Level 2, custom gateway settings, a chat UI. */
const custom = baseConfig(2, {
    gateway: {
        hostname: "agents.corp.example",
        gatewayRef: { name: "edge", namespace: "gateway-system" },
        tls: { mode: "secret", secretName: "gw-tls" },
        corsOrigins: ["https://app.corp.example", "https://admin.corp.example"],
        rateLimit: { requestsPerSecond: 7, burst: 11 },
        maxRequestBytes: 65536,
        llmRouteTimeoutSeconds: 450,
        trustedProxyHops: 2,
        chatUi: { image: "registry.example.com/acme/chat-ui:2.0.0", port: 3000, healthPath: "/health" },
    },
    keycloak: { hostname: "login.corp.example" },
});

describe("the gateway's Envoy config", () => {
    const spec = specOf(custom);
    const cfg = envoyOf(spec);

    it("passes the Envoy-API proto check; a broken copy does not (the check can fail)", () => {
        expect(validateEnvoyConfig(cfg)).toEqual([]);
        const broken = JSON.parse(JSON.stringify(cfg)) as Obj;
        filterOf(broken, "envoy.filters.http.jwt_authn")["providers"]["keycloak"]["audience"] = "gateway"; // the field is `audiences`
        filterOf(broken, "envoy.filters.http.local_ratelimit")["token_bucket"]["max_tokens"] = 0; // PGV: gt 0
        const errors = validateEnvoyConfig(broken);
        expect(errors.some((e) => e.includes("audience"))).toBe(true);
        expect(errors.some((e) => e.includes("max_tokens"))).toBe(true);
    });

    it("authenticates with Keycloak JWTs: public issuer, JWKS fetched in-cluster, the gateway's audience", () => {
        const jwt = filterOf(cfg, "envoy.filters.http.jwt_authn");
        const provider = jwt["providers"]["keycloak"];
        expect(provider["issuer"]).toBe("https://login.corp.example/realms/agentstack");
        expect(provider["audiences"]).toEqual(["gateway"]);
        expect(provider["forward"]).toBe(false);
        const uri = provider["remote_jwks"]["http_uri"];
        expect(uri["uri"]).toBe(
            "http://keycloak.agentstack-identity.svc.cluster.local:8080/realms/agentstack/protocol/openid-connect/certs",
        );
        expect(uri["cluster"]).toBe(KEYCLOAK_CLUSTER);
        expect(addressOf(clusterOf(cfg, KEYCLOAK_CLUSTER))).toBe("keycloak.agentstack-identity.svc.cluster.local:8080");
        // Every agent route requires the provider; nothing else does.
        expect(jwt["rules"]).toEqual([{ match: { prefix: "/agents/" }, requires: { provider_name: "keycloak" } }]);
        for (const r of vhostOf(cfg)["routes"].filter((x: Obj) => x["name"] !== CHAT_UI_CLUSTER)) {
            expect(r["match"]["prefix"].startsWith("/agents/"), r["name"]).toBe(true);
        }
    });

    it("answers the health path itself, before authentication and the rate limit", () => {
        const names = hcmOf(cfg)["http_filters"].map((f: Obj) => f["name"]);
        expect(names).toEqual([
            "envoy.filters.http.health_check",
            "envoy.filters.http.cors",
            "envoy.filters.http.local_ratelimit",
            "envoy.filters.http.buffer",
            "envoy.filters.http.jwt_authn",
            "envoy.filters.http.router",
        ]);
        const hc = filterOf(cfg, "envoy.filters.http.health_check");
        expect(hc["pass_through_mode"]).toBe(false);
        expect(hc["headers"]).toEqual([{ name: ":path", string_match: { exact: GATEWAY_HEALTH_PATH } }]);
        expect(cfg["admin"]).toBeUndefined();
    });

    it("allows CORS for the configured origins only, and sets no CORS policy without origins", () => {
        const cors = vhostOf(cfg)["typed_per_filter_config"]["envoy.filters.http.cors"];
        expect(cors["allow_origin_string_match"]).toEqual([
            { exact: "https://app.corp.example" },
            { exact: "https://admin.corp.example" },
        ]);
        const none = envoyOf(specOf(baseConfig(2)));
        expect(vhostOf(none)["typed_per_filter_config"]).toBeUndefined();
    });

    it("applies the configured rate limit, body limit, XFF trust and LLM timeout", () => {
        const rl = filterOf(cfg, "envoy.filters.http.local_ratelimit");
        expect(rl["token_bucket"]).toEqual({ max_tokens: 11, tokens_per_fill: 7, fill_interval: "1s" });
        expect(rl["filter_enabled"]["default_value"]).toEqual({ numerator: 100, denominator: "HUNDRED" });
        expect(rl["filter_enforced"]["default_value"]).toEqual({ numerator: 100, denominator: "HUNDRED" });
        expect(filterOf(cfg, "envoy.filters.http.buffer")["max_request_bytes"]).toBe(65536);
        const hcm = hcmOf(cfg);
        expect(hcm["use_remote_address"]).toBe(true);
        expect(hcm["xff_num_trusted_hops"]).toBe(2);
        expect(hcm["stream_idle_timeout"]).toBe("450s");
        const agentRoutes = vhostOf(cfg)["routes"].filter((r: Obj) => r["name"] !== CHAT_UI_CLUSTER);
        expect(agentRoutes).toHaveLength(2);
        for (const r of agentRoutes) expect(r["route"]["timeout"]).toBe("450s");
    });

    it("routes /agents/<name>/ to each agent (prefix rewritten) and / to the chat UI, on the public host only", () => {
        const vh = vhostOf(cfg);
        expect(vh["domains"]).toEqual(["agents.corp.example"]);
        expect(
            vh["routes"].map((r: Obj) => [r["match"]["prefix"], r["route"]["cluster"], r["route"]["prefix_rewrite"]]),
        ).toEqual([
            ["/agents/alpha/", "agent-alpha", "/"],
            ["/agents/beta/", "agent-beta", "/"],
            ["/", CHAT_UI_CLUSTER, undefined],
        ]);
        expect(addressOf(clusterOf(cfg, "agent-alpha"))).toBe("agent-alpha.agentstack-agents.svc.cluster.local:8080");
        expect(addressOf(clusterOf(cfg, CHAT_UI_CLUSTER))).toBe(
            "gateway-chat-ui.agentstack-gateway.svc.cluster.local:3000",
        );
        // Without a chat UI there is no route for `/` at all.
        const bare = envoyOf(specOf(baseConfig(2)));
        expect(vhostOf(bare)["routes"].map((r: Obj) => r["match"]["prefix"])).toEqual([
            "/agents/alpha/",
            "/agents/beta/",
        ]);
    });

    it("adds the security headers to every response and a CSP to the API routes", () => {
        const added = Object.fromEntries(
            vhostOf(cfg)["response_headers_to_add"].map((h: Obj) => [
                h["header"]["key"],
                [h["header"]["value"], h["append_action"]],
            ]),
        );
        expect(added).toEqual({
            "strict-transport-security": ["max-age=31536000; includeSubDomains", "OVERWRITE_IF_EXISTS_OR_ADD"],
            "x-content-type-options": ["nosniff", "OVERWRITE_IF_EXISTS_OR_ADD"],
            "x-frame-options": ["DENY", "OVERWRITE_IF_EXISTS_OR_ADD"],
            "referrer-policy": ["no-referrer", "OVERWRITE_IF_EXISTS_OR_ADD"],
        });
        expect(Object.keys(SECURITY_HEADERS)).toHaveLength(4);
        const alpha = vhostOf(cfg)["routes"][0];
        expect(alpha["response_headers_to_add"]).toEqual([
            { header: { key: "content-security-policy", value: API_CSP }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        ]);
    });

    it("writes an access log that never contains Authorization, cookies or the query string", () => {
        const log = hcmOf(cfg)["access_log"][0]["typed_config"]["log_format"];
        expect(log["json_format"]).toEqual(ACCESS_LOG_FORMAT);
        const text = JSON.stringify(log["json_format"]).toLowerCase();
        for (const banned of ["authorization", "cookie", "%req(:path)%", "x-jwt", "%dynamic_metadata"])
            expect(text).not.toContain(banned);
        expect(log["json_format"]["path"]).toBe("%REQ_WITHOUT_QUERY(:PATH)%");
        expect(log["formatters"].map((f: Obj) => f["name"])).toEqual(["envoy.formatter.req_without_query"]);
    });
});

describe("user workloads have no default image", () => {
    const { images: _images, ...noImages } = baseConfig(1);
    void _images;

    it("requires each agent, MCP server and the sandbox to name an image, naming the key", () => {
        expect(issueKeys(noImages)).toEqual([
            "agentstack:agents[0].image",
            "agentstack:agents[1].image",
            "agentstack:mcpServers[0].image",
            "agentstack:mcpServers[1].image",
            "agentstack:sandbox.image",
        ]);
    });

    it("takes a per-instance image over the shared one", () => {
        const spec = specOf(
            baseConfig(1, {
                agents: [{ name: "alpha", image: "registry.example.com/acme/alpha:3.1.0" }, { name: "beta" }],
                mcpServers: [],
            }),
        );
        expect(spec.agents.map((a) => a.image)).toEqual([
            "registry.example.com/acme/alpha:3.1.0",
            "registry.example.com/acme/agent:1.0.0",
        ]);
        expect(spec.gateway.image).toBe(DEFAULT_GATEWAY_IMAGE);
    });
});

describe.each(["dev", "staging", "prod"])("stack %s", (stack) => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack(stack);
    });

    it("names no ghcr.io/agentstack/ image, and every default image is listed in docs/images.md", () => {
        const text = JSON.stringify(run.manifests);
        expect(text).not.toContain("ghcr.io/agentstack/");
        const docs = fs.readFileSync(path.join(__dirname, "..", "docs", "images.md"), "utf8");
        const images = new Set<string>();
        for (const m of text.matchAll(/\\?"image\\?":\s*\\?"([^"\\]+)/g)) images.add(m[1]!);
        for (const m of text.matchAll(/image: ([^\s"\\]+)/g)) images.add(m[1]!);
        const platform = [...images].filter((i) => !i.startsWith("registry.example.com/") && /[:@]/.test(i));
        expect(platform.length).toBeGreaterThan(5);
        for (const i of platform) expect(docs, i).toContain(`\`${i}\``);
    });

    it("runs the gateway on the official Envoy image with the program's config file", () => {
        const d = find(run.manifests, "Deployment", "gateway");
        const c = d["spec"]["template"]["spec"]["containers"].find((x: K8sObject) => x["name"] === "gateway");
        expect(c["image"]).toBe(DEFAULT_GATEWAY_IMAGE);
        expect(c["args"]).toEqual([
            "-c",
            `${GATEWAY_CONFIG_DIR}/${GATEWAY_CONFIG_KEY}`,
            "--disable-hot-restart",
            "--concurrency",
            "2",
            "--log-level",
            "info",
        ]);
        expect(c["env"]).toBeUndefined();
        expect(c["readinessProbe"]["httpGet"]).toEqual({ path: "/healthz", port: "http" });
        expect(c["volumeMounts"]).toContainEqual({
            name: "envoy-config",
            mountPath: GATEWAY_CONFIG_DIR,
            readOnly: true,
        });
        const cm = find(run.manifests, "ConfigMap", "gateway-envoy");
        const cfg = JSON.parse(cm["data"][GATEWAY_CONFIG_KEY]);
        expect(validateEnvoyConfig(cfg)).toEqual([]);
        expect(d["spec"]["template"]["spec"]["volumes"]).toContainEqual({
            name: "envoy-config",
            configMap: { name: "gateway-envoy" },
        });
    });

    it("exposes the gateway through a Gateway API HTTPRoute by default", () => {
        expect(
            ofKind(run.manifests, "HTTPRoute")
                .map((r) => r["metadata"]["name"])
                .sort(),
        ).toEqual(["gateway", "gateway-https-redirect", "keycloak", "keycloak-https-redirect"]);
        expect(ofKind(run.manifests, "Ingress")).toEqual([]);
    });
});

describe("TLS that issues at levels 2 and 3 (cert-manager HTTP-01)", () => {
    const certManager = (level: 2 | 3) =>
        baseConfig(level, {
            gateway: {
                hostname: "a.example.com",
                gatewayRef: { name: "edge", namespace: "gateway-system" },
                tls: { mode: "cert-manager", issuer: { name: "letsencrypt-prod" } },
            },
        });
    const runs: Record<string, StackRun> = {};
    beforeAll(async () => {
        for (const level of [2, 3] as const) {
            runs[`cm${level}`] = await runStack(`cm${level}`, { config: engineConfig(certManager(level)) });
            runs[`secret${level}`] = await runStack(`secret${level}`, { config: engineConfig(baseConfig(level)) });
        }
    });

    it.each([2, 3] as const)(
        "level %i: the connectivity report adds exactly the ingress controller → HTTP-01 solver on 8089 (and the solver's zone DNS)",
        (level) => {
            const entries = (name: string) => {
                const run = runs[name]!;
                expect(run.spec).toEqual(specOf(name.startsWith("cm") ? certManager(level) : baseConfig(level)));
                return new Set(
                    connectivityReport(run.manifests, run).entries.map((e) => `${e.src} => ${e.dst} : ${e.conn}`),
                );
            };
            const withSolver = entries(`cm${level}`);
            const without = entries(`secret${level}`);
            const added = [...withSolver].filter((e) => !without.has(e)).sort();
            const removed = [...without].filter((e) => !withSolver.has(e));
            expect(removed).toEqual([]);
            expect(added).toEqual([
                "agentstack-gateway/acme-http01-solver[Pod] => kube-dns : TCP 53;UDP 53",
                "agentstack-identity/acme-http01-solver[Pod] => kube-dns : TCP 53;UDP 53",
                "outside => agentstack-gateway/acme-http01-solver[Pod] : TCP 8089",
                "outside => agentstack-identity/acme-http01-solver[Pod] : TCP 8089",
            ]);
        },
    );

    it("lets the quota admit the solver's NodePort Service only where a Certificate is solved", () => {
        const m = runs["cm2"]!.manifests;
        const nodePorts = Object.fromEntries(
            ofKind(m, "ResourceQuota").map((q) => [
                q["metadata"]["namespace"],
                q["spec"]["hard"]["services.nodeports"],
            ]),
        );
        expect(nodePorts).toEqual({
            "agentstack-gateway": "2",
            "agentstack-identity": "2",
            "agentstack-agents": "0",
            "agentstack-mcp": "0",
            "agentstack-sandbox": "0",
            "agentstack-system": "0",
            "agentstack-data": "0",
        });
        expect(quotaHard("gateway")["services.nodeports"]).toBe("0");
        expect(
            Object.values(
                Object.fromEntries(
                    ofKind(runs["secret2"]!.manifests, "ResourceQuota").map((q) => [
                        q["metadata"]["namespace"],
                        q["spec"]["hard"]["services.nodeports"],
                    ]),
                ),
            ),
        ).toEqual(Array(7).fill("0"));
    });

    it("makes `pulumi up` wait until each Certificate is Ready", () => {
        for (const name of ["gateway-tls", "keycloak-tls"]) {
            const cert = find(runs["cm3"]!.manifests, "Certificate", name);
            expect(cert["metadata"]["annotations"]).toEqual({
                "pulumi.com/waitFor": "condition=Ready",
                "pulumi.com/timeoutSeconds": "600",
            });
            expect(cert["spec"]["issuerRef"]).toEqual({
                name: "letsencrypt-prod",
                kind: "ClusterIssuer",
                group: "cert-manager.io",
            });
        }
    });
});

describe("OpenShift Route exposure", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("route", {
            config: engineConfig(
                baseConfig(2, {
                    gateway: {
                        hostname: "a.example.com",
                        exposure: "route",
                        tls: { mode: "secret", secretName: "gw-tls" },
                    },
                }),
            ),
        });
    });

    it("grants the router's ServiceAccount get/list/watch on exactly the certificate Secret, before the Route", () => {
        for (const svc of ["gateway", "keycloak"]) {
            const ns = svc === "gateway" ? "agentstack-gateway" : "agentstack-identity";
            const role = run.manifests.find(
                (o) => o["kind"] === "Role" && o["metadata"]["name"] === `${svc}-route-tls-reader`,
            )!;
            expect(role["metadata"]["namespace"]).toBe(ns);
            expect(role["rules"]).toEqual([
                {
                    apiGroups: [""],
                    resources: ["secrets"],
                    resourceNames: [svc === "gateway" ? "gw-tls" : "gw-tls"],
                    verbs: ["get", "list", "watch"],
                },
            ]);
            const binding = run.manifests.find(
                (o) => o["kind"] === "RoleBinding" && o["metadata"]["name"] === `${svc}-route-tls-reader`,
            )!;
            expect(binding["subjects"]).toEqual([
                { kind: "ServiceAccount", name: "router", namespace: "openshift-ingress" },
            ]);
            expect(binding["roleRef"]).toEqual({
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: `${svc}-route-tls-reader`,
            });
            const route = run.manifests.find((o) => o["kind"] === "Route" && o["metadata"]["name"] === svc)!;
            expect(route["spec"]["tls"]["externalCertificate"]).toEqual({ name: "gw-tls" });
            const routeRes = run.resources.find(
                (r) => r.type === "kubernetes:route.openshift.io/v1:Route" && r.urn.endsWith(`${svc}-exposure-route`),
            )!;
            const bindingRes = run.resources.find(
                (r) =>
                    r.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" &&
                    r.urn.endsWith(`${svc}-exposure-route-tls-reader`),
            )!;
            expect(routeRes.options.dependsOn).toContain(bindingRes.urn);
        }
    });
});
