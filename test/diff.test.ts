/**
 * `npm run diff`'s logic on small synthetic synth trees (no git, no Pulumi runtime): what is an
 * update, what is a REPLACE and when that loses data, remove + add on a rename, policy verdicts that
 * appear or disappear, option changes, the three output formats, and "no changes".
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { diffStack } from "../tools/diff/compare";
import { diffValues, parseQuantity } from "../tools/diff/fields";
import { renderJson, renderMarkdown, renderText } from "../tools/diff/format";
import { Evaluator, levelInPolicyConfig, policyDiff, requiredLevel } from "../tools/diff/policy";
import { EMPTY_TREE, makeTree, readSynthTree } from "../tools/diff/tree";
import { InventoryEntry, KubeObject, PolicyViolation, StackDiff, SynthTree } from "../tools/diff/types";

const API: Record<string, string> = {
    Deployment: "apps/v1", StatefulSet: "apps/v1", Service: "v1", ConfigMap: "v1", Secret: "v1", PersistentVolumeClaim: "v1", Job: "batch/v1",
};

function obj(kind: string, name: string, rest: Record<string, unknown> = {}, namespace = "agentstack-data"): KubeObject {
    return { apiVersion: API[kind] ?? "v1", kind, metadata: { name, namespace }, ...rest };
}

function entry(o: KubeObject, options: Record<string, unknown> = {}, logicalName?: string): InventoryEntry {
    const kind = String(o["kind"]);
    const api = String(o["apiVersion"]);
    const type = `kubernetes:${api.includes("/") ? api : `core/${api}`}:${kind}`;
    const name = logicalName ?? String((o["metadata"] as { name: string }).name);
    return {
        type, name, custom: true, parent: "urn:pulumi:prod::agentstack::agentstack:platform:Platform::platform",
        urn: `urn:pulumi:prod::agentstack::agentstack:platform:Platform$${type}::${name}`,
        options: { protect: false, dependsOn: [], retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], replaceOnChanges: [], ...options },
        inputs: o,
    };
}

function tree(...objects: (KubeObject | [KubeObject, Record<string, unknown>])[]): SynthTree {
    const pairs = objects.map((x) => (Array.isArray(x) ? x : ([x, {}] as [KubeObject, Record<string, unknown>])));
    return makeTree(pairs.map(([o]) => o), pairs.map(([o, opts]) => entry(o, opts)));
}

const deployment = (replicas: number, image = "ghcr.io/acme/agent:1.2.3") => obj("Deployment", "agent-coder", {
    spec: {
        replicas,
        selector: { matchLabels: { "app.kubernetes.io/name": "agent" } },
        template: { metadata: { labels: { "app.kubernetes.io/name": "agent" } }, spec: { containers: [{ name: "agent", image }] } },
    },
}, "agentstack-agents");

const statefulSet = (storage: string) => obj("StatefulSet", "qdrant", {
    spec: {
        replicas: 3,
        serviceName: "qdrant-headless",
        selector: { matchLabels: { "app.kubernetes.io/name": "qdrant" } },
        template: { metadata: { labels: { "app.kubernetes.io/name": "qdrant" } }, spec: { containers: [{ name: "qdrant", image: "qdrant/qdrant:v1.13.0" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } } }],
    },
});

const service = (name: string, spec: Record<string, unknown> = {}) => obj("Service", name, { spec: { selector: { "app.kubernetes.io/name": "gateway" }, ports: [{ name: "http", port: 8080 }], ...spec } }, "agentstack-gateway");

const side = (label: string) => ({ label });

function run(base: SynthTree, head: SynthTree, policy?: Awaited<ReturnType<typeof policyDiff>>): StackDiff {
    return diffStack({ stack: "prod", base, head, baseInfo: side("main"), headInfo: side("working tree"), ...(policy ? { policy } : {}) });
}

describe("diff: updates and replacements", () => {
    it("a replica change is an in-place update with the field's old and new value", () => {
        const d = run(tree(deployment(2)), tree(deployment(3)));
        expect(d.noChanges).toBe(false);
        expect(d.objects).toHaveLength(1);
        const o = d.objects[0]!;
        expect(o).toMatchObject({ id: "Deployment/agentstack-agents/agent-coder", action: "update", replaceReasons: [] });
        expect(o.dataLoss).toBeUndefined();
        expect(o.changes.map((c) => [c.path, c.before, c.after])).toEqual([["spec.replicas", 2, 3]]);
        expect(d.warnings).toEqual([]);
        expect(d.summary).toMatchObject({ updated: 1, replaced: 0, added: 0, removed: 0, dataLoss: 0 });
        expect(renderText([d])).toContain("spec.replicas: 2 → 3");
    });

    it("a change of a StatefulSet's volumeClaimTemplates storage is a REPLACE with a data-loss warning", () => {
        const d = run(tree(statefulSet("10Gi")), tree(statefulSet("20Gi")));
        const o = d.objects[0]!;
        expect(o.action).toBe("replace");
        expect(o.replaceReasons.join()).toContain("spec.volumeClaimTemplates is immutable on a StatefulSet");
        expect(o.changes.map((c) => [c.path, c.before, c.after])).toEqual([
            ["spec.volumeClaimTemplates[name=data].spec.resources.requests.storage", "10Gi", "20Gi"],
        ]);
        expect(o.dataLoss).toMatch(/StatefulSet with volumeClaimTemplates/);
        expect(d.summary).toMatchObject({ replaced: 1, dataLoss: 1 });
        expect(d.warnings[0]).toMatchObject({ severity: "data-loss", subject: "StatefulSet agentstack-data/qdrant" });
        const text = renderText([d]);
        expect(text).toMatch(/^stack prod: 1 REPLACED \(1 with DATA LOSS\)/);
        expect(text).toContain("!! DATA LOSS: StatefulSet agentstack-data/qdrant is REPLACED");
        const md = renderMarkdown([d]);
        // The warning comes before the table and the details.
        expect(md.indexOf("[!CAUTION]")).toBeGreaterThan(-1);
        expect(md.indexOf("[!CAUTION]")).toBeLessThan(md.indexOf("| stack |"));
        expect(md).toContain("<details open>");
    });

    it("renaming a Service is a remove plus an add, never an update", () => {
        const d = run(tree(service("gateway")), tree(service("gateway-public")));
        expect(d.objects.map((o) => [o.action, o.id])).toEqual([
            ["remove", "Service/agentstack-gateway/gateway"],
            ["add", "Service/agentstack-gateway/gateway-public"],
        ]);
        expect(d.objects.every((o) => o.dataLoss === undefined)).toBe(true);
        expect(d.summary).toMatchObject({ added: 1, removed: 1, updated: 0, replaced: 0 });
        const text = renderText([d]);
        expect(text).toContain("- Service agentstack-gateway/gateway\n");
        expect(text).toContain("+ Service agentstack-gateway/gateway-public\n");
    });

    it("moving an object to another namespace is also remove + add", () => {
        const moved = obj("ConfigMap", "cfg", { data: { a: "1" } }, "other");
        const d = run(tree(obj("ConfigMap", "cfg", { data: { a: "1" } })), tree(moved));
        expect(d.objects.map((o) => o.action).sort()).toEqual(["add", "remove"]);
    });

    it.each([
        ["Deployment selector", obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "1" } } } }), obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "2" } } } }), /spec.selector is immutable on a Deployment/],
        ["StatefulSet serviceName", obj("StatefulSet", "s", { spec: { serviceName: "a" } }), obj("StatefulSet", "s", { spec: { serviceName: "b" } }), /spec.serviceName is immutable/],
        ["StatefulSet podManagementPolicy", obj("StatefulSet", "s", { spec: { podManagementPolicy: "OrderedReady" } }), obj("StatefulSet", "s", { spec: { podManagementPolicy: "Parallel" } }), /podManagementPolicy is immutable/],
        ["Job template", obj("Job", "j", { spec: { template: { spec: { containers: [{ name: "m", image: "a:1" }] } } } }), obj("Job", "j", { spec: { template: { spec: { containers: [{ name: "m", image: "a:2" }] } } } }), /spec.template is immutable on a Job/],
        ["Service to ExternalName", service("s", { type: "ClusterIP" }), service("s", { type: "ExternalName", externalName: "db.example.com" }), /to or from ExternalName/],
        ["Service made headless", service("s"), service("s", { clusterIP: "None" }), /spec.clusterIP is immutable/],
        ["PVC storage shrink", obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "20Gi" } } } }), obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "10Gi" } } } }), /can grow but never shrink/],
        ["PVC storage class", obj("PersistentVolumeClaim", "p", { spec: { storageClassName: "a" } }), obj("PersistentVolumeClaim", "p", { spec: { storageClassName: "b" } }), /spec.storageClassName is immutable on a PersistentVolumeClaim/],
        ["immutable ConfigMap data", obj("ConfigMap", "c", { immutable: true, data: { k: "1" } }), obj("ConfigMap", "c", { immutable: true, data: { k: "2" } }), /ConfigMap is immutable/],
        ["immutable Secret keys", obj("Secret", "s", { immutable: true, stringData: { a: "x" } }), obj("Secret", "s", { immutable: true, stringData: { a: "x", b: "y" } }), /Secret is immutable/],
    ])("%s is a REPLACE", (_name, before, after, reason) => {
        const d = run(tree(before), tree(after));
        expect(d.objects).toHaveLength(1);
        expect(d.objects[0]!.action).toBe("replace");
        expect(d.objects[0]!.replaceReasons.join("\n")).toMatch(reason);
    });

    it.each([
        ["PVC storage growth", obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "10Gi" } } } }), obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "20Gi" } } } })],
        ["mutable ConfigMap data", obj("ConfigMap", "c", { data: { k: "1" } }), obj("ConfigMap", "c", { data: { k: "2" } })],
        ["making a ConfigMap immutable", obj("ConfigMap", "c", { data: { k: "1" } }), obj("ConfigMap", "c", { immutable: true, data: { k: "1" } })],
        ["Service type ClusterIP to LoadBalancer", service("s", { type: "ClusterIP" }), service("s", { type: "LoadBalancer" })],
        ["StatefulSet template", statefulSet("10Gi"), { ...statefulSet("10Gi"), spec: { ...(statefulSet("10Gi")["spec"] as object), replicas: 5 } }],
    ])("%s is an in-place update", (_name, before, after) => {
        const d = run(tree(before), tree(after));
        expect(d.objects.map((o) => o.action)).toEqual(["update"]);
    });

    it("a PVC replace and a PVC removal lose data; replacing a protected object says pulumi up will refuse", () => {
        const pvc = (sc: string) => obj("PersistentVolumeClaim", "mongo", { spec: { storageClassName: sc } });
        const r = run(tree(pvc("a")), tree(pvc("b")));
        expect(r.objects[0]!.dataLoss).toMatch(/PersistentVolumeClaim/);
        const removed = run(tree(pvc("a")), EMPTY_TREE);
        expect(removed.objects[0]).toMatchObject({ action: "remove" });
        expect(removed.warnings[0]).toMatchObject({ severity: "data-loss" });
        // A protected Deployment (no volume of its own) still carries the warning: protect declares data.
        const p = run(tree([obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "1" } } } }), { protect: true }]), tree([obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "2" } } } }), { protect: true }]));
        expect(p.objects[0]).toMatchObject({ action: "replace", protected: true });
        expect(p.objects[0]!.dataLoss).toMatch(/protect/);
        expect(p.warnings[0]!.message).toContain("pulumi up` will refuse");
    });

    it("a Pulumi URN change of the same object is a REPLACE (no alias)", () => {
        const o = deployment(2);
        const d = run(makeTree([o], [entry(o, {}, "agent-coder")]), makeTree([o], [entry(o, {}, "agent-coder-v2")]));
        expect(d.objects[0]!.action).toBe("replace");
        expect(d.objects[0]!.replaceReasons[0]).toMatch(/URN changed .*alias/);
    });

    it("replaceOnChanges on the resource makes a matching change a REPLACE", () => {
        const d = run(tree([deployment(2), { replaceOnChanges: ["spec.replicas"] }]), tree([deployment(3), { replaceOnChanges: ["spec.replicas"] }]));
        expect(d.objects[0]!.action).toBe("replace");
        expect(d.objects[0]!.replaceReasons[0]).toContain("replaceOnChanges");
    });
});

describe("diff: resources.json", () => {
    it("reports a change of protect, and warns when protection is removed", () => {
        const on = run(tree(statefulSet("10Gi")), tree([statefulSet("10Gi"), { protect: true }]));
        expect(on.objects).toEqual([]);
        expect(on.options).toEqual([expect.objectContaining({ option: "protect", before: false, after: true, object: "StatefulSet/agentstack-data/qdrant" })]);
        expect(on.noChanges).toBe(false);
        expect(renderText([on])).toContain("protect false → true");
        const off = run(tree([statefulSet("10Gi"), { protect: true }]), tree(statefulSet("10Gi")));
        expect(off.warnings).toEqual([expect.objectContaining({ severity: "protect", subject: "StatefulSet/agentstack-data/qdrant" })]);
    });

    it("a change of a random password's inputs regenerates it", () => {
        const pw = (length: number): InventoryEntry => ({
            type: "random:index/randomPassword:RandomPassword", name: "keycloak-admin", custom: true, parent: null,
            urn: "urn:pulumi:prod::agentstack::random:index/randomPassword:RandomPassword::keycloak-admin",
            options: { protect: false }, inputs: { length, special: false },
        });
        const d = run(makeTree([], [pw(24)]), makeTree([], [pw(32)]));
        expect(d.resources).toEqual([expect.objectContaining({ action: "replace", regenerated: expect.stringContaining("new value") })]);
        expect(d.resources[0]!.changes.map((c) => c.path)).toEqual(["length"]);
        expect(d.warnings.map((w) => w.severity)).toEqual(["regenerate"]);
    });
});

describe("diff: policy verdicts", () => {
    const violation = (name: string, policy = "pod-run-as-non-root"): PolicyViolation => ({
        policy, level: 1, enforcement: "mandatory", resource: { kind: "Deployment", namespace: "agentstack-agents", name },
        message: `Deployment agentstack-agents/${name}: a container may run as root; set agentstack:... to fix`,
    });
    /** A fake pack: a Deployment whose first container lacks runAsNonRoot violates one policy. */
    const fake: Evaluator = async (objects, { level }) => objects
        .filter((o) => o["kind"] === "Deployment")
        .filter((o) => {
            const c = (o as any).spec?.template?.spec?.containers?.[0];
            return c?.securityContext?.runAsNonRoot !== true;
        })
        .map((o) => ({ ...violation(String((o as any).metadata.name)), level }));
    const hardened = () => {
        const d = deployment(2);
        (d as any).spec.template.spec.containers[0].securityContext = { runAsNonRoot: true };
        return d;
    };

    it("a new policy violation shows up, with its enforcement, in every format", async () => {
        const base = tree(hardened());
        const head = tree(deployment(2));
        const policy = await policyDiff(fake, base, head, { level: 3, source: "policies/config/prod.json" });
        expect(policy.evaluated).toBe(true);
        expect(policy.introduced).toHaveLength(1);
        expect(policy.introduced[0]).toMatchObject({ policy: "pod-run-as-non-root", enforcement: "mandatory", level: 3 });
        expect(policy.resolved).toEqual([]);
        const d = run(base, head, policy);
        expect(d.summary).toMatchObject({ policyIntroduced: 1, policyIntroducedMandatory: 1 });
        expect(renderText([d])).toContain("+ [mandatory] pod-run-as-non-root: Deployment agentstack-agents/agent-coder");
        expect(renderMarkdown([d])).toContain("1 (**1 mandatory**) / 0");
        expect(JSON.parse(renderJson([d])).stacks[0].policy.introduced[0].policy).toBe("pod-run-as-non-root");
    });

    it("a fixed violation is reported as resolved; unchanged verdicts are not reported", async () => {
        const policy = await policyDiff(fake, tree(deployment(2)), tree(hardened()), { level: 2, source: "x" });
        expect(policy.introduced).toEqual([]);
        expect(policy.resolved.map((v) => v.resource.name)).toEqual(["agent-coder"]);
        const same = await policyDiff(fake, tree(deployment(2)), tree(deployment(3)), { level: 2, source: "x" });
        expect(same).toMatchObject({ evaluated: true, introduced: [], resolved: [] });
    });

    it("a failing or missing evaluator is a note, never a crash", async () => {
        const broken: Evaluator = async () => { throw new Error("boom"); };
        const p = await policyDiff(broken, tree(deployment(2)), tree(deployment(2)), { level: 1, source: "x" });
        expect(p).toMatchObject({ evaluated: false });
        expect(p.note).toContain("boom");
        const d = run(tree(deployment(2)), tree(deployment(2)), p);
        expect(d.warnings).toEqual([expect.objectContaining({ severity: "note" })]);
        expect((await policyDiff(undefined, EMPTY_TREE, EMPTY_TREE, { level: 1, source: "x" })).evaluated).toBe(false);
    });

    it("reads the required level from the policy config, else from the stack file", () => {
        expect(levelInPolicyConfig({ "agentstack-policies": { requiredLevel: 3 } })).toBe(3);
        expect(levelInPolicyConfig({ all: "mandatory", "pod-non-root": { enforcementLevel: "mandatory", requiredLevel: "2" } })).toBe(2);
        expect(levelInPolicyConfig({ a: { requiredLevel: 2 }, b: { requiredLevel: 3 } })).toBe(3);
        expect(levelInPolicyConfig({ all: "mandatory" })).toBeUndefined();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-level-"));
        fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  agentstack:securityLevel: 2\n");
        expect(requiredLevel(dir, "prod")).toEqual({ level: 2, source: "Pulumi.prod.yaml (agentstack:securityLevel)" });
        fs.mkdirSync(path.join(dir, "policies", "config"), { recursive: true });
        fs.writeFileSync(path.join(dir, "policies", "config", "prod.json"), JSON.stringify({ requiredLevel: 3 }));
        expect(requiredLevel(dir, "prod")).toEqual({ level: 3, source: path.join("policies", "config", "prod.json") });
        expect(requiredLevel(dir, "nosuch")).toBeUndefined();
    });
});

describe("diff: no changes, formats, secrets", () => {
    it("identical trees give an explicit 'no changes' in every format", () => {
        const t = tree(deployment(2), statefulSet("10Gi"), service("gateway"));
        const d = run(t, tree(deployment(2), statefulSet("10Gi"), service("gateway")), { evaluated: true, level: 3, introduced: [], resolved: [] });
        expect(d.noChanges).toBe(true);
        expect(d.objects).toEqual([]);
        expect(renderText([d])).toMatch(/^stack prod: no changes\n/);
        const md = renderMarkdown([d]);
        expect(md).toContain("**No changes** in `prod`");
        expect(md).toContain("| `prod` | 0 | 0 | 0 | 0 | 0 | 0 / 0 | no changes |");
        expect(md).not.toContain("[!CAUTION]");
        expect(JSON.parse(renderJson([d])).stacks[0].noChanges).toBe(true);
    });

    it("never prints a secret value, even from a tree that kept one", () => {
        const leaky = obj("Secret", "db", { stringData: { password: "hunter2-very-secret" }, data: { key: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n" } });
        const head = obj("Secret", "db", { stringData: { password: "other-secret", user: "admin" }, data: { key: "x" } });
        const d = run(tree(leaky), tree(head));
        const all = renderText([d]) + renderMarkdown([d]) + renderJson([d]);
        expect(all).not.toContain("hunter2");
        expect(all).not.toContain("other-secret");
        expect(all).not.toContain("PRIVATE KEY");
        expect(d.objects[0]!.changes.map((c) => c.path)).toEqual(["stringData.user"]);
    });

    it("matches list elements by name: inserting a container is one added element", () => {
        const before = { containers: [{ name: "a", image: "x:1" }, { name: "c", image: "z:1" }] };
        const after = { containers: [{ name: "a", image: "x:1" }, { name: "b", image: "y:1" }, { name: "c", image: "z:2" }] };
        expect(diffValues(before, after).map((c) => c.path)).toEqual(["containers[name=c].image", "containers[name=b]"]);
        expect(diffValues({ l: { "app.kubernetes.io/name": "a" } }, { l: { "app.kubernetes.io/name": "b" } })[0]!.path).toBe('l["app.kubernetes.io/name"]');
        expect(parseQuantity("1Gi")).toBe(2 ** 30);
        expect(parseQuantity("500m")).toBe(0.5);
        expect(parseQuantity("2e3")).toBe(2000);
        expect(parseQuantity("lots")).toBeUndefined();
    });

    it("keeps a Markdown comment below GitHub's size limit, warnings and table intact", () => {
        const many = Array.from({ length: 400 }, (_, i) => obj("ConfigMap", `cm-${i}`, { data: { v: "x".repeat(100) } }));
        const d = run(EMPTY_TREE, tree(...many));
        const md = renderMarkdown([d, { ...d, stack: "staging" }], { limit: 20_000 });
        expect(md.length).toBeLessThan(21_000);
        expect(md).toContain("| `staging` | 400 |");
        expect(md).toContain("shortened to fit a comment");
    });

    it("reads a synth output folder (manifests + resources.json)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-tree-"));
        fs.mkdirSync(path.join(dir, "manifests", "agentstack-agents"), { recursive: true });
        fs.writeFileSync(path.join(dir, "manifests", "agentstack-agents", "Deployment-agent-coder.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent-coder\n  namespace: agentstack-agents\nspec:\n  replicas: 2\n");
        fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify([entry(deployment(2))]));
        const t = readSynthTree(dir);
        expect(t.objects).toHaveLength(1);
        expect(t.resources).toHaveLength(1);
        expect(readSynthTree(path.join(dir, "nosuch"))).toEqual({ objects: [], resources: [] });
    });
});
