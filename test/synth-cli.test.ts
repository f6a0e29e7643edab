/**
 * `npm run synth` as a user runs it: the output layout, and bad config rejected with exit code 2 and a
 * message that names the key — never a stack trace, never a half-written output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { baseConfig, pool, runTool } from "./helpers";

/** `npm run synth -- …args`. */
const synth = (args: string[]) => runTool("synth", args);

/** Writes a stack file whose `config:` has the given `agentstack:` values (raw entries are copied as is). */
function stackFile(values: Record<string, unknown>, raw: Record<string, unknown> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-cfg-"));
    const file = path.join(dir, "Pulumi.case.yaml");
    const config: Record<string, unknown> = { ...raw };
    for (const [k, v] of Object.entries(values)) config[`agentstack:${k}`] = v;
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

const l1 = (extra: Record<string, unknown> = {}) => baseConfig(1, extra);
const l2 = (extra: Record<string, unknown> = {}) => baseConfig(2, extra);
const l3 = (extra: Record<string, unknown> = {}) => baseConfig(3, extra);
const { securityLevel: _omit, ...noLevel } = l1();
void _omit;

/** [case, config values, raw stack-file entries, key the message must name]. */
const BAD: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    ["level 4", l1({ securityLevel: 4 }), {}, "agentstack:securityLevel"],
    ["level as a word", l1({ securityLevel: "two" }), {}, "agentstack:securityLevel"],
    ["no level", noLevel, {}, "agentstack:securityLevel"],
    ["negative replicas", l1({ agents: [{ name: "alpha", minReplicas: -1 }] }), {}, "agentstack:agents[0].minReplicas"],
    [
        "override below the level minimum",
        l2({ agents: [{ name: "alpha", minReplicas: 1 }] }),
        {},
        "agentstack:agents[0].minReplicas",
    ],
    [
        "max below min",
        l1({ agents: [{ name: "alpha", minReplicas: 3, maxReplicas: 2 }] }),
        {},
        "agentstack:agents[0].maxReplicas",
    ],
    ["sandbox below the level minimum", l2({ sandbox: { replicas: 1 } }), {}, "agentstack:sandbox.replicas"],
    [
        "plain-text secret",
        l1({ llm: { endpoint: "https://llm.example.com/v1" }, llmApiKey: "sk-plain" }),
        {},
        "agentstack:llmApiKey",
    ],
    [
        "no LLM key anywhere",
        l1({ llm: { endpoint: "https://llm.example.com/v1" } }),
        {},
        "agentstack:agents[0].apiKeySecretRef",
    ],
    ["unknown top-level key", l1(), { "agentstack:adminPassword": "hunter2" }, "agentstack:adminPassword"],
    ["unknown nested key", l1({ gateway: { hostnme: "x.example.com" } }), {}, "agentstack:gateway.hostnme"],
    ["image tagged latest", l1({ images: { agent: "ghcr.io/acme/agent:latest" } }), {}, "agentstack:images.agent"],
    ["untagged image", l1({ agents: [{ name: "alpha", image: "nginx" }] }), {}, "agentstack:agents[0].image"],
    ["malformed image", l1({ sandbox: { image: "UPPER/Case::1" } }), {}, "agentstack:sandbox.image"],
    [
        "agent naming a missing MCP server",
        l1({ agents: [{ name: "alpha", mcpServers: ["nope"] }] }),
        {},
        "agentstack:agents[0].mcpServers[0]",
    ],
    ["duplicate agent names", l1({ agents: [{ name: "alpha" }, { name: "alpha" }] }), {}, "agentstack:agents[1].name"],
    [
        "duplicate MCP server names",
        l1({ mcpServers: [{ name: "search" }, { name: "search" }], agents: [{ name: "alpha" }] }),
        {},
        "agentstack:mcpServers[1].name",
    ],
    ["agent name not a DNS label", l1({ agents: [{ name: "Bad_Name" }] }), {}, "agentstack:agents[0].name"],
    [
        "MCP server name too long",
        l1({ mcpServers: [{ name: "x".repeat(41) }], agents: [{ name: "alpha" }] }),
        {},
        "agentstack:mcpServers[0].name",
    ],
    [
        "observe mode at level 2",
        l2({ agents: [{ name: "alpha", securityMode: "observe" }] }),
        {},
        "agentstack:agents[0].securityMode",
    ],
    [
        "HS256 at level 2",
        l2({ mcpServers: [{ name: "search", auth: { alg: "HS256" } }], agents: [{ name: "alpha" }] }),
        {},
        "agentstack:mcpServers[0].auth.alg",
    ],
    [
        "self-signed TLS at level 2",
        l2({ gateway: { hostname: "a.example.com", tls: { mode: "self-signed" } } }),
        {},
        "agentstack:gateway.tls.mode",
    ],
    ["no TLS source at level 2", l2({ gateway: { hostname: "a.example.com" } }), {}, "agentstack:gateway.tls.mode"],
    [
        "cert-manager issuer named but empty",
        l2({ gateway: { hostname: "a.example.com", tls: { mode: "cert-manager", issuer: { name: "" } } } }),
        {},
        "agentstack:gateway.tls.issuer",
    ],
    [
        "LLM route timeout below 120 s",
        l1({ gateway: { hostname: "a.example.com", llmRouteTimeoutSeconds: 60 } }),
        {},
        "agentstack:gateway.llmRouteTimeoutSeconds",
    ],
    [
        "HTTPRoute without a Gateway",
        l1({ gateway: { hostname: "a.example.com", exposure: "httproute" } }),
        {},
        "agentstack:gateway.gatewayRef",
    ],
    [
        "hard anti-affinity on too few nodes",
        l3({ cluster: { schedulableNodes: 1 } }),
        {},
        "agentstack:cluster.schedulableNodes",
    ],
    [
        "no LLM egress CIDRs at level 2",
        l2({ llm: { endpoint: "https://llm.example.com/v1", apiKeySecretRef: { name: "llm", key: "key" } } }),
        {},
        "agentstack:llm.egressCidrs",
    ],
    [
        "bad CIDR",
        l1({
            llm: {
                endpoint: "https://llm.example.com/v1",
                egressCidrs: ["10.0.0.0/33"],
                apiKeySecretRef: { name: "llm", key: "key" },
            },
        }),
        {},
        "agentstack:llm.egressCidrs[0]",
    ],
    [
        "CORS origin over http",
        l1({ gateway: { hostname: "a.example.com", corsOrigins: ["http://app.example.com"] } }),
        {},
        "agentstack:gateway.corsOrigins[0]",
    ],
    [
        "webhook Fail with one injector replica",
        l1({ zeroTrust: { failurePolicy: "Fail" } }),
        {},
        "agentstack:zeroTrust.failurePolicy",
    ],
    [
        "webhook Ignore at level 2",
        l2({ zeroTrust: { failurePolicy: "Ignore" } }),
        {},
        "agentstack:zeroTrust.failurePolicy",
    ],
    [
        "an outside cert-manager issuer for the webhook (it gives no CA bundle)",
        l2({ zeroTrust: { webhookTls: { certManagerIssuer: { name: "letsencrypt-prod" } } } }),
        {},
        "agentstack:zeroTrust.webhookTls.certManagerIssuer",
    ],
    [
        "an agent on the Envoy sidecar's outbound port",
        l1({ agents: [{ name: "alpha", port: 15001 }] }),
        {},
        "agentstack:agents[0].port",
    ],
    [
        "an MCP server on the Envoy sidecar's health port",
        l1({ mcpServers: [{ name: "search", port: 15021 }], agents: [{ name: "alpha", mcpServers: ["search"] }] }),
        {},
        "agentstack:mcpServers[0].port",
    ],
    [
        "RS256 with a JWKS of its own (only Keycloak's is wired)",
        l2({ mcpServers: [{ name: "search", auth: { alg: "RS256", jwksUri: "" } }], agents: [{ name: "alpha" }] }),
        {},
        "agentstack:mcpServers[0].auth.jwksUri",
    ],
    [
        "HS256 with a literal key instead of a Secret-backed one",
        l1({
            mcpServers: [{ name: "search", auth: { alg: "HS256", secret: "not-in-a-secret" } }],
            agents: [{ name: "alpha" }],
        }),
        {},
        "agentstack:mcpServers[0].auth.secret",
    ],
    ["Keycloak below the level's replicas", l3({ keycloak: { replicas: 1 } }), {}, "agentstack:keycloak.replicas"],
    [
        "Keycloak trusting a proxy that is not an address",
        l2({ keycloak: { proxyTrustedAddresses: ["ingress-nginx"] } }),
        {},
        "agentstack:keycloak.proxyTrustedAddresses[0]",
    ],
    [
        "a data store behind a LoadBalancer",
        l1({ qdrant: { service: { type: "LoadBalancer" } } }),
        {},
        "agentstack:qdrant.service.type",
    ],
    ["MongoDB below the level's replicas", l3({ mongodb: { replicas: 1 } }), {}, "agentstack:mongodb.replicas"],
    [
        "PVCs deleted with the StatefulSet at level 3",
        l3({ qdrant: { storage: { retention: { whenDeleted: "Delete" } } } }),
        {},
        "agentstack:qdrant.storage.retention.whenDeleted",
    ],
    [
        "an external store without its address",
        l1({ postgresql: { mode: "external", credentialsSecretRef: { name: "pg" } } }),
        {},
        "agentstack:postgresql.host",
    ],
];

describe("synth", () => {
    it("writes one object per file under manifests/<namespace or _cluster>/ and resources.json", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-out-"));
        const r = await synth(["--stack", "dev", "--out", out]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const dirs = fs.readdirSync(path.join(out, "manifests")).sort();
        expect(dirs).toEqual([
            "_cluster",
            "agentstack-agents",
            "agentstack-data",
            "agentstack-gateway",
            "agentstack-identity",
            "agentstack-mcp",
            "agentstack-sandbox",
            "agentstack-system",
        ]);
        expect(fs.readdirSync(out).sort()).toEqual([
            "connectivity.json",
            "connectivity.md",
            "manifests",
            "resources.json",
        ]);
        const conn = JSON.parse(fs.readFileSync(path.join(out, "connectivity.json"), "utf8"));
        expect(conn).toContainEqual({
            src: "agentstack-agents/agent-support[Deployment]",
            dst: "agentstack-sandbox/sandbox[Deployment]",
            conn: "TCP 8080",
        });
        expect(fs.readdirSync(path.join(out, "manifests", "_cluster"))).toContain("Namespace-agentstack-agents.yaml");
        const dep = YAML.parse(
            fs.readFileSync(path.join(out, "manifests", "agentstack-agents", "Deployment-agent-coder.yaml"), "utf8"),
        );
        expect(Object.keys(dep).slice(0, 3)).toEqual(["apiVersion", "kind", "metadata"]);
        const inventory = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
        expect(
            inventory.some((e: any) => e.type === "agentstack:platform:Platform" && e.options.protect === false),
        ).toBe(true);
        expect(inventory.length).toBeGreaterThan(40);
        // The files synth wrote pass the strict offline check.
        const { loadManifests } = await import("../lib/manifests");
        const { validateObjects } = await import("../tools/k8s/validate");
        const written = loadManifests(path.join(out, "manifests"));
        expect(written.length).toBeGreaterThan(80);
        expect(validateObjects(written)).toEqual([]);
        // No secret value anywhere in the output.
        const all = fs.readFileSync(path.join(out, "resources.json"), "utf8");
        expect(all).not.toMatch(/BEGIN (EC |)PRIVATE KEY/);
        expect(all).not.toMatch(/"hs256-key": "[A-Za-z0-9]{64}"/);
    });

    it("re-rendered into the same folder, leaves exactly this run's objects (stale files and folders removed)", async () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-out-"));
        const manifests = path.join(out, "manifests");
        const listing = () =>
            (fs.readdirSync(manifests, { recursive: true }) as string[])
                .sort()
                .map((f) => [
                    f,
                    fs.statSync(path.join(manifests, f)).isFile()
                        ? fs.readFileSync(path.join(manifests, f), "utf8")
                        : "<dir>",
                ]);
        expect((await synth(["--stack", "dev", "--out", out])).code).toBe(0);
        const fresh = listing();
        expect(fresh.length).toBeGreaterThan(80);
        // What an older render (or a hand) could have left: an object no longer rendered, a namespace
        // folder no longer used, a file where a folder must go, and a changed file.
        fs.writeFileSync(path.join(manifests, "agentstack-agents", "Deployment-agent-gone.yaml"), "kind: Deployment\n");
        fs.mkdirSync(path.join(manifests, "old-namespace", "deep"), { recursive: true });
        fs.writeFileSync(path.join(manifests, "old-namespace", "deep", "ConfigMap-x.yaml"), "kind: ConfigMap\n");
        fs.rmSync(path.join(manifests, "agentstack-mcp"), { recursive: true });
        fs.writeFileSync(path.join(manifests, "agentstack-mcp"), "not a folder\n");
        const changed = path.join(manifests, "_cluster", "Namespace-agentstack-agents.yaml");
        fs.writeFileSync(changed, "edited by hand\n");
        // An unchanged file is not rewritten: it keeps its modification time.
        const unchanged = path.join(manifests, "agentstack-agents", "Deployment-agent-coder.yaml");
        const longAgo = new Date("2020-01-01T00:00:00Z");
        fs.utimesSync(unchanged, longAgo, longAgo);
        expect((await synth(["--stack", "dev", "--out", out])).code).toBe(0);
        expect(listing()).toEqual(fresh);
        expect(fs.statSync(unchanged).mtime.toISOString()).toBe(longAgo.toISOString());
        expect(fs.statSync(changed).mtime.getTime()).toBeGreaterThan(longAgo.getTime());
    });

    it("accepts a config file with an encrypted (secure) LLM key", async () => {
        const file = stackFile(l1({ llm: { endpoint: "https://llm.example.com/v1" } }), {
            "agentstack:llmApiKey": { secure: "v1:AAAA" },
        });
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-out-"));
        const r = await synth(["--stack", "case", "--config-file", file, "--out", out]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const secret = YAML.parse(
            fs.readFileSync(path.join(out, "manifests", "agentstack-agents", "Secret-llm-api-key.yaml"), "utf8"),
        );
        expect(secret["stringData"]).toEqual({ "api-key": "[secret]" });
    });

    it("rejects usage errors with exit code 2", async () => {
        const r = await synth(["--stack", "dev"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("--out <dir> is required");
        const r2 = await synth(["--stack", "nosuchstack", "--out", os.tmpdir()]);
        expect(r2.code).toBe(2);
        expect(r2.stderr).toContain("Pulumi.nosuchstack.yaml");
    });

    it(`rejects ${BAD.length} bad configs with exit code 2, the key named, no stack trace, nothing written`, async () => {
        const results = await pool(BAD, 3, async ([name, values, raw, key]) => {
            const out = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-bad-"));
            const r = await synth(["--stack", "case", "--config-file", stackFile(values, raw), "--out", out]);
            return { name, key, out, ...r };
        });
        for (const r of results) {
            expect(r.code, `${r.name}: ${r.stderr}`).toBe(2);
            expect(r.stderr, r.name).toContain(r.key);
            expect(r.stderr, r.name).not.toMatch(/\n\s+at .+:\d+:\d+/);
            expect(fs.existsSync(path.join(r.out, "manifests")), r.name).toBe(false);
        }
    }, 180_000);
});
