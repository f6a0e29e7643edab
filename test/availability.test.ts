/**
 * Every level decision made once (issue 14): the resolved spec carries, for every workload, its
 * replicas or HPA bounds, its anti-affinity and its PDB; the workload builder only reads them.
 * Pure functions, no mocks.
 */
import { describe, expect, it } from "vitest";
import { pdbFor } from "../components/workload";
import { levelAvailability } from "../stacks/fixed";
import { levelProfile } from "../stacks/levels";
import { resolvePlatformSpec } from "../stacks/resolve";
import { PROJECT_DIR, loadEngineConfig } from "../tools/harness/stackConfig";

describe("levelAvailability", () => {
    it("gives a single pod neither anti-affinity nor a PDB, at every level", () => {
        for (const level of [1, 2, 3] as const)
            expect(levelAvailability(levelProfile(level), 1)).toEqual({ antiAffinity: "none" });
    });

    it("gives a multi-replica workload the level's anti-affinity, and a PDB from level 2 that never blocks a drain", () => {
        expect(levelAvailability(levelProfile(1), 2)).toEqual({ antiAffinity: "none" });
        expect(levelAvailability(levelProfile(2), 2)).toEqual({ antiAffinity: "preferred", pdbMinAvailable: 1 });
        expect(levelAvailability(levelProfile(3), 5)).toEqual({ antiAffinity: "preferred", pdbMinAvailable: 1 });
    });
});

describe("pdbFor (the builder's guard)", () => {
    it("makes the PDB the spec asks for and refuses one that blocks every drain", () => {
        expect(pdbFor({ fixed: 3 }, undefined)).toBeUndefined();
        expect(pdbFor({ min: 2, max: 5 }, 1)).toEqual({ minAvailable: 1 });
        expect(() => pdbFor({ fixed: 2 }, 2)).toThrow(/would block drains/);
    });
});

describe("the resolved spec decides availability for every workload", () => {
    const spec = (level: 1 | 2 | 3) =>
        resolvePlatformSpec(loadEngineConfig(PROJECT_DIR, ["dev", "staging", "prod"][level - 1]!));

    it.each([1, 2, 3] as const)(
        "level %s: agents, MCP servers, the gateway and the sandbox carry anti-affinity and PDB",
        (level) => {
            const s = spec(level);
            const want = levelAvailability(s.profile, level === 1 ? 1 : 2);
            expect(s.level).toBe(level);
            for (const w of [s.agents[0]!, s.mcpServers[0]!, s.gateway])
                expect({ antiAffinity: w.antiAffinity, pdbMinAvailable: w.pdbMinAvailable }).toEqual({
                    pdbMinAvailable: undefined,
                    ...want,
                });
            expect(s.sandbox.antiAffinity).toBe(level === 1 ? "none" : "preferred");
            expect(s.sandbox.pdbMinAvailable).toBe(level === 1 ? undefined : 1);
        },
    );
});
