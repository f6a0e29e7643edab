/**
 * Issue 3: ExtAuth, the Envoy injection webhook with program-managed TLS, Keycloak, and RS256/JWKS
 * between agents and MCP servers — at each level, on the real program.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { matchesSelector, parseLabelSelector } from "../lib/connectivity/index";
import { resolvePlatformSpec } from "../stacks/resolve";
import {
    baseConfig,
    engineConfig,
    expectHardened,
    find,
    K8sObject,
    ofKind,
    rawInputs,
    runStack,
    StackRun,
    rejectConfig as reject,
} from "./helpers";

const runs: Record<string, StackRun> = {};
beforeAll(async () => {
    for (const stack of ["dev", "staging", "prod"]) runs[stack] = await runStack(stack);
});

const STACKS: [
    string,
    {
        failurePolicy: string;
        injector: number;
        extauth: number;
        keycloak: number;
        pdb: boolean;
        production: boolean;
        failOpen: boolean;
    },
][] = [
    [
        "dev",
        {
            failurePolicy: "Ignore",
            injector: 1,
            extauth: 1,
            keycloak: 1,
            pdb: false,
            production: false,
            failOpen: true,
        },
    ],
    [
        "staging",
        { failurePolicy: "Fail", injector: 2, extauth: 2, keycloak: 2, pdb: true, production: true, failOpen: false },
    ],
    [
        "prod",
        { failurePolicy: "Fail", injector: 2, extauth: 3, keycloak: 3, pdb: true, production: true, failOpen: false },
    ],
];

/** Namespaces the selector picks among the program's Namespaces plus the cluster's own (labelled as if someone opted them in). */
function selectedNamespaces(webhook: K8sObject, namespaces: K8sObject[]): string[] {
    const sel = parseLabelSelector(webhook["namespaceSelector"], "test", () => undefined)!;
    const hostile = ["kube-system", "kube-public", "kube-node-lease"].map((n) => ({
        metadata: { name: n, labels: { "agentstack.io/envoy-injection": "enabled" } },
    }));
    return [...namespaces, ...hostile]
        .filter((ns) =>
            matchesSelector(sel, {
                ...(ns["metadata"]["labels"] ?? {}),
                "kubernetes.io/metadata.name": ns["metadata"]["name"],
            }),
        )
        .map((ns) => ns["metadata"]["name"])
        .sort();
}

describe.each(STACKS)("%s", (stack, want) => {
    it("has one injection webhook with the level's failurePolicy, safe settings and a CA bundle", () => {
        const m = runs[stack]!.manifests;
        const hooks = ofKind(m, "MutatingWebhookConfiguration");
        expect(hooks).toHaveLength(1);
        const w = hooks[0]!["webhooks"][0];
        expect(w["failurePolicy"]).toBe(want.failurePolicy);
        expect(w["sideEffects"]).toBe("None");
        expect(w["admissionReviewVersions"]).toEqual(["v1"]);
        expect(w["timeoutSeconds"]).toBeLessThanOrEqual(10);
        expect(w["clientConfig"]["service"]).toEqual({
            name: "envoy-injector",
            namespace: "agentstack-system",
            path: "/mutate",
            port: 443,
        });
        expect(Buffer.from(w["clientConfig"]["caBundle"], "base64").toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
        expect(w["objectSelector"]["matchExpressions"]).toContainEqual({
            key: "agentstack.io/inject",
            operator: "NotIn",
            values: ["false"],
        });
    });

    it("selects exactly the workload namespaces — never its own, never kube-system", () => {
        const m = runs[stack]!.manifests;
        const w = ofKind(m, "MutatingWebhookConfiguration")[0]!["webhooks"][0];
        expect(selectedNamespaces(w, ofKind(m, "Namespace"))).toEqual([
            "agentstack-agents",
            "agentstack-gateway",
            "agentstack-mcp",
        ]);
    });

    it("runs the injector and ExtAuth with the level's replicas and PDBs", () => {
        const m = runs[stack]!.manifests;
        expect(find(m, "Deployment", "envoy-injector")["spec"]["replicas"]).toBe(want.injector);
        expect(find(m, "Deployment", "extauth")["spec"]["replicas"]).toBe(want.extauth);
        const pdbs = ofKind(m, "PodDisruptionBudget").map((p) => p["metadata"]["name"]);
        expect(pdbs.includes("envoy-injector")).toBe(want.pdb);
        expect(pdbs.includes("extauth")).toBe(want.pdb);
        if (want.pdb) expect(find(m, "PodDisruptionBudget", "extauth")["spec"]["minAvailable"]).toBe(1);
        const aa = find(m, "Deployment", "envoy-injector")["spec"]["template"]["spec"]["affinity"]?.["podAntiAffinity"];
        if (stack === "prod") expect(aa["requiredDuringSchedulingIgnoredDuringExecution"]).toHaveLength(1);
        if (stack === "dev") expect(aa).toBeUndefined();
    });

    it("describes a hardened sidecar that asks ExtAuth, failing closed from level 2", () => {
        const cm = find(runs[stack]!.manifests, "ConfigMap", "envoy-sidecar-template");
        expect(cm["metadata"]["labels"]["agentstack.io/sidecar-template"]).toBe("true");
        const sidecar = JSON.parse(cm["data"]["sidecar.yaml"]);
        expectHardened(sidecar, undefined, "sidecar template", { probes: true });
        const bootstrap = JSON.parse(cm["data"]["envoy.yaml"]);
        const filters = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
        const extAuthz = filters.find((f: any) => f.name === "envoy.filters.http.ext_authz").typed_config;
        expect(extAuthz.failure_mode_allow).toBe(want.failOpen);
        expect(extAuthz.grpc_service.timeout).toBe("0.5s");
        const ext = bootstrap.static_resources.clusters.find((c: any) => c.name === "extauth");
        expect(ext.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
            address: "extauth.agentstack-system.svc.cluster.local",
            port_value: 9191,
        });
    });

    it("gives ExtAuth a deny-by-default lookup policy whose data follows the flow table, and masks its decision logs", () => {
        const cm = find(runs[stack]!.manifests, "ConfigMap", "extauth-policy");
        expect(cm["data"]["policy.rego"]).toContain("default allow := false");
        const allowed = JSON.parse(cm["data"]["data.json"]).agentstack.allowed;
        const support = Object.keys(allowed["agentstack-agents/agent-support"]);
        expect(support).toContain("mcp-web-search.agentstack-mcp.svc.cluster.local:8000");
        expect(support.some((a) => a.startsWith("mcp-code-tools."))).toBe(false);
        expect(Object.keys(allowed["agentstack-agents/agent-coder"])).toEqual(
            expect.arrayContaining([
                "mcp-code-tools.agentstack-mcp.svc.cluster.local:8000",
                "mcp-web-search.agentstack-mcp.svc.cluster.local:8000",
            ]),
        );
        expect(Object.keys(allowed["agentstack-gateway/gateway"])).toContain(
            "agent-coder.agentstack-agents.svc.cluster.local:8080",
        );
        expect(Object.keys(allowed).some((k) => k.includes("sandbox"))).toBe(false);
        for (const header of ["headers", "path", "query", "body"])
            expect(cm["data"]["mask.rego"]).toContain(`mask contains "/input/attributes/request/http/${header}"`);
        expect(cm["data"]["mask.rego"]).toMatch(/^package system\.log$/m);
    });

    it("runs Keycloak with the level's replicas, mode, clustering and a management port no Service exposes", () => {
        const m = runs[stack]!.manifests;
        const kc = find(m, "Deployment", "keycloak");
        expect(kc["spec"]["replicas"]).toBe(want.keycloak);
        const c = kc["spec"]["template"]["spec"]["containers"][0];
        expect(c["args"][0]).toBe(want.production ? "start" : "start-dev");
        const cfg = find(m, "ConfigMap", "keycloak-config")["data"];
        const clustered = want.keycloak >= 2;
        expect(cfg["KC_CACHE"]).toBe(clustered ? "ispn" : "local");
        expect(cfg["KC_CACHE_STACK"]).toBe(clustered ? "jdbc-ping" : undefined);
        expect(cfg["KC_DB"]).toBe("postgres");
        // Forwarded headers only from configured proxy addresses; the stack files configure none.
        expect(cfg["KC_PROXY_HEADERS"]).toBeUndefined();
        expect(c["args"]).toEqual([want.production ? "start" : "start-dev"]);
        expect(cfg["KC_HOSTNAME"]).toMatch(/^https:\/\/auth\./);
        const headless = m.find((o) => o["kind"] === "Service" && o["metadata"]["name"] === "keycloak-headless");
        expect(Boolean(headless)).toBe(clustered);
        if (headless) expect(headless["spec"]).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect(c["livenessProbe"]["httpGet"]["port"]).toBe("management");
        expect(c["ports"].find((p: any) => p.name === "management").containerPort).toBe(9000);
        for (const svc of ofKind(m, "Service").filter((s) => s["metadata"]["namespace"] === "agentstack-identity")) {
            for (const p of svc["spec"]["ports"]) expect([p.port, p.targetPort]).not.toContain(9000);
        }
        const env = Object.fromEntries(c["env"].map((e: any) => [e.name, e]));
        expect(env["KC_BOOTSTRAP_ADMIN_PASSWORD"].valueFrom.secretKeyRef).toEqual({
            name: "keycloak-admin",
            key: "password",
        });
        expect(env["KC_DB_PASSWORD"].valueFrom.secretKeyRef.key).toBe("password");
    });
});

describe.each(["staging", "prod"])("identity at %s", (stack) => {
    it("gives every MCP server RS256, the JWKS of the Keycloak Service the program created, and its own audience", () => {
        const m = runs[stack]!.manifests;
        const audiences = new Set<string>();
        for (const cm of ofKind(m, "ConfigMap").filter((c) => /^mcp-.*-config$/.test(c["metadata"]["name"]))) {
            const d = cm["data"];
            expect(d["MCP_AUTH_JWT_ALG"]).toBe("RS256");
            const url = new URL(d["MCP_AUTH_JWT_JWKS_URI"]);
            const [svc, ns] = url.hostname.split(".");
            const service = find(m, "Service", svc!);
            expect(service["metadata"]["namespace"]).toBe(ns);
            expect(service["spec"]["ports"].map((p: any) => p.port)).toContain(Number(url.port));
            expect(find(m, "Deployment", svc!)["metadata"]["labels"]["app.kubernetes.io/name"]).toBe("keycloak");
            expect(url.pathname).toBe("/realms/agentstack/protocol/openid-connect/certs");
            expect(d["MCP_AUTH_JWT_ISSUER"]).toBe(
                `${find(m, "ConfigMap", "keycloak-config")["data"]["KC_HOSTNAME"]}/realms/agentstack`,
            );
            audiences.add(d["MCP_AUTH_JWT_AUDIENCE"]);
        }
        expect([...audiences].sort()).toEqual(["mcp-code-tools", "mcp-web-search"]);
    });

    it("bootstraps a realm where each agent may get tokens only for the MCP servers it declares", () => {
        const realmSecret = rawInputs(runs[stack]!, "Secret", "keycloak-realm");
        const realm = JSON.parse(realmSecret["stringData"]["agentstack-realm.json"]);
        expect(realm.realm).toBe("agentstack");
        // Only the audience scopes: Keycloak's standard scopes are Keycloak's own, referenced as defaults.
        expect(
            realm.clientScopes.map((s: any) => [s.name, s.protocolMappers[0].config["included.custom.audience"]]),
        ).toEqual([
            ["mcp-web-search", "mcp-web-search"],
            ["mcp-code-tools", "mcp-code-tools"],
        ]);
        expect(realm.defaultDefaultClientScopes).toContain("basic");
        const clients = Object.fromEntries(realm.clients.map((c: any) => [c.clientId, c]));
        expect(clients["agent-support"].optionalClientScopes).toEqual(["mcp-web-search"]);
        expect(clients["agent-coder"].optionalClientScopes).toEqual(["mcp-code-tools", "mcp-web-search"]);
        expect(clients["agent-support"].serviceAccountsEnabled).toBe(true);
        expect(clients["gateway"].redirectUris).toEqual([
            `https://${stack === "prod" ? "agents.example.com" : "agents.staging.example.com"}/*`,
        ]);
        // The agent's credential Secret holds the same client secret the realm registers.
        const creds = rawInputs(runs[stack]!, "Secret", "agent-support-mcp-credentials");
        expect(creds["stringData"]["client-secret"]).toBe(clients["agent-support"].secret);
        const cm = find(runs[stack]!.manifests, "ConfigMap", "agent-support-config")["data"];
        expect(cm["MCP_AUTH_CLIENT_ID"]).toBe("agent-support");
        expect(cm["MCP_AUTH_TOKEN_URL"]).toBe(
            "http://keycloak.agentstack-identity.svc.cluster.local:8080/realms/agentstack/protocol/openid-connect/token",
        );
        expect(cm["MCP_WEB_SEARCH_AUTH_SCOPE"]).toBe("mcp-web-search");
    });
});

describe("zero-trust config rules", () => {
    it("rejects failurePolicy Fail with one injector replica, explaining the outage", () => {
        const issues = reject(baseConfig(1, { zeroTrust: { failurePolicy: "Fail" } }));
        expect(issues.map((i) => i.key)).toEqual(["agentstack:zeroTrust.failurePolicy"]);
        expect(issues[0]!.message).toMatch(/block every pod creation/);
        expect(() =>
            resolvePlatformSpec(
                engineConfig(baseConfig(1, { zeroTrust: { failurePolicy: "Fail", injectorReplicas: 2 } })),
            ),
        ).not.toThrow();
    });

    it("rejects Ignore from level 2, an outside issuer for the webhook, slow webhooks, short renewals and the sidecar's ports", () => {
        expect(reject(baseConfig(2, { zeroTrust: { failurePolicy: "Ignore" } })).map((i) => i.key)).toEqual([
            "agentstack:zeroTrust.failurePolicy",
        ]);
        const issuer = reject(
            baseConfig(1, { zeroTrust: { webhookTls: { certManagerIssuer: { name: "letsencrypt-prod" } } } }),
        );
        expect(issuer.map((i) => i.key)).toEqual(["agentstack:zeroTrust.webhookTls.certManagerIssuer"]);
        expect(issuer[0]!.message).toContain("agentstack:zeroTrust.webhookTls.provider to cert-manager");
        const ports = reject(
            baseConfig(1, {
                agents: [
                    { name: "alpha", mcpServers: ["search"], port: 15001 },
                    { name: "beta", mcpServers: ["files"] },
                ],
                mcpServers: [{ name: "search", port: 15021 }, { name: "files" }],
            }),
        );
        expect(ports.map((i) => i.key)).toEqual(["agentstack:agents[0].port", "agentstack:mcpServers[0].port"]);
        expect(ports[0]!.message).toContain("taken by the Envoy sidecar");
        expect(reject(baseConfig(1, { zeroTrust: { webhookTimeoutSeconds: 30 } })).map((i) => i.key)).toEqual([
            "agentstack:zeroTrust.webhookTimeoutSeconds",
        ]);
        expect(
            reject(baseConfig(1, { zeroTrust: { webhookTls: { validityHours: 100, earlyRenewalHours: 200 } } })).map(
                (i) => i.key,
            ),
        ).toEqual(["agentstack:zeroTrust.webhookTls.earlyRenewalHours"]);
        expect(reject(baseConfig(3, { zeroTrust: { extauthReplicas: 2 } })).map((i) => i.key)).toEqual([
            "agentstack:zeroTrust.extauthReplicas",
        ]);
        expect(reject(baseConfig(3, { keycloak: { replicas: 2 } })).map((i) => i.key)).toEqual([
            "agentstack:keycloak.replicas",
        ]);
    });

    it("builds the webhook's own cert-manager chain (self-signed → CA → CA issuer → serving) when cert-manager is the provider", async () => {
        const run = await runStack("case", {
            config: engineConfig(
                baseConfig(2, {
                    zeroTrust: {
                        webhookTls: { provider: "cert-manager", validityHours: 2000, earlyRenewalHours: 300 },
                    },
                }),
            ),
        });
        const hook = ofKind(run.manifests, "MutatingWebhookConfiguration")[0]!;
        expect(hook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]).toBe(
            "agentstack-system/envoy-injector-tls",
        );
        expect(hook["webhooks"][0]["clientConfig"]["caBundle"]).toBeUndefined();
        const issuer = (kind: string, name: string) => ({ name, kind, group: "cert-manager.io" });
        expect(find(run.manifests, "Issuer", "envoy-injector-selfsigned")["spec"]).toEqual({ selfSigned: {} });
        const ca = find(run.manifests, "Certificate", "envoy-injector-ca");
        expect(ca["spec"]).toMatchObject({
            isCA: true,
            secretName: "envoy-injector-ca",
            issuerRef: issuer("Issuer", "envoy-injector-selfsigned"),
            duration: "10000h",
        });
        expect(find(run.manifests, "Issuer", "envoy-injector-ca")["spec"]).toEqual({
            ca: { secretName: "envoy-injector-ca" },
        });
        const cert = find(run.manifests, "Certificate", "envoy-injector-tls");
        expect(cert["spec"]).toMatchObject({
            secretName: "envoy-injector-tls",
            issuerRef: issuer("Issuer", "envoy-injector-ca"),
            duration: "2000h",
            renewBefore: "300h",
        });
        expect(cert["spec"]["dnsNames"]).toContain("envoy-injector.agentstack-system.svc");
        for (const o of [ca, cert, find(run.manifests, "Issuer", "envoy-injector-ca")])
            expect(o["metadata"]["namespace"]).toBe("agentstack-system");
        expect(run.resources.some((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")).toBe(false);
    });

    it("makes the webhook certificate with the configured validity and early renewal", async () => {
        const run = await runStack("case", {
            config: engineConfig(
                baseConfig(1, { zeroTrust: { webhookTls: { validityHours: 2000, earlyRenewalHours: 300 } } }),
            ),
        });
        const cert = run.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!;
        expect(cert.inputs["validityPeriodHours"]).toBe(2000);
        expect(cert.inputs["earlyRenewalHours"]).toBe(300);
        const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest")!;
        expect(csr.inputs["dnsNames"]).toEqual([
            "envoy-injector",
            "envoy-injector.agentstack-system",
            "envoy-injector.agentstack-system.svc",
            "envoy-injector.agentstack-system.svc.cluster.local",
        ]);
    });
});
