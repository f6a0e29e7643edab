/**
 * The config path as pure functions: the level table, the resolver's defaults and merges, and its
 * rejections (each naming the key). No Pulumi runtime involved.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../stacks/errors";
import { pdbMinAvailableFor, replicasOverride, rowAntiAffinity } from "../stacks/fixed";
import { LEVEL_TABLE } from "../stacks/levels";
import { RawConfig, resolvePlatformSpec } from "../stacks/resolve";
import { baseConfig, engineConfig } from "./helpers";

function raw(values: Record<string, unknown>, secretKeys: string[] = []): RawConfig {
    const e = engineConfig(values, secretKeys);
    return { values: e.values, secretKeys: e.secretKeys };
}

function issuesOf(values: Record<string, unknown>, secretKeys: string[] = []): { key: string; message: string }[] {
    try {
        resolvePlatformSpec(raw(values, secretKeys));
    } catch (e) {
        if (e instanceof ConfigError) return [...e.issues];
        throw e;
    }
    throw new Error("config was accepted");
}

describe("the level table", () => {
    it("holds the REQUIREMENTS numbers", () => {
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].extauth.replicas)).toEqual([1, 2, 3]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].extauth.pdbMinAvailable)).toEqual([undefined, 1, 1]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].envoyInjector.replicas)).toEqual([1, 2, 2]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].envoyInjector.failurePolicy)).toEqual([
            "Ignore",
            "Fail",
            "Fail",
        ]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].gateway)).toEqual([
            { min: 1, max: 5 },
            { min: 2, max: 5 },
            { min: 2, max: 10 },
        ]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].agent.min)).toEqual([1, 2, 2]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].mcpServer.min)).toEqual([1, 2, 2]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].keycloak.replicas)).toEqual([1, 2, 3]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].qdrant.replicas)).toEqual([1, 1, 3]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].qdrant.clusterMode)).toEqual([false, false, true]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].mongodb.antiAffinity)).toEqual([
            "preferred",
            "preferred",
            "required",
        ]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].agentSecurityMode)).toEqual([
            "observe",
            "enforce",
            "enforce",
        ]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].networkPolicies)).toEqual([
            "sandbox-only",
            "default-deny",
            "default-deny",
        ]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].protectData)).toEqual([false, false, true]);
        expect([1, 2, 3].map((l) => LEVEL_TABLE[l as 1 | 2 | 3].pdbs)).toEqual([false, true, true]);
    });

    it("keeps every PDB below its replica count and Fail only with two injector replicas", () => {
        for (const p of Object.values(LEVEL_TABLE)) {
            for (const w of [p.extauth, p.envoyInjector, p.keycloak, p.qdrant, p.mongodb, p.postgresql, p.sandbox]) {
                if (w.pdbMinAvailable !== undefined) expect(w.pdbMinAvailable).toBeLessThan(w.replicas);
            }
            if (p.envoyInjector.failurePolicy === "Fail") expect(p.envoyInjector.replicas).toBeGreaterThanOrEqual(2);
            expect(p.pdbMinAvailable).toBeLessThan(
                Math.min(p.agent.min, p.gateway.min, p.mcpServer.min) + (p.pdbs ? 0 : 1),
            );
        }
    });
});

describe("resolvePlatformSpec", () => {
    it("applies the level profile and the defaults", () => {
        const l1 = resolvePlatformSpec(raw(baseConfig(1)));
        expect(l1.agents.map((a) => [a.name, a.scale.min, a.securityMode])).toEqual([
            ["alpha", 1, "observe"],
            ["beta", 1, "observe"],
        ]);
        expect(l1.agents[0]!.resources).toEqual({
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        });
        expect(l1.mcpServers.map((m) => m.auth.alg)).toEqual(["HS256", "HS256"]);
        expect(l1.gateway.tls).toEqual({ mode: "self-signed" });
        expect(l1.gateway.scale).toEqual({ min: 1, max: 5 });
        expect(l1.namespaces.sandbox).toBe("agentstack-sandbox");

        const l3 = resolvePlatformSpec(raw(baseConfig(3, { namespacePrefix: "ai" })));
        expect(l3.agents.map((a) => [a.scale.min, a.scale.max, a.securityMode])).toEqual([
            [2, 10, "enforce"],
            [2, 10, "enforce"],
        ]);
        expect(l3.mcpServers.map((m) => m.auth.alg)).toEqual(["RS256", "RS256"]);
        expect(l3.gateway.scale).toEqual({ min: 2, max: 10 });
        expect(l3.gateway.tls).toEqual({ mode: "secret", secretName: "gw-tls" });
        expect(l3.namespaces.agents).toBe("ai-agents");
    });

    it("accepts overrides that keep the level's guarantees", () => {
        const s = resolvePlatformSpec(
            raw(
                baseConfig(2, {
                    agents: [
                        {
                            name: "alpha",
                            minReplicas: 3,
                            maxReplicas: 7,
                            securityMode: "enforce",
                            mcpServers: ["search"],
                        },
                    ],
                    sandbox: { replicas: 4, runtimeClassName: "gvisor" },
                }),
            ),
        );
        expect(s.agents[0]!.scale).toEqual({ min: 3, max: 7 });
        expect(s.sandbox.replicas).toBe(4);
        expect(s.sandbox.runtimeClassName).toBe("gvisor");
    });

    it("accepts the LLM key as a Pulumi secret and rejects it in plain text", () => {
        const cfg = baseConfig(1, { llm: { endpoint: "https://llm.example.com/v1" }, llmApiKey: "sk-test" });
        expect(resolvePlatformSpec(raw(cfg, ["llmApiKey"])).agents[0]!.apiKey).toEqual({
            kind: "config",
            key: "agentstack:llmApiKey",
        });
        expect(issuesOf(cfg).map((i) => i.key)).toEqual(["agentstack:llmApiKey"]);
        expect(issuesOf(cfg)[0]!.message).toContain("pulumi config set --secret agentstack:llmApiKey");
    });

    it("fails closed without any LLM key", () => {
        const issues = issuesOf(baseConfig(1, { llm: { endpoint: "https://llm.example.com/v1" } }));
        expect(issues.map((i) => i.key)).toEqual([
            "agentstack:agents[0].apiKeySecretRef",
            "agentstack:agents[1].apiKeySecretRef",
        ]);
    });

    it("reports every problem at once, each with its key", () => {
        const issues = issuesOf(
            baseConfig(2, {
                agents: [{ name: "alpha", minReplicas: 1, securityMode: "observe", mcpServers: ["nope"] }],
                gateway: {
                    hostname: "a.example.com",
                    gatewayRef: { name: "edge", namespace: "gateway-system" },
                    tls: { mode: "self-signed" },
                },
            }),
        );
        expect(issues.map((i) => i.key).sort()).toEqual([
            "agentstack:agents[0].mcpServers[0]",
            "agentstack:agents[0].minReplicas",
            "agentstack:agents[0].securityMode",
            "agentstack:gateway.tls.mode",
        ]);
    });
});

describe("fixed-size workload rules", () => {
    it("keeps a PDB below the replica count, only where the level makes PDBs", () => {
        expect(pdbMinAvailableFor(LEVEL_TABLE[1], 3)).toBeUndefined();
        expect(pdbMinAvailableFor(LEVEL_TABLE[2], 1)).toBeUndefined();
        expect(pdbMinAvailableFor(LEVEL_TABLE[2], 2)).toBe(1);
        expect(pdbMinAvailableFor(LEVEL_TABLE[3], 5)).toBe(3);
        expect(pdbMinAvailableFor(LEVEL_TABLE[3], 3, 2)).toBe(2);
        expect(pdbMinAvailableFor(LEVEL_TABLE[3], 2, 5)).toBe(1);
    });

    it("rejects a replica override below the level and keeps single pods free of anti-affinity", () => {
        const issues: string[] = [];
        expect(replicasOverride(3, 2, ["keycloak", "replicas"], LEVEL_TABLE[3], (p) => issues.push(p.join(".")))).toBe(
            2,
        );
        expect(issues).toEqual(["keycloak.replicas"]);
        expect(replicasOverride(3, 4, ["x"], LEVEL_TABLE[3], () => issues.push("unexpected"))).toBe(4);
        expect(rowAntiAffinity(LEVEL_TABLE[2].keycloak, 1)).toBe("none");
        expect(rowAntiAffinity(LEVEL_TABLE[2].mongodb, 1, true)).toBe("preferred");
        expect(rowAntiAffinity(LEVEL_TABLE[3].envoyInjector, 2)).toBe("required");
    });
});
