/**
 * `npm run diff`'s decisions on the real program (offline harness), for the changes a reviewer meets
 * most: a `logLevel` change and a new agent at level 3. Each is decided as the pinned
 * pulumi-kubernetes provider decides it, with the provider the program really sets — and, for
 * contrast, as the default provider (ConfigMaps and Secrets immutable) would. The replace table itself
 * is pinned to the installed @pulumi/kubernetes version.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { diffStack } from "../tools/diff/compare";
import { renderJson, renderText } from "../tools/diff/format";
import { PROVIDER_SOURCE } from "../tools/diff/rules";
import { makeTree } from "../tools/diff/tree";
import { InventoryEntry, KubeObject, StackDiff, SynthTree } from "../tools/diff/types";
import { inventoryEntry, SECRET_DIGEST_KEY_ENV } from "../tools/harness/render";
import { KUBERNETES_PROVIDER_ARGS } from "../program";
import { baseConfig, engineConfig, runStack } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const KEY = "5a".repeat(32);

/** A level-3 config with two agents (pinned images, an Ingress), plus `extra`. */
function prodConfig(extra: Record<string, unknown> = {}) {
    const cfg = baseConfig(3, {
        images: {
            agent: "registry.example.com/acme/agent:1.0.0",
            mcpServer: "registry.example.com/acme/mcp:1.0.0",
            sandbox: "registry.example.com/acme/sandbox:1.0.0",
        },
        ...extra,
    });
    cfg["gateway"] = { ...(cfg["gateway"] as object), exposure: "ingress" };
    return engineConfig(cfg);
}

/** Runs the program and renders it the way `npm run diff` reads a side (digests keyed like one diff run). */
async function render(config: ReturnType<typeof engineConfig>): Promise<SynthTree> {
    const run = await runStack("prod", { config });
    process.env[SECRET_DIGEST_KEY_ENV] = KEY;
    try {
        const entries = run.resources.map((r) => inventoryEntry(r) as unknown as InventoryEntry);
        return makeTree(run.manifests as KubeObject[], entries);
    } finally {
        delete process.env[SECRET_DIGEST_KEY_ENV];
    }
}

/** The same tree as the default provider would manage it (no explicit provider: ConfigMaps/Secrets immutable). */
function underDefaultProvider(t: SynthTree): SynthTree {
    return {
        objects: t.objects,
        resources: t.resources
            .filter((r) => !r.type.startsWith("pulumi:providers:"))
            .map((r) => {
                const { provider: _p, ...options } = r.options;
                return { ...r, options };
            }),
    };
}

const diff = (base: SynthTree, head: SynthTree): StackDiff =>
    diffStack({ stack: "prod", base, head, baseInfo: { label: "base" }, headInfo: { label: "head" } });
const byAction = (d: StackDiff, kind: string, action: string) =>
    d.objects
        .filter((o) => o.kind === kind && o.action === action)
        .map((o) => o.id)
        .sort();

describe("npm run diff on the real program, as the pinned provider decides", () => {
    it("the replace table is the installed provider's: re-check diff.go when @pulumi/kubernetes changes", () => {
        const installed = (
            JSON.parse(
                fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8"),
            ) as { version: string }
        ).version;
        const pinned = (
            JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
                dependencies: Record<string, string>;
            }
        ).dependencies["@pulumi/kubernetes"];
        // On an upgrade: re-read PROVIDER_SOURCE.files at the new release (forceNew, forceNewProperties, Diff,
        // DiffConfig, normalizeSecret) and update tools/diff/rules.ts, then PROVIDER_SOURCE.version.
        expect(installed).toBe(PROVIDER_SOURCE.version);
        expect(pinned).toBe(PROVIDER_SOURCE.version);
    });

    it("no stack file configures the default Kubernetes provider (its options would not be the program's)", () => {
        for (const f of fs.readdirSync(ROOT).filter((x) => /^Pulumi(\..+)?\.yaml$/.test(x))) {
            const doc = YAML.parse(fs.readFileSync(path.join(ROOT, f), "utf8")) as { config?: Record<string, unknown> };
            expect(
                Object.keys(doc.config ?? {}).filter((k) => k.startsWith("kubernetes:")),
                f,
            ).toEqual([]);
        }
        expect(KUBERNETES_PROVIDER_ARGS).toEqual({ enableConfigMapMutable: true, enableSecretMutable: true });
    });

    it("every Kubernetes object is managed by the program's explicit provider, with ConfigMaps and Secrets mutable", async () => {
        const t = await render(prodConfig());
        const providers = t.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
        expect(providers.map((p) => [p.name, p.inputs])).toEqual([
            ["agentstack-k8s", { enableConfigMapMutable: "true", enableSecretMutable: "true" }],
        ]);
        const k8s = t.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(k8s.length).toBeGreaterThan(50);
        expect(k8s.filter((r) => r.options["provider"] !== providers[0]!.urn).map((r) => r.urn)).toEqual([]);
        // Secrets carry keyed digests of their values, never the values.
        const secrets = k8s.filter((r) => r.inputs["kind"] === "Secret");
        expect(secrets.length).toBeGreaterThan(0);
        for (const s of secrets)
            for (const d of Object.values(s.secretDigests ?? {})) expect(d).toMatch(/^([0-9a-f]{64}|unknown)$/);
    }, 60_000);

    it("a logLevel change updates the ConfigMaps in place (the default provider would replace each)", async () => {
        const base = await render(prodConfig());
        const head = await render(prodConfig({ logLevel: "debug" }));
        const d = diff(base, head);
        const updated = byAction(d, "ConfigMap", "update");
        expect(updated.length).toBeGreaterThan(0);
        expect(d.objects.filter((o) => o.action === "replace").map((o) => o.id)).toEqual([]);
        expect(d.warnings.filter((w) => w.severity !== "note")).toEqual([]);
        const dflt = diff(underDefaultProvider(base), underDefaultProvider(head));
        expect(byAction(dflt, "ConfigMap", "replace")).toEqual(updated);
        expect(dflt.objects.find((o) => o.kind === "ConfigMap")).toMatchObject({ deleteFirst: true });
    }, 60_000);

    it("adding an agent at level 3 replaces no protected object; the data stores' ConfigMaps and Secrets are updated in place", async () => {
        const base = await render(prodConfig());
        const agents = [
            ...(JSON.parse(prodConfig().values["agentstack:agents"]!) as object[]),
            { name: "gamma", mcpServers: ["search"] },
        ];
        const head = await render(prodConfig({ agents }));
        const d = diff(base, head);
        const protectedTouched = d.objects.filter(
            (o) => o.protected && (o.action === "replace" || o.action === "remove"),
        );
        expect(protectedTouched.map((o) => o.id)).toEqual([]);
        expect(d.warnings.filter((w) => w.severity === "refuse")).toEqual([]);
        // Something protected does change, in place: the store's client list (its Secret or ConfigMap).
        const protectedUpdates = d.objects.filter(
            (o) => o.protected && o.action === "update" && (o.kind === "Secret" || o.kind === "ConfigMap"),
        );
        expect(protectedUpdates.length).toBeGreaterThan(0);
        expect(d.objects.some((o) => o.action === "add" && o.name.includes("gamma"))).toBe(true);
        // Under the default provider the same change replaces those protected objects: `pulumi up` would refuse.
        const dflt = diff(underDefaultProvider(base), underDefaultProvider(head));
        const refused = dflt.warnings.filter((w) => w.severity === "refuse").map((w) => w.subject);
        expect(refused.length).toBeGreaterThan(0);
        expect(refused).toEqual(
            expect.arrayContaining(protectedUpdates.map((o) => `${o.kind} ${o.namespace}/${o.name}`)),
        );
        // No secret value and no digest reaches any output.
        const out = renderText([d]) + renderJson([d]);
        for (const r of head.resources)
            for (const v of Object.values(r.secretDigests ?? {})) if (v !== "unknown") expect(out).not.toContain(v);
    }, 90_000);
});
