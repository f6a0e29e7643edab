/**
 * Property: any valid agent and MCP server names (DNS labels of 1 to 40 characters), any namespace
 * prefix and any level give objects that all pass the strict offline validator — or, when two names
 * combine into the same derived name, a ConfigError naming the keys (never a crash, never an invalid
 * object). Plus the name, label, host name and quantity rules of lib/ on their own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boundedName, nameHash } from "../lib/names";
import { hostnameProblem, labelKeyProblem, labelValueProblem, quantityValue } from "../lib/syntax";
import { ConfigError } from "../stacks/errors";
import { manifestsOf } from "../tools/harness/render";
import { runProgram } from "../tools/harness/run";
import { validateObjects } from "../tools/k8s/validate";
import { baseConfig, engineConfig } from "./helpers";

/** A DNS label of 1..max characters, often long (long names are where derived names break). */
function dnsLabel(max: number): fc.Arbitrary<string> {
    const ch = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-");
    const alnum = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789");
    return fc.oneof(
        { weight: 1, arbitrary: alnum },
        {
            weight: 3,
            arbitrary: fc
                .tuple(alnum, fc.array(ch, { minLength: 0, maxLength: max - 2 }), alnum)
                .map(([a, mid, b]) => `${a}${mid.join("")}${b}`),
        },
        // Names with "-to-" can combine with another into the same flow name: the resolver must catch it.
        { weight: 1, arbitrary: fc.tuple(alnum, alnum).map(([a, b]) => `${a}-to-mcp-${b}`) },
    );
}

describe("property: valid names and levels render only valid objects", () => {
    it("every rendered object passes validateObjects, or the config is refused by key", async () => {
        const arb = fc.record({
            level: fc.constantFrom(1 as const, 2 as const, 3 as const),
            prefix: dnsLabel(40),
            mcp: fc.uniqueArray(dnsLabel(40), { minLength: 1, maxLength: 3 }),
            agents: fc.uniqueArray(dnsLabel(40), { minLength: 1, maxLength: 3 }),
            defaultDenyAtLevel1: fc.boolean(),
        });
        let rendered = 0;
        let refused = 0;
        await fc.assert(
            fc.asyncProperty(arb, async (c) => {
                const cfg = baseConfig(c.level, {
                    namespacePrefix: c.prefix,
                    network: { defaultDenyAtLevel1: c.defaultDenyAtLevel1 },
                    mcpServers: c.mcp.map((name) => ({ name })),
                    // Each agent calls every server: the most derived names.
                    agents: c.agents.map((name) => ({ name, mcpServers: c.mcp })),
                });
                let run;
                try {
                    run = await runProgram({ stack: "property", config: engineConfig(cfg) });
                } catch (e) {
                    // Refused: only as a ConfigError naming the names that collide.
                    expect(e).toBeInstanceOf(ConfigError);
                    const issues = (e as ConfigError).issues;
                    expect(issues.length).toBeGreaterThan(0);
                    for (const i of issues) expect(i.key).toMatch(/^agentstack:(agents|mcpServers)\[\d+\]\.name$/);
                    refused++;
                    return;
                }
                const objects = manifestsOf(run.resources) as Record<string, unknown>[];
                expect(objects.length).toBeGreaterThan(40);
                expect(validateObjects(objects)).toEqual([]);
                rendered++;
            }),
            {
                numRuns: 25,
                seed: 1307,
                examples: [
                    // The longest names everywhere, at each level.
                    [
                        {
                            level: 1,
                            prefix: "p".repeat(40),
                            mcp: ["m".repeat(40)],
                            agents: ["a".repeat(40)],
                            defaultDenyAtLevel1: true,
                        },
                    ],
                    [
                        {
                            level: 3,
                            prefix: "p".repeat(40),
                            mcp: ["m".repeat(40), "n".repeat(39)],
                            agents: ["a".repeat(40), "b".repeat(40)],
                            defaultDenyAtLevel1: false,
                        },
                    ],
                    // Two names that combine into one flow name.
                    [
                        {
                            level: 2,
                            prefix: "agentstack",
                            mcp: ["y-to-sandbox"],
                            agents: ["x-to-mcp-y", "x"],
                            defaultDenyAtLevel1: false,
                        },
                    ],
                ],
            },
        );
        // Both outcomes were exercised (the examples guarantee it): the property checked something.
        expect(rendered).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
    }, 600_000);
});

describe("lib: derived names and syntax rules", () => {
    it("boundedName keeps short names and shortens long ones with a stable hash", () => {
        expect(boundedName("agent-coder-to-mcp-web-search")).toBe("agent-coder-to-mcp-web-search");
        const long = `agent-${"a".repeat(26)}-to-mcp-${"m".repeat(25)}`;
        expect(long).toHaveLength(65);
        const b = boundedName(long);
        expect(b).toBe(`agent-${"a".repeat(26)}-to-mcp-${"m".repeat(12)}-${nameHash(long)}`);
        expect(b).toHaveLength(63);
        expect(boundedName(long)).toBe(b);
        expect(nameHash(long)).toMatch(/^[0-9a-f]{10}$/);
        // Two long names with the same first 52 characters stay different.
        expect(boundedName(`${long}x`)).not.toBe(boundedName(`${long}y`));
        // The cut never leaves '-' before the hash's own '-'.
        const dash = `${"a".repeat(51)}-bbbbbbbbbbbbbbbbbb`;
        expect(boundedName(dash)).toBe(`${"a".repeat(51)}-${nameHash(dash)}`);
        fc.assert(
            fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,200}[a-z0-9])?$/), (n) => {
                const out = boundedName(n);
                expect(out.length).toBeLessThanOrEqual(63);
                expect(out).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
                if (n.length <= 63) expect(out).toBe(n);
            }),
        );
    });

    it("quantities compare by value", () => {
        expect(quantityValue("500m")).toBe(0.5);
        expect(quantityValue("1")).toBe(1);
        expect(quantityValue("1.5")).toBe(1.5);
        expect(quantityValue("256Mi")).toBe(256 * 2 ** 20);
        expect(quantityValue("1Gi")).toBe(2 ** 30);
        expect(quantityValue("1G")).toBe(1e9);
        expect(quantityValue("1e3")).toBe(1000);
        expect(quantityValue("12x")).toBeUndefined();
        expect(quantityValue("500m")! < quantityValue("1")!).toBe(true);
        expect(quantityValue("256Mi")! < quantityValue("1Gi")!).toBe(true);
        expect(quantityValue("1024Mi")).toBe(quantityValue("1Gi"));
    });

    it("label keys and values follow IsQualifiedName / IsValidLabelValue", () => {
        for (const ok of [
            "app",
            "app.kubernetes.io/name",
            "k8s-app",
            "a_b.c",
            "x".repeat(63),
            `${"p".repeat(50)}.io/${"n".repeat(63)}`,
        ])
            expect(labelKeyProblem(ok), ok).toBeUndefined();
        for (const bad of [
            "",
            "/app",
            "a/b/c",
            "Example.com/app",
            "app name",
            "-app",
            "x".repeat(64),
            `${"p".repeat(254)}/n`,
        ])
            expect(labelKeyProblem(bad), bad).toBeDefined();
        for (const ok of ["", "nginx", "kube-dns", "A_b.c", "x".repeat(63)])
            expect(labelValueProblem(ok), ok).toBeUndefined();
        for (const bad of ["-a", "a-", "a b", "x".repeat(64), "a/b"]) expect(labelValueProblem(bad), bad).toBeDefined();
    });

    it("host names follow the DNS limits", () => {
        const l63 = "a".repeat(63);
        for (const ok of [
            "agents.example.com",
            "localhost",
            `${l63}.example.com`,
            `${[l63, l63, l63].join(".")}.${"b".repeat(61)}`,
        ])
            expect(hostnameProblem(ok), ok).toBeUndefined();
        expect(hostnameProblem(`${l63}b.example.com`)).toMatch(/at most 63/);
        expect(hostnameProblem(`${[l63, l63, l63].join(".")}.${"b".repeat(62)}`)).toMatch(/at most 253/);
        expect(hostnameProblem("Agents.example.com")).toMatch(/DNS name/);
        expect(hostnameProblem("10.0.0.1")).toMatch(/IP address/);
        expect(hostnameProblem("10.0.0.1", { allowIp: true })).toBeUndefined();
    });
});
