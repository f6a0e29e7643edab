/**
 * Issue 10: ExtAuth's data equals the flow table — source, host and port — checked against an
 * independent derivation: what the rendered NetworkPolicies let each sidecar-carrying workload reach
 * (the connectivity evaluator), mapped onto the Services the program renders, plus the named external
 * hosts of the config. No Rego evaluator runs here, so the policy is kept a plain lookup into this data
 * (its text is asserted below) and the data is what is tested exhaustively.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EXTAUTH_POLICY } from "../components/extauth";
import { buildModel, connectionBetween } from "../lib/connectivity/index";
import { platformAnalyzeOptions } from "../tools/harness/connectivityReport";
import { PlatformSpec } from "../stacks/resolve";
import { baseConfig, engineConfig, find, K8sObject, ofKind, runStack, StackRun, workloadsOf } from "./helpers";

const INJECTED = ["agentstack-gateway", "agentstack-agents", "agentstack-mcp"];
const cfg = (level: 2 | 3) =>
    baseConfig(level, {
        mcpServers: [
            {
                name: "search",
                egress: [{ cidr: "198.51.100.0/24", ports: [443, 8443], hosts: ["search.example.net"] }],
            },
            { name: "files", port: 9000 },
        ],
        agents: [
            { name: "alpha", mcpServers: ["search", "files"], port: 8081 },
            { name: "beta", mcpServers: ["files"] },
        ],
    });

const runs: Record<number, StackRun & { spec: PlatformSpec }> = {};
beforeAll(async () => {
    for (const level of [2, 3] as const)
        runs[level] = await runStack(`extauth${level}`, { config: engineConfig(cfg(level)) });
});

/** The authorities a workload may reach according to the NetworkPolicies, through the Services the program renders. */
function reachableAuthorities(run: StackRun & { spec: PlatformSpec }, src: K8sObject): Set<string> {
    const model = buildModel(run.manifests, platformAnalyzeOptions(run, { internet: false }));
    const srcName = `${src["metadata"]["namespace"]}/${src["metadata"]["name"]}[${src["kind"]}]`;
    const out = new Set<string>();
    for (const dst of workloadsOf(run.manifests)) {
        const dstName = `${dst["metadata"]["namespace"]}/${dst["metadata"]["name"]}[${dst["kind"]}]`;
        if (dstName === srcName || dst["metadata"]["name"] === "extauth") continue; // the sidecar's own check, not the application's
        const conn = connectionBetween(model, srcName, dstName).toString();
        const tcp = /TCP ([\d,-]+)/.exec(conn)?.[1]?.split(",").map(Number) ?? [];
        const svc = ofKind(run.manifests, "Service").find(
            (s) =>
                s["metadata"]["namespace"] === dst["metadata"]["namespace"] &&
                s["metadata"]["name"] === dst["metadata"]["name"],
        );
        if (!svc) continue;
        const ns = dst["metadata"]["namespace"];
        for (const p of svc["spec"]["ports"]) {
            if (!tcp.includes(p.port)) continue;
            for (const host of [
                `${svc["metadata"]["name"]}.${ns}.svc.cluster.local`,
                `${svc["metadata"]["name"]}.${ns}.svc`,
                `${svc["metadata"]["name"]}.${ns}`,
            ])
                out.add(`${host}:${p.port}`);
        }
    }
    return out;
}

describe.each([2, 3])("ExtAuth data at level %i", (level) => {
    it("is a plain deny-by-default lookup by source and authority", () => {
        expect(EXTAUTH_POLICY).toContain("default allow := false");
        expect(EXTAUTH_POLICY).toContain(
            "allow if data.agentstack.allowed[input.attributes.contextExtensions.source][lower(input.attributes.request.http.host)]",
        );
        expect(EXTAUTH_POLICY.match(/^allow if/gm)).toHaveLength(1);
    });

    it("allows each sidecar workload exactly what its NetworkPolicies allow, by Service name and port, plus its named external hosts", () => {
        const run = runs[level]!;
        const data = JSON.parse(find(run.manifests, "ConfigMap", "extauth-policy")["data"]["data.json"]).agentstack
            .allowed as Record<string, Record<string, true>>;
        const sidecarWorkloads = workloadsOf(run.manifests).filter((w) =>
            INJECTED.includes(w["metadata"]["namespace"]),
        );
        expect(sidecarWorkloads.length).toBe(5); // gateway, 2 agents, 2 MCP servers
        const external: Record<string, string[]> = {
            "agentstack-agents/agent-alpha": ["llm.example.com:443"],
            "agentstack-agents/agent-beta": ["llm.example.com:443"],
            "agentstack-mcp/mcp-search": ["search.example.net:443", "search.example.net:8443"],
        };
        const sources: string[] = [];
        for (const w of sidecarWorkloads) {
            const source = `${w["metadata"]["namespace"]}/${w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"]}`;
            sources.push(source);
            const expected = [...reachableAuthorities(run, w), ...(external[source] ?? [])].sort();
            expect(Object.keys(data[source] ?? {}).sort(), source).toEqual(expected);
            expect(Object.values(data[source] ?? {}).every((v) => v === true)).toBe(true);
        }
        // Nothing for anyone else (the sandbox, the data stores, Keycloak have no sidecar).
        expect(Object.keys(data).sort()).toEqual(sources.sort());
        // Spot checks of the derivation itself.
        expect(Object.keys(data["agentstack-agents/agent-beta"]!)).not.toContain(
            "mcp-search.agentstack-mcp.svc.cluster.local:8000",
        );
        expect(Object.keys(data["agentstack-agents/agent-alpha"]!)).toContain(
            "mcp-files.agentstack-mcp.svc.cluster.local:9000",
        );
        expect(Object.keys(data["agentstack-gateway/gateway"]!)).toContain(
            "agent-alpha.agentstack-agents.svc.cluster.local:8081",
        );
        expect(
            Object.keys(data["agentstack-gateway/gateway"]!).some((a) => a.includes("qdrant") || a.includes("mongodb")),
        ).toBe(false);
    });
});
