/**
 * The whole program against the pack, in preview mode as CI runs it: dev at level 1, staging at
 * level 2 and prod at level 3 have no mandatory violation; dev evaluated at level 3 fails with the
 * violations one expects of a level-1 stack.
 */
import { describe, expect, it } from "vitest";
import { Evaluation, evaluateStack, evaluateStackDetailed } from "../tools/policy/run";
import { runStack } from "./helpers";

const cache = new Map<string, Promise<Evaluation>>();
function evaluation(stack: string, level?: 1 | 2 | 3): Promise<Evaluation> {
    const key = `${stack}@${level ?? "env"}`;
    if (!cache.has(key)) cache.set(key, evaluateStackDetailed(stack, level ? { level } : {}));
    return cache.get(key)!;
}

const mandatory = (e: Evaluation) => e.violations.filter((v) => v.enforcement === "mandatory");
const policiesOf = (e: Evaluation) => new Set(mandatory(e).map((v) => v.policy));

describe("the program meets its own environment's level", () => {
    it.each([
        ["dev", 1],
        ["staging", 2],
        ["prod", 3],
    ] as const)("%s (required level %i): no mandatory violation", async (stack, level) => {
        const e = await evaluation(stack);
        expect(e.requiredLevel).toBe(level);
        expect(mandatory(e).map((v) => `${v.policy} ${v.resource.kind}/${v.resource.name}: ${v.message}`)).toEqual([]);
    });

    it("prod's only advisories are the image digests the user must supply", async () => {
        const e = await evaluation("prod");
        expect(new Set(e.violations.map((v) => v.policy))).toEqual(new Set(["pod-image-digest"]));
    });

    it("evaluateStack (the exported API) agrees", async () => {
        const vs = await evaluateStack("staging", {});
        expect(vs.filter((v) => v.enforcement === "mandatory")).toEqual([]);
    });
});

describe("dev evaluated at level 3 fails as expected", () => {
    it("replicas, PDBs, anti-affinity, failurePolicy, default-deny, self-signed TLS, PSA, quotas, identity", async () => {
        const e = await evaluation("dev", 3);
        const p = policiesOf(e);
        for (const expected of [
            "availability-min-replicas",
            "availability-pdb",
            "availability-anti-affinity",
            "zerotrust-webhook-failure-policy",
            "zerotrust-extauth-fail-closed",
            "network-default-deny",
            "exposure-no-self-signed",
            "identity-agent-enforce",
            "identity-mcp-rs256",
            "identity-keycloak-production",
            "stateful-namespace-psa",
            "stateful-namespace-quota",
        ]) {
            expect(p, expected).toContain(expected);
        }
        const msgs = mandatory(e).map((v) => v.message);
        expect(msgs).toContainEqual(
            expect.stringMatching(
                /Deployment agentstack-gateway\/gateway: its HPA gateway has minReplicas 1; level 3 requires at least 2 for gateway; fix: .*agentstack:gateway\.minReplicas/,
            ),
        );
        expect(msgs).toContainEqual(
            expect.stringMatching(
                /MutatingWebhookConfiguration envoy-injector: .*failurePolicy Ignore; level 3 requires Fail/,
            ),
        );
        expect(msgs).toContainEqual(
            expect.stringMatching(
                /Secret agentstack-gateway\/gateway-tls: is a self-signed certificate .* agentstack:gateway\.tls\.mode/,
            ),
        );
        expect(msgs).toContainEqual(
            expect.stringMatching(
                /SECURITY_MODE=observe; level 3 requires enforce; fix: remove agentstack:agents\[name=support\]\.securityMode/,
            ),
        );
        // Every message names its resource and a fix.
        for (const v of mandatory(e)) expect(v.message).toMatch(/fix: /);
        // Pod hardening holds at every level: nothing of it fails, even at level 3.
        expect([...p].filter((x) => x.startsWith("pod-"))).toEqual([]);
    });

    it("data stores: unprotected and open at level 1, so dev fails at level 3 (skipped while the data-store components have not landed)", async (ctx) => {
        const run = await runStack("dev", { preview: true });
        const stores = run.manifests.filter((o) => o["metadata"]?.["labels"]?.["agentstack.io/data-store"] === "true");
        // Pending component: until qdrant/mongodb/postgresql land, no object carries the data-store label.
        if (stores.length === 0) return ctx.skip();
        const p = policiesOf(await evaluation("dev", 3));
        expect(p).toContain("stateful-data-protected");
        expect(p).toContain("network-data-store-clients");
    });
});
