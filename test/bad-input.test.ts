/**
 * Bad input as a new user writes it, through the CLIs: one-defect variants of a valid stack file are
 * refused by `npm run synth` (exit 2, the key and the file:line named, no stack trace, nothing
 * written); names the program derives from valid names are valid by construction; `npm run policy` /
 * `npm run connectivity` refuse input that holds no Kubernetes object and read a synth output folder.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolRun, baseConfig, pool, runTool } from "./helpers";

const STACK_TRACE = /\n\s+at .+:\d+:\d+/;

type Run = ToolRun;
/** Runs a CLI of tools/ as `npm run <tool>` does. */
const tool = (script: string, args: string[]): Promise<Run> => runTool(script.replace(/\.ts$/, ""), args);

const tmp: string[] = [];
function tmpDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tmp.push(d);
    return d;
}
afterAll(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A stack file with these `agentstack:` values (or the given text as is). */
function stackFile(values: Record<string, unknown> | string): string {
    const file = path.join(tmpDir("agentstack-bad-"), "Pulumi.case.yaml");
    if (typeof values === "string") {
        fs.writeFileSync(file, values);
    } else {
        const config = Object.fromEntries(Object.entries(values).map(([k, v]) => [`agentstack:${k}`, v]));
        fs.writeFileSync(file, YAML.stringify({ config }));
    }
    return file;
}

const l1 = (extra: Record<string, unknown> = {}) => baseConfig(1, extra);
const l2 = (extra: Record<string, unknown> = {}) => baseConfig(2, extra);
const l3 = (extra: Record<string, unknown> = {}) => baseConfig(3, extra);
const llm = (endpoint: string) => ({
    endpoint,
    egressCidrs: ["203.0.113.0/24"],
    apiKeySecretRef: { name: "llm", key: "key" },
});
const gw = (extra: Record<string, unknown>) => ({
    hostname: "a.example.com",
    gatewayRef: { name: "edge", namespace: "gateway-system" },
    ...extra,
});
const gw2 = (extra: Record<string, unknown>) => gw({ tls: { mode: "secret", secretName: "gw-tls" }, ...extra });
const label63 = "a".repeat(63);

/** [category, case, config, key the message must name, text the message must contain]. */
const BAD: [string, string, Record<string, unknown>, string, string][] = [
    // Two valid names that combine into the same derived (flow) name.
    [
        "collision",
        "agent x-to-mcp-y vs agent x calling MCP y-to-sandbox",
        l2({
            mcpServers: [{ name: "y-to-sandbox" }],
            agents: [{ name: "x-to-mcp-y" }, { name: "x", mcpServers: ["y-to-sandbox"] }],
        }),
        "agentstack:agents[0].name",
        "agentstack:mcpServers[0].name",
    ],
    [
        "collision",
        "agent a-to-mcp-b vs agent a calling MCP b-to-keycloak",
        l1({
            mcpServers: [{ name: "b-to-keycloak" }],
            agents: [{ name: "a", mcpServers: ["b-to-keycloak"] }, { name: "a-to-mcp-b" }],
        }),
        "agentstack:agents[0].name",
        "agent-a-to-mcp-b-to-keycloak",
    ],
    [
        "collision",
        "agent p-to-mcp-q vs agent p calling MCP q-to-qdrant",
        l3({
            mcpServers: [{ name: "q-to-qdrant" }],
            agents: [{ name: "p-to-mcp-q" }, { name: "p", mcpServers: ["q-to-qdrant"] }],
            gateway: gw2({}),
        }),
        "agentstack:agents[1].name",
        "agent-p-to-mcp-q-to-qdrant",
    ],
    // Requests above limits, compared as quantities.
    [
        "resources",
        "agent CPU request 1 above limit 500m",
        l1({
            agents: [
                {
                    name: "alpha",
                    resources: { requests: { cpu: "1", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                },
            ],
        }),
        "agentstack:agents[0].resources.requests.cpu",
        "above the cpu limit 500m",
    ],
    [
        "resources",
        "sandbox memory request 1Gi above limit 256Mi",
        l1({
            sandbox: { resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { cpu: "1", memory: "256Mi" } } },
        }),
        "agentstack:sandbox.resources.requests.memory",
        "above the memory limit 256Mi",
    ],
    [
        "resources",
        "MCP server CPU request 1500m above limit 1.2",
        l2({
            mcpServers: [
                {
                    name: "search",
                    resources: { requests: { cpu: "1500m", memory: "64Mi" }, limits: { cpu: "1.2", memory: "64Mi" } },
                },
            ],
            agents: [{ name: "alpha", mcpServers: ["search"] }],
            gateway: gw2({}),
        }),
        "agentstack:mcpServers[0].resources.requests.cpu",
        "above the cpu limit 1.2",
    ],
    // Label keys and values that break label syntax.
    [
        "labels",
        "ingress pod label key with a space",
        l1({ cluster: { schedulableNodes: 3, ingressPodLabels: { "app name": "nginx" } } }),
        "agentstack:cluster.ingressPodLabels",
        "is not a label key",
    ],
    [
        "labels",
        "DNS pod label value of 64 characters",
        l1({ cluster: { schedulableNodes: 3, dnsPodLabels: { "k8s-app": `${label63}b` } } }),
        "agentstack:cluster.dnsPodLabels.k8s-app",
        "at most 63",
    ],
    [
        "labels",
        "label key prefix not a DNS subdomain",
        l1({ cluster: { schedulableNodes: 3, ingressPodLabels: { "Example.COM/app": "x" } } }),
        "agentstack:cluster.ingressPodLabels",
        "prefix",
    ],
    [
        "labels",
        "label value ending with '-'",
        l1({ cluster: { schedulableNodes: 3, ingressPodLabels: { app: "nginx-" } } }),
        "agentstack:cluster.ingressPodLabels.app",
        "is not a label value",
    ],
    // Host names that break DNS limits; the Keycloak host derived from the gateway's included.
    [
        "hostnames",
        "gateway host with a 64-character part",
        l1({ gateway: gw({ hostname: `${label63}b.example.com` }) }),
        "agentstack:gateway.hostname",
        "at most 63",
    ],
    [
        "hostnames",
        "gateway host of 254 characters",
        l1({ gateway: gw({ hostname: `${[label63, label63, label63].join(".")}.${"b".repeat(62)}` }) }),
        "agentstack:gateway.hostname",
        "at most 253",
    ],
    [
        "hostnames",
        "gateway host of 250 characters: auth.<it> is too long",
        l1({ gateway: gw({ hostname: `${[label63, label63, label63].join(".")}.${"b".repeat(58)}` }) }),
        "agentstack:gateway.hostname",
        "agentstack:keycloak.hostname",
    ],
    [
        "hostnames",
        "gateway host an IP address",
        l1({ gateway: gw({ hostname: "203.0.113.10" }) }),
        "agentstack:gateway.hostname",
        "is an IP address",
    ],
    [
        "hostnames",
        "MCP egress host with a 64-character part",
        l1({
            mcpServers: [{ name: "search", egress: [{ cidr: "198.51.100.0/24", hosts: [`${label63}b.example.net`] }] }],
            agents: [{ name: "alpha", mcpServers: ["search"] }],
        }),
        "agentstack:mcpServers[0].egress[0].hosts[0]",
        "at most 63",
    ],
    // The Keycloak host name equal to the gateway's.
    [
        "keycloak host",
        "explicitly equal at level 1",
        l1({ keycloak: { hostname: "a.example.com" } }),
        "agentstack:keycloak.hostname",
        "is the gateway's host name",
    ],
    [
        "keycloak host",
        "explicitly equal at level 3",
        l3({ gateway: gw2({ hostname: "agents.example.com" }), keycloak: { hostname: "agents.example.com" } }),
        "agentstack:keycloak.hostname",
        "is the gateway's host name",
    ],
    // Ports the injected Envoy sidecar binds.
    [
        "sidecar ports",
        "agent on 15001",
        l2({ agents: [{ name: "alpha", port: 15001 }], gateway: gw2({}) }),
        "agentstack:agents[0].port",
        "Envoy sidecar",
    ],
    [
        "sidecar ports",
        "MCP server on 15021",
        l1({ mcpServers: [{ name: "search", port: 15021 }], agents: [{ name: "alpha", mcpServers: ["search"] }] }),
        "agentstack:mcpServers[0].port",
        "Envoy sidecar",
    ],
    // Credentials in URL config values; http from level 2.
    [
        "url",
        "user:key@ in the LLM endpoint",
        l1({ llm: llm("https://svc:s3cr3t-k3y@llm.example.com/v1") }),
        "agentstack:llm.endpoint",
        "must not carry credentials",
    ],
    [
        "url",
        "?api_key= in the LLM endpoint",
        l1({ llm: llm("https://llm.example.com/v1?api_key=s3cr3t-k3y") }),
        "agentstack:llm.endpoint",
        "must not have a query string",
    ],
    [
        "url",
        "http LLM endpoint at level 2",
        l2({ llm: llm("http://llm.example.com/v1"), gateway: gw2({}) }),
        "agentstack:llm.endpoint",
        "must be https",
    ],
    [
        "url",
        "http LLM endpoint at level 3",
        l3({ llm: llm("http://llm.example.com:8080/v1"), gateway: gw2({}) }),
        "agentstack:llm.endpoint",
        "must be https",
    ],
    [
        "url",
        "CORS origin with user:password@",
        l1({ gateway: gw({ corsOrigins: ["https://u:s3cr3t-k3y@app.example.com"] }) }),
        "agentstack:gateway.corsOrigins[0]",
        "must not carry credentials",
    ],
];

/** YAML errors: [case, text, line:col the message must name]. */
const BAD_YAML: [string, string, string][] = [
    [
        "a key given twice",
        "config:\n  agentstack:securityLevel: 1\n  agentstack:securityLevel: 2\n",
        ":3:3: invalid YAML: Map keys must be unique",
    ],
    [
        "an unclosed flow sequence",
        "config:\n  agentstack:securityLevel: 1\n  agentstack:llm:\n    egressCidrs: [203.0.113.0/24\n  agentstack:logLevel: info\n",
        ":5:",
    ],
    [
        "a tab as indentation",
        "config:\n\tagentstack:securityLevel: 1\n",
        ":2:1: invalid YAML: Tabs are not allowed as indentation",
    ],
];

describe("npm run synth refuses bad input (exit 2, key and file:line named, no stack trace, nothing written)", () => {
    it(`${BAD.length} one-defect stack files`, async () => {
        const categories = new Map<string, number>();
        BAD.forEach(([c]) => categories.set(c, (categories.get(c) ?? 0) + 1));
        for (const [c, n] of categories) expect(n, c).toBeGreaterThanOrEqual(2);
        const results = await pool(BAD, 2, async ([category, name, values, key, text]) => {
            const file = stackFile(values);
            const out = tmpDir("agentstack-out-");
            const r = await tool("synth.ts", ["--stack", "case", "--config-file", file, "--out", out]);
            return { label: `${category}: ${name}`, key, text, file, out, ...r };
        });
        for (const r of results) {
            expect(r.code, `${r.label}: ${r.stderr}`).toBe(2);
            expect(r.stderr, r.label).toContain(r.key);
            expect(r.stderr, r.label).toContain(r.text);
            // The line of the stack file that sets the key.
            expect(r.stderr, r.label).toMatch(
                new RegExp(`${r.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: agentstack:`),
            );
            expect(r.stderr, r.label).not.toMatch(STACK_TRACE);
            expect(r.stderr, r.label).not.toContain("s3cr3t-k3y");
            expect(fs.readdirSync(r.out), r.label).toEqual([]);
        }
    }, 300_000);

    it.each(BAD_YAML)("YAML error: %s", async (_name, text, where) => {
        const file = stackFile(text);
        const out = tmpDir("agentstack-out-");
        const r = await tool("synth.ts", ["--stack", "case", "--config-file", file, "--out", out]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain(`${file}${where}`);
        expect(r.stderr).not.toMatch(STACK_TRACE);
        expect(fs.readdirSync(out)).toEqual([]);
    });
});

describe("valid names give valid objects; text values stay text", () => {
    // [case, config]: names far inside the 40-character limit whose flow name exceeded 63 characters,
    // and namespace prefixes that look like a number or a boolean (quoted strings in the stack file).
    const GOOD: [string, Record<string, unknown>, string, string, string][] = [
        [
            'agent of 26 and MCP server of 25 characters, prefix "123"',
            l2({
                namespacePrefix: "123",
                mcpServers: [{ name: "m".repeat(25) }],
                agents: [{ name: "a".repeat(26), mcpServers: ["m".repeat(25)] }],
                gateway: gw2({}),
            }),
            "123",
            "a".repeat(26),
            "m".repeat(25),
        ],
        [
            'agent and MCP server of 40 characters, prefix "true"',
            l3({
                namespacePrefix: "true",
                mcpServers: [{ name: "m".repeat(40) }],
                agents: [{ name: "a".repeat(40), mcpServers: ["m".repeat(40)] }],
                gateway: gw2({}),
            }),
            "true",
            "a".repeat(40),
            "m".repeat(40),
        ],
    ];
    const outs: Record<string, string> = {};

    beforeAll(async () => {
        for (const [name, values] of GOOD) {
            const file = stackFile(values);
            const text = fs.readFileSync(file, "utf8");
            // The prefix is written as a quoted YAML string, as a user would to keep it text.
            expect(text).toMatch(/agentstack:namespacePrefix: "(123|true)"/);
            const out = tmpDir("agentstack-good-");
            const r = await tool("synth.ts", ["--stack", "case", "--config-file", file, "--out", out]);
            expect(r.code, `${name}: ${r.stderr}`).toBe(0);
            outs[name] = out;
        }
    }, 180_000);

    it.each(GOOD)("%s: every written object passes the strict check", async (name, _values, prefix, agent, mcp) => {
        const { loadManifests } = await import("../lib/manifests");
        const { validateObjects } = await import("../tools/k8s/validate");
        const objects = loadManifests(path.join(outs[name]!, "manifests"));
        expect(objects.length).toBeGreaterThan(80);
        expect(validateObjects(objects)).toEqual([]);
        expect(fs.readdirSync(path.join(outs[name]!, "manifests"))).toContain(`${prefix}-agents`);
        // The agent → MCP flow's readable name is longer than a label value: both of its policies carry
        // the shortened name (a readable prefix, '-', 10 hex digits of the whole name's hash).
        const full = `agent-${agent}-to-mcp-${mcp}`;
        expect(full.length).toBeGreaterThan(63);
        // Found by what they select, not by name: ingress on the server from the agent, egress on the agent to it.
        const instance = (sel: any): string | undefined =>
            sel?.podSelector?.matchLabels?.["app.kubernetes.io/instance"];
        const policies = objects.filter(
            (o: any) =>
                o["kind"] === "NetworkPolicy" &&
                ((o.spec.podSelector?.matchLabels?.["app.kubernetes.io/instance"] === `mcp-${mcp}` &&
                    instance(o.spec.ingress?.[0]?.from?.[0]) === `agent-${agent}`) ||
                    (o.spec.podSelector?.matchLabels?.["app.kubernetes.io/instance"] === `agent-${agent}` &&
                        instance(o.spec.egress?.[0]?.to?.[0]) === `mcp-${mcp}`)),
        );
        expect(policies.map((o) => (o["metadata"] as { name: string; namespace: string }).namespace).sort()).toEqual([
            `${prefix}-agents`,
            `${prefix}-mcp`,
        ]);
        for (const p of policies) {
            const label = (p["metadata"] as { labels: Record<string, string> }).labels["agentstack.io/flow"]!;
            expect(label).toHaveLength(63);
            expect(label).toMatch(/-[0-9a-f]{10}$/);
            expect(full.startsWith(label.slice(0, 52))).toBe(true);
            expect((p["metadata"] as { name: string }).name).toMatch(new RegExp(`^${label}-(ingress|egress)$`));
        }
    });

    it("policy and connectivity read a synth output folder as its manifests/", async () => {
        const out = outs[GOOD[0]![0]]!;
        const [policyDir, policyManifests, connDir, connManifests] = await Promise.all([
            tool("policy.ts", ["--manifests", out, "--level", "2", "--format", "json"]),
            tool("policy.ts", ["--manifests", path.join(out, "manifests"), "--level", "2", "--format", "json"]),
            tool("connectivity.ts", ["--manifests", out, "--format", "json", "--quiet"]),
            tool("connectivity.ts", ["--manifests", path.join(out, "manifests"), "--format", "json", "--quiet"]),
        ]);
        expect(policyDir.stderr).toBe("");
        expect(policyDir.code).toBe(0);
        expect(policyDir.stdout).toBe(policyManifests.stdout);
        expect(connDir.code, connDir.stderr).toBe(0);
        expect(connDir.stdout).toBe(connManifests.stdout);
        const entries = JSON.parse(connDir.stdout) as { src: string; dst: string }[];
        expect(
            entries.some(
                (e) =>
                    e.src === `123-agents/agent-${"a".repeat(26)}[Deployment]` &&
                    e.dst === `123-mcp/mcp-${"m".repeat(25)}[Deployment]`,
            ),
        ).toBe(true);
    }, 120_000);
});

describe("policy and connectivity refuse input that holds no Kubernetes object (exit 2)", () => {
    const dir = tmpDir("agentstack-notk8s-");
    const cases: [string, string, string][] = [
        ["an empty file", path.join(dir, "empty.yaml"), "holds no Kubernetes object"],
        ["a YAML file that is not a Kubernetes object", path.join(dir, "values.yaml"), "is not a Kubernetes object"],
        ["a JSON array of connectivity entries", path.join(dir, "connectivity.json"), "is not a Kubernetes object"],
        ["a folder without manifests", path.join(dir, "nothing"), "holds no Kubernetes object"],
    ];
    fs.writeFileSync(cases[0]![1], "");
    fs.writeFileSync(cases[1]![1], "replicas: 3\nimage:\n  tag: 1.0.0\n");
    fs.writeFileSync(cases[2]![1], JSON.stringify([{ src: "a", dst: "b", conn: "TCP 80" }]));
    fs.mkdirSync(cases[3]![1]);
    fs.writeFileSync(path.join(cases[3]![1], "README.md"), "# not a manifest\n");

    it.each(cases)("%s", async (_name, input, text) => {
        const [policy, conn] = await Promise.all([
            tool("policy.ts", ["--manifests", input, "--level", "1"]),
            tool("connectivity.ts", ["--manifests", input]),
        ]);
        for (const [cli, r] of [
            ["policy", policy],
            ["connectivity", conn],
        ] as const) {
            expect(r.code, `${cli}: ${r.stderr}`).toBe(2);
            expect(r.stderr, cli).toContain(input);
            expect(r.stderr, cli).toContain(text);
            expect(r.stderr, cli).not.toMatch(STACK_TRACE);
            expect(r.stdout, cli).toBe("");
        }
    });
});
