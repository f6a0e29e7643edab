/**
 * The program stays linear in the size of the platform: adding agents and MCP servers adds a bounded
 * amount per agent, never a dependency list that grows with the platform. Structural checks only
 * (the timings are `npm run bench`'s): every workload that waited for the NetworkPolicies still waits
 * for every one of them — through the one policy created after all the others — and no resource but
 * that one lists more dependencies in a 10-agent / 10-MCP-server stack than in prod.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { writeScaledStack } from "../tools/bench/stack";
import { RecordedResource } from "../tools/harness/mocks";
import { PROJECT_DIR, loadEngineConfig } from "../tools/harness/stackConfig";
import { runStack } from "./helpers";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const WORKLOADS = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"]);

/** Every URN a resource waits for, directly or through its dependencies. */
function closure(resources: readonly RecordedResource[]): (urn: string) => Set<string> {
    const deps = new Map(resources.map((r) => [r.urn, r.options.dependsOn]));
    const memo = new Map<string, Set<string>>();
    const walk = (urn: string): Set<string> => {
        const hit = memo.get(urn);
        if (hit) return hit;
        const out = new Set<string>();
        memo.set(urn, out);
        for (const d of deps.get(urn) ?? []) {
            out.add(d);
            for (const x of walk(d)) out.add(x);
        }
        return out;
    };
    return walk;
}

/** The NetworkPolicies that list every other one (the barrier). */
function barriers(resources: readonly RecordedResource[]): RecordedResource[] {
    const policies = resources.filter((r) => r.type === NETPOL);
    const urns = new Set(policies.map((p) => p.urn));
    return policies.filter((p) => p.options.dependsOn.filter((d) => urns.has(d)).length === policies.length - 1);
}

/** The longest dependency list, the barrier excepted. */
function longestDependsOn(resources: readonly RecordedResource[]): number {
    const barrier = new Set(barriers(resources).map((r) => r.urn));
    return Math.max(...resources.filter((r) => !barrier.has(r.urn)).map((r) => r.options.dependsOn.length));
}

describe("dependencies stay linear in agents × MCP servers", () => {
    let prod: RecordedResource[];
    let scaled: RecordedResource[];
    beforeAll(async () => {
        prod = (await runStack("prod")).resources;
        const file = writeScaledStack(PROJECT_DIR, fs.mkdtempSync(path.join(os.tmpdir(), "scaled-")), 10, 10);
        scaled = (await runStack("prod", { config: loadEngineConfig(PROJECT_DIR, "prod", file) })).resources;
    }, 120_000);

    it("every Deployment and StatefulSet outside the system zone waits for every NetworkPolicy (transitively)", () => {
        for (const resources of [prod, scaled]) {
            const waitsFor = closure(resources);
            const policies = resources.filter((r) => r.type === NETPOL).map((r) => r.urn);
            // ExtAuth and the injector (system zone) never waited for the policies: the injected workloads wait for them.
            const workloads = resources.filter(
                (r) => WORKLOADS.has(r.type) && !/:(ExtAuth|EnvoyInjector)\$/.test(r.urn),
            );
            expect(workloads.length).toBeGreaterThan(5);
            for (const w of workloads) {
                const missing = policies.filter((p) => !waitsFor(w.urn).has(p));
                expect(missing, w.urn).toEqual([]);
            }
        }
    });

    it("one NetworkPolicy lists the others; no other resource's list grows with the platform", () => {
        for (const resources of [prod, scaled]) expect(barriers(resources)).toHaveLength(1);
        expect(scaled.filter((r) => r.type.startsWith("agentstack:agent:")).length).toBe(10);
        expect(longestDependsOn(scaled)).toBe(longestDependsOn(prod));
        expect(longestDependsOn(prod)).toBeLessThan(40);
    });
});
