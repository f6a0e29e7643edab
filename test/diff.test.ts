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
    Deployment: "apps/v1",
    StatefulSet: "apps/v1",
    ReplicaSet: "apps/v1",
    Service: "v1",
    ConfigMap: "v1",
    Secret: "v1",
    PersistentVolumeClaim: "v1",
    Job: "batch/v1",
    StorageClass: "storage.k8s.io/v1",
    RoleBinding: "rbac.authorization.k8s.io/v1",
};

function obj(
    kind: string,
    name: string,
    rest: Record<string, unknown> = {},
    namespace = "agentstack-data",
): KubeObject {
    return { apiVersion: API[kind] ?? "v1", kind, metadata: { name, namespace }, ...rest };
}

function entry(o: KubeObject, options: Record<string, unknown> = {}, logicalName?: string): InventoryEntry {
    const kind = String(o["kind"]);
    const api = String(o["apiVersion"]);
    const type = `kubernetes:${api.includes("/") ? api : `core/${api}`}:${kind}`;
    const name = logicalName ?? String((o["metadata"] as { name: string }).name);
    return {
        type,
        name,
        custom: true,
        parent: "urn:pulumi:prod::agentstack::agentstack:platform:Platform::platform",
        urn: `urn:pulumi:prod::agentstack::agentstack:platform:Platform$${type}::${name}`,
        options: {
            protect: false,
            dependsOn: [],
            retainOnDelete: false,
            deleteBeforeReplace: false,
            ignoreChanges: [],
            replaceOnChanges: [],
            ...options,
        },
        inputs: o,
    };
}

function tree(...objects: (KubeObject | [KubeObject, Record<string, unknown>])[]): SynthTree {
    const pairs = objects.map((x) => (Array.isArray(x) ? x : ([x, {}] as [KubeObject, Record<string, unknown>])));
    return makeTree(
        pairs.map(([o]) => o),
        pairs.map(([o, opts]) => entry(o, opts)),
    );
}

/** The explicit provider as the harness records it (its inputs are strings on the wire). */
const PROVIDER_URN = "urn:pulumi:prod::agentstack::pulumi:providers:kubernetes::agentstack-k8s";
const providerEntry = (
    inputs: Record<string, unknown> = { enableConfigMapMutable: "true", enableSecretMutable: "true" },
): InventoryEntry => ({
    type: "pulumi:providers:kubernetes",
    name: "agentstack-k8s",
    urn: PROVIDER_URN,
    custom: true,
    parent: null,
    options: { protect: false, aliases: [] },
    inputs,
});

/** A tree whose objects are managed by the program's explicit provider (ConfigMaps and Secrets mutable). */
function mtree(...objects: (KubeObject | [KubeObject, Record<string, unknown>])[]): SynthTree {
    const pairs = objects.map((x) => (Array.isArray(x) ? x : ([x, {}] as [KubeObject, Record<string, unknown>])));
    return makeTree(
        pairs.map(([o]) => o),
        [providerEntry(), ...pairs.map(([o, opts]) => entry(o, { provider: PROVIDER_URN, ...opts }))],
    );
}

const deployment = (replicas: number, image = "ghcr.io/acme/agent:1.2.3") =>
    obj(
        "Deployment",
        "agent-coder",
        {
            spec: {
                replicas,
                selector: { matchLabels: { "app.kubernetes.io/name": "agent" } },
                template: {
                    metadata: { labels: { "app.kubernetes.io/name": "agent" } },
                    spec: { containers: [{ name: "agent", image }] },
                },
            },
        },
        "agentstack-agents",
    );

const statefulSet = (storage: string) =>
    obj("StatefulSet", "qdrant", {
        spec: {
            replicas: 3,
            serviceName: "qdrant-headless",
            selector: { matchLabels: { "app.kubernetes.io/name": "qdrant" } },
            template: {
                metadata: { labels: { "app.kubernetes.io/name": "qdrant" } },
                spec: { containers: [{ name: "qdrant", image: "qdrant/qdrant:v1.13.0" }] },
            },
            volumeClaimTemplates: [
                {
                    metadata: { name: "data" },
                    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
                },
            ],
        },
    });

const service = (name: string, spec: Record<string, unknown> = {}) =>
    obj(
        "Service",
        name,
        { spec: { selector: { "app.kubernetes.io/name": "gateway" }, ports: [{ name: "http", port: 8080 }], ...spec } },
        "agentstack-gateway",
    );

const side = (label: string) => ({ label });

function run(base: SynthTree, head: SynthTree, policy?: Awaited<ReturnType<typeof policyDiff>>): StackDiff {
    return diffStack({
        stack: "prod",
        base,
        head,
        baseInfo: side("main"),
        headInfo: side("working tree"),
        ...(policy ? { policy } : {}),
    });
}

describe("diff: updates and replacements", () => {
    it("a replica change is an in-place update with the field's old and new value", () => {
        const d = run(tree(deployment(2)), tree(deployment(3)));
        expect(d.noChanges).toBe(false);
        expect(d.objects).toHaveLength(1);
        const o = d.objects[0]!;
        expect(o).toMatchObject({
            id: "Deployment/agentstack-agents/agent-coder",
            action: "update",
            replaceReasons: [],
        });
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
        expect(o.replaceReasons.join()).toContain("spec.volumeClaimTemplates is a replace field of a StatefulSet");
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

    // Each case as pulumi-kubernetes' forceNew table (diff.go) decides it, under the default provider.
    it.each([
        [
            "Deployment selector",
            obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "1" } } } }),
            obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "2" } } } }),
            /spec.selector is a replace field of a Deployment/,
        ],
        [
            "StatefulSet serviceName",
            obj("StatefulSet", "s", { spec: { serviceName: "a" } }),
            obj("StatefulSet", "s", { spec: { serviceName: "b" } }),
            /spec.serviceName is a replace field/,
        ],
        [
            "StatefulSet podManagementPolicy",
            obj("StatefulSet", "s", { spec: { podManagementPolicy: "OrderedReady" } }),
            obj("StatefulSet", "s", { spec: { podManagementPolicy: "Parallel" } }),
            /podManagementPolicy is a replace field/,
        ],
        [
            "StatefulSet revisionHistoryLimit",
            obj("StatefulSet", "s", { spec: { revisionHistoryLimit: 10 } }),
            obj("StatefulSet", "s", { spec: { revisionHistoryLimit: 5 } }),
            /spec.revisionHistoryLimit is a replace field of a StatefulSet/,
        ],
        [
            "StatefulSet revisionHistoryLimit added",
            obj("StatefulSet", "s", { spec: {} }),
            obj("StatefulSet", "s", { spec: { revisionHistoryLimit: 5 } }),
            /spec.revisionHistoryLimit/,
        ],
        [
            "Job template",
            obj("Job", "j", { spec: { template: { spec: { containers: [{ name: "m", image: "a:1" }] } } } }),
            obj("Job", "j", { spec: { template: { spec: { containers: [{ name: "m", image: "a:2" }] } } } }),
            /spec.template is a replace field of a Job/,
        ],
        [
            "Job parallelism",
            obj("Job", "j", { spec: { parallelism: 1 } }),
            obj("Job", "j", { spec: { parallelism: 2 } }),
            /spec.parallelism/,
        ],
        [
            "Job completions",
            obj("Job", "j", { spec: { completions: 1 } }),
            obj("Job", "j", { spec: { completions: 3 } }),
            /spec.completions/,
        ],
        [
            "ResourceQuota scopes",
            obj("ResourceQuota", "q", { spec: { scopes: ["BestEffort"] } }),
            obj("ResourceQuota", "q", { spec: { scopes: ["NotBestEffort"] } }),
            /spec.scopes is a replace field of a ResourceQuota/,
        ],
        [
            "Pod container image",
            obj("Pod", "p", { spec: { containers: [{ name: "m", image: "a:1" }] } }),
            obj("Pod", "p", { spec: { containers: [{ name: "m", image: "a:2" }] } }),
            /spec.containers\[\*\].image/,
        ],
        [
            "Pod container added",
            obj("Pod", "p", { spec: { containers: [{ name: "m", image: "a:1" }] } }),
            obj("Pod", "p", {
                spec: {
                    containers: [
                        { name: "m", image: "a:1" },
                        { name: "n", image: "b:1" },
                    ],
                },
            }),
            /spec.containers\[\*\]/,
        ],
        [
            "PersistentVolume source",
            obj("PersistentVolume", "pv", { spec: { nfs: { server: "a", path: "/x" } } }),
            obj("PersistentVolume", "pv", { spec: { nfs: { server: "b", path: "/x" } } }),
            /spec.nfs/,
        ],
        [
            "Service made headless",
            service("s"),
            service("s", { clusterIP: "None" }),
            /spec.clusterIP is a replace field/,
        ],
        [
            "PVC storage class",
            obj("PersistentVolumeClaim", "p", { spec: { storageClassName: "a" } }),
            obj("PersistentVolumeClaim", "p", { spec: { storageClassName: "b" } }),
            /spec.storageClassName is a replace field of a PersistentVolumeClaim/,
        ],
        [
            "ConfigMap data (default provider)",
            obj("ConfigMap", "c", { data: { k: "1" } }),
            obj("ConfigMap", "c", { data: { k: "2" } }),
            /enableConfigMapMutable is off/,
        ],
        [
            "Secret keys (default provider)",
            obj("Secret", "s", { stringData: { a: "x" } }),
            obj("Secret", "s", { stringData: { a: "x", b: "y" } }),
            /enableSecretMutable is off/,
        ],
        [
            "StorageClass parameters",
            obj("StorageClass", "sc", { provisioner: "p", parameters: { a: "1" } }),
            obj("StorageClass", "sc", { provisioner: "p", parameters: { a: "2" } }),
            /parameters is a replace field/,
        ],
        [
            "RoleBinding roleRef",
            obj("RoleBinding", "rb", { roleRef: { kind: "Role", name: "a" } }),
            obj("RoleBinding", "rb", { roleRef: { kind: "Role", name: "b" } }),
            /roleRef is a replace field/,
        ],
    ])("%s is a REPLACE, deleted first", (_name, before, after, reason) => {
        const d = run(tree(before), tree(after));
        expect(d.objects).toHaveLength(1);
        expect(d.objects[0]).toMatchObject({ action: "replace", deleteFirst: true });
        expect(d.objects[0]!.replaceReasons.join("\n")).toMatch(reason);
    });

    it.each([
        [
            "immutable ConfigMap data",
            obj("ConfigMap", "c", { immutable: true, data: { k: "1" } }),
            obj("ConfigMap", "c", { immutable: true, data: { k: "2" } }),
            /immutable \(immutable: true\) ConfigMap/,
        ],
        [
            "immutable Secret keys",
            obj("Secret", "s", { immutable: true, stringData: { a: "x" } }),
            obj("Secret", "s", { immutable: true, stringData: { a: "x", b: "y" } }),
            /immutable \(immutable: true\) Secret/,
        ],
        [
            "Secret type",
            obj("Secret", "s", { type: "Opaque", data: { a: "x" } }),
            obj("Secret", "s", { type: "kubernetes.io/tls", data: { a: "x" } }),
            /type is a replace field of a Secret/,
        ],
    ])(
        "with the program's provider (ConfigMaps and Secrets mutable), %s is still a REPLACE",
        (_name, before, after, reason) => {
            const d = run(mtree(before), mtree(after));
            expect(d.objects[0]!.action).toBe("replace");
            expect(d.objects[0]!.replaceReasons.join("\n")).toMatch(reason);
        },
    );

    it.each([
        [
            "PVC storage growth",
            obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "10Gi" } } } }),
            obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "20Gi" } } } }),
        ],
        [
            "PVC storage shrink (the API server refuses it; the provider does not replace)",
            obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "20Gi" } } } }),
            obj("PersistentVolumeClaim", "p", { spec: { resources: { requests: { storage: "10Gi" } } } }),
        ],
        [
            "PVC volumeMode",
            obj("PersistentVolumeClaim", "p", { spec: { volumeMode: "Filesystem" } }),
            obj("PersistentVolumeClaim", "p", { spec: { volumeMode: "Block" } }),
        ],
        [
            "making a ConfigMap immutable",
            obj("ConfigMap", "c", { data: { k: "1" } }),
            obj("ConfigMap", "c", { immutable: true, data: { k: "1" } }),
        ],
        [
            "Service type ClusterIP to LoadBalancer",
            service("s", { type: "ClusterIP" }),
            service("s", { type: "LoadBalancer" }),
        ],
        [
            "Service type to ExternalName",
            service("s", { type: "ClusterIP" }),
            service("s", { type: "ExternalName", externalName: "db.example.com" }),
        ],
        ["Service clusterIPs", service("s"), service("s", { clusterIPs: ["10.0.0.10"] })],
        [
            "StorageClass reclaimPolicy",
            obj("StorageClass", "sc", { provisioner: "p", reclaimPolicy: "Delete" }),
            obj("StorageClass", "sc", { provisioner: "p", reclaimPolicy: "Retain" }),
        ],
        [
            "ReplicaSet selector",
            obj("ReplicaSet", "r", { spec: { selector: { matchLabels: { a: "1" } } } }),
            obj("ReplicaSet", "r", { spec: { selector: { matchLabels: { a: "2" } } } }),
        ],
        [
            "policy/v1 PodDisruptionBudget spec",
            { ...obj("PodDisruptionBudget", "pdb", { spec: { minAvailable: 1 } }), apiVersion: "policy/v1" },
            { ...obj("PodDisruptionBudget", "pdb", { spec: { minAvailable: 2 } }), apiVersion: "policy/v1" },
        ],
        [
            "StatefulSet template",
            statefulSet("10Gi"),
            { ...statefulSet("10Gi"), spec: { ...(statefulSet("10Gi")["spec"] as object), replicas: 5 } },
        ],
        [
            "Secret value moved from stringData to data (same key set)",
            obj("Secret", "s", { stringData: { a: "[secret]" } }),
            obj("Secret", "s", { data: { a: "[secret]" } }),
        ],
    ])("%s is an in-place update or nothing", (_name, before, after) => {
        const d = run(tree(before), tree(after));
        expect(d.objects.filter((o) => o.action !== "update")).toEqual([]);
    });

    it.each([
        ["ConfigMap data", obj("ConfigMap", "c", { data: { k: "1" } }), obj("ConfigMap", "c", { data: { k: "2" } })],
        [
            "ConfigMap binaryData",
            obj("ConfigMap", "c", { binaryData: { k: "AA==" } }),
            obj("ConfigMap", "c", { binaryData: { k: "AQ==" } }),
        ],
        [
            "Secret keys",
            obj("Secret", "s", { stringData: { a: "x" } }),
            obj("Secret", "s", { stringData: { a: "x", b: "y" } }),
        ],
    ])("with the program's provider, %s is an in-place update", (_name, before, after) => {
        const d = run(mtree(before), mtree(after));
        expect(d.objects.map((o) => o.action)).toEqual(["update"]);
        expect(d.warnings.filter((w) => w.severity !== "note")).toEqual([]);
    });

    it("ignoreChanges hides a change from the provider: no replace, and the ignored change is not listed", () => {
        const a = obj("StatefulSet", "s", { spec: { revisionHistoryLimit: 10, replicas: 1 } });
        const b = obj("StatefulSet", "s", { spec: { revisionHistoryLimit: 5, replicas: 2 } });
        const d = run(
            tree([a, { ignoreChanges: ["spec.revisionHistoryLimit"] }]),
            tree([b, { ignoreChanges: ["spec.revisionHistoryLimit"] }]),
        );
        expect(d.objects[0]).toMatchObject({ action: "update", ignored: 1 });
        expect(d.objects[0]!.changes.map((c) => c.path)).toEqual(["spec.replicas"]);
        expect(renderText([d])).toContain("(1 change not applied: ignoreChanges)");
        // Everything ignored: no change at all.
        const all = run(tree([a, { ignoreChanges: ["spec"] }]), tree([b, { ignoreChanges: ["spec"] }]));
        expect(all.objects).toEqual([]);
    });

    it("a PVC replace and a PVC removal lose data; replacing a protected object says pulumi up will refuse", () => {
        const pvc = (sc: string) => obj("PersistentVolumeClaim", "mongo", { spec: { storageClassName: sc } });
        const r = run(tree(pvc("a")), tree(pvc("b")));
        expect(r.objects[0]!.dataLoss).toMatch(/PersistentVolumeClaim/);
        const removed = run(tree(pvc("a")), EMPTY_TREE);
        expect(removed.objects[0]).toMatchObject({ action: "remove" });
        expect(removed.warnings[0]).toMatchObject({ severity: "data-loss" });
        // A protected Deployment (no volume of its own) still carries the warning: protect declares data.
        const p = run(
            tree([obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "1" } } } }), { protect: true }]),
            tree([obj("Deployment", "d", { spec: { selector: { matchLabels: { a: "2" } } } }), { protect: true }]),
        );
        expect(p.objects[0]).toMatchObject({ action: "replace", protected: true });
        expect(p.objects[0]!.dataLoss).toMatch(/protect/);
        expect(p.warnings[0]).toMatchObject({ severity: "refuse", subject: "Deployment agentstack-data/d" });
        expect(p.warnings[0]!.message).toContain("`pulumi up` will refuse");
    });

    it("a Pulumi URN change of the same object is a REPLACE without an alias, and nothing with one", () => {
        const o = deployment(2);
        const d = run(makeTree([o], [entry(o, {}, "agent-coder")]), makeTree([o], [entry(o, {}, "agent-coder-v2")]));
        expect(d.objects[0]!.action).toBe("replace");
        expect(d.objects[0]!.replaceReasons[0]).toMatch(/URN changed .*alias/);
        const old = entry(o, {}, "agent-coder");
        const renamed = run(makeTree([o], [old]), makeTree([o], [entry(o, { aliases: [old.urn] }, "agent-coder-v2")]));
        expect(renamed.objects).toEqual([
            expect.objectContaining({ action: "update", changes: [], replaceReasons: [], renamedFrom: old.urn }),
        ]);
        expect(renamed.warnings).toEqual([]);
        expect(renderText([renamed])).toContain(
            "renamed in Pulumi with an alias (was kubernetes:apps/v1:Deployment::agent-coder): the same object, not replaced",
        );
    });

    it("any replace or delete of a protected resource is the first warning, even when nothing else flags it", () => {
        // A protected ConfigMap replaced by the default provider: no volume, no data-loss rule of its own.
        const cm = (v: string) => obj("ConfigMap", "mongodb-scripts", { data: { init: v } });
        const d = run(tree([cm("a"), { protect: true }]), tree([cm("b"), { protect: true }]));
        expect(d.warnings[0]).toMatchObject({
            severity: "refuse",
            subject: "ConfigMap agentstack-data/mongodb-scripts",
        });
        expect(renderMarkdown([d]).indexOf("`pulumi up` will refuse")).toBeLessThan(
            renderMarkdown([d]).indexOf("| stack |"),
        );
        const gone = run(tree([cm("a"), { protect: true }]), EMPTY_TREE);
        expect(gone.warnings[0]).toMatchObject({ severity: "refuse" });
        expect(gone.warnings[0]!.message).toContain("would be DELETED");
        // Under the program's provider the same change is an update: no warning.
        expect(run(mtree([cm("a"), { protect: true }]), mtree([cm("b"), { protect: true }])).warnings).toEqual([]);
    });

    it("a removal with retainOnDelete leaves the object in the cluster: no data loss", () => {
        const pvc = obj("PersistentVolumeClaim", "data", { spec: { storageClassName: "a" } });
        const d = run(tree([pvc, { retainOnDelete: true }]), EMPTY_TREE);
        expect(d.objects[0]).toMatchObject({ action: "remove", retained: true });
        expect(d.objects[0]!.dataLoss).toBeUndefined();
        expect(d.warnings).toEqual([]);
    });

    it("moving objects to a new provider replaces nothing unless the provider's DiffConfig says so", () => {
        const cm = obj("ConfigMap", "c", { data: { k: "1" } });
        const moved = run(tree(cm), mtree(cm));
        expect(moved.objects).toEqual([]);
        expect(moved.resources).toEqual([
            expect.objectContaining({ action: "add", type: "pulumi:providers:kubernetes" }),
        ]);
        const other = (inputs: Record<string, unknown>) =>
            makeTree([cm], [providerEntry(inputs), entry(cm, { provider: PROVIDER_URN })]);
        const b = other({ kubeconfig: "a", clusterIdentifier: "one" });
        expect(run(b, other({ kubeconfig: "b", clusterIdentifier: "one" })).objects).toEqual([]);
        const base = makeTree(
            [cm],
            [
                { ...providerEntry({ kubeconfig: "a" }), urn: `${PROVIDER_URN}-old` },
                entry(cm, { provider: `${PROVIDER_URN}-old` }),
            ],
        );
        const d = run(base, other({ kubeconfig: "b" }));
        expect(d.objects[0]).toMatchObject({ action: "replace" });
        expect(d.objects[0]!.replaceReasons[0]).toMatch(/provider changed: .*kubeconfig/);
    });

    it("replaceOnChanges on the resource makes a matching change a REPLACE", () => {
        const d = run(
            tree([deployment(2), { replaceOnChanges: ["spec.replicas"] }]),
            tree([deployment(3), { replaceOnChanges: ["spec.replicas"] }]),
        );
        expect(d.objects[0]!.action).toBe("replace");
        expect(d.objects[0]!.replaceReasons[0]).toContain("replaceOnChanges");
    });
});

describe("diff: resources.json", () => {
    it("reports a change of protect, and warns when protection is removed", () => {
        const on = run(tree(statefulSet("10Gi")), tree([statefulSet("10Gi"), { protect: true }]));
        expect(on.objects).toEqual([]);
        expect(on.options).toEqual([
            expect.objectContaining({
                option: "protect",
                before: false,
                after: true,
                object: "StatefulSet/agentstack-data/qdrant",
            }),
        ]);
        expect(on.noChanges).toBe(false);
        expect(renderText([on])).toContain("protect false → true");
        const off = run(tree([statefulSet("10Gi"), { protect: true }]), tree(statefulSet("10Gi")));
        expect(off.warnings).toEqual([
            expect.objectContaining({ severity: "protect", subject: "StatefulSet/agentstack-data/qdrant" }),
        ]);
    });

    it("a change of a random password's inputs regenerates it", () => {
        const pw = (length: number): InventoryEntry => ({
            type: "random:index/randomPassword:RandomPassword",
            name: "keycloak-admin",
            custom: true,
            parent: null,
            urn: "urn:pulumi:prod::agentstack::random:index/randomPassword:RandomPassword::keycloak-admin",
            options: { protect: false },
            inputs: { length, special: false },
        });
        const d = run(makeTree([], [pw(24)]), makeTree([], [pw(32)]));
        expect(d.resources).toEqual([
            expect.objectContaining({ action: "replace", regenerated: expect.stringContaining("new value") }),
        ]);
        expect(d.resources[0]!.changes.map((c) => c.path)).toEqual(["length"]);
        expect(d.warnings.map((w) => w.severity)).toEqual(["regenerate"]);
    });
});

describe("diff: policy verdicts", () => {
    const violation = (name: string, policy = "pod-run-as-non-root"): PolicyViolation => ({
        policy,
        level: 1,
        enforcement: "mandatory",
        resource: { kind: "Deployment", namespace: "agentstack-agents", name },
        message: `Deployment agentstack-agents/${name}: a container may run as root; set agentstack:... to fix`,
    });
    /** A fake pack: a Deployment whose first container lacks runAsNonRoot violates one policy. */
    const fake: Evaluator = async (objects, { level }) =>
        objects
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
        expect(policy.introduced[0]).toMatchObject({
            policy: "pod-run-as-non-root",
            enforcement: "mandatory",
            level: 3,
        });
        expect(policy.resolved).toEqual([]);
        const d = run(base, head, policy);
        expect(d.summary).toMatchObject({ policyIntroduced: 1, policyIntroducedMandatory: 1 });
        expect(renderText([d])).toContain(
            "+ [mandatory] pod-run-as-non-root: Deployment agentstack-agents/agent-coder",
        );
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
        const broken: Evaluator = async () => {
            throw new Error("boom");
        };
        const p = await policyDiff(broken, tree(deployment(2)), tree(deployment(2)), { level: 1, source: "x" });
        expect(p).toMatchObject({ evaluated: false });
        expect(p.note).toContain("boom");
        const d = run(tree(deployment(2)), tree(deployment(2)), p);
        expect(d.warnings).toEqual([expect.objectContaining({ severity: "note" })]);
        expect((await policyDiff(undefined, EMPTY_TREE, EMPTY_TREE, { level: 1, source: "x" })).evaluated).toBe(false);
    });

    it("reads the required level from the policy config, else from the stack file", () => {
        expect(levelInPolicyConfig({ "agentstack-policies": { requiredLevel: 3 } })).toBe(3);
        expect(
            levelInPolicyConfig({
                all: "mandatory",
                "pod-non-root": { enforcementLevel: "mandatory", requiredLevel: "2" },
            }),
        ).toBe(2);
        expect(levelInPolicyConfig({ a: { requiredLevel: 2 }, b: { requiredLevel: 3 } })).toBe(3);
        expect(levelInPolicyConfig({ all: "mandatory" })).toBeUndefined();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-level-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agentstack\nruntime: nodejs\n");
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
        const d = run(t, tree(deployment(2), statefulSet("10Gi"), service("gateway")), {
            evaluated: true,
            level: 3,
            introduced: [],
            resolved: [],
        });
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
        const leaky = obj("Secret", "db", {
            stringData: { password: "hunter2-very-secret" },
            data: { key: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n" },
        });
        const head = obj("Secret", "db", {
            stringData: { password: "other-secret", user: "admin" },
            data: { key: "x" },
        });
        const d = run(tree(leaky), tree(head));
        const all = renderText([d]) + renderMarkdown([d]) + renderJson([d]);
        expect(all).not.toContain("hunter2");
        expect(all).not.toContain("other-secret");
        expect(all).not.toContain("PRIVATE KEY");
        expect(d.objects[0]!.changes.map((c) => c.path)).toEqual(["data.user"]);
    });

    it("a Secret whose value alone changed shows 'value changed', with no value and no digest in the output", () => {
        const s = obj("Secret", "mongodb-credentials", { stringData: { password: "[secret]" } });
        const digest = (d: string): InventoryEntry => ({
            ...entry(s, { provider: PROVIDER_URN }),
            secretDigests: { password: d },
        });
        const b = "a1".repeat(32);
        const h = "b2".repeat(32);
        const d = run(makeTree([s], [providerEntry(), digest(b)]), makeTree([s], [providerEntry(), digest(h)]));
        expect(d.objects).toEqual([
            expect.objectContaining({
                action: "update",
                changes: [expect.objectContaining({ path: "data.password", secret: "value changed" })],
            }),
        ]);
        const all = renderText([d]) + renderMarkdown([d]) + renderJson([d]);
        expect(all).toContain("data.password: value changed");
        expect(all).not.toContain(b);
        expect(all).not.toContain(h);
        expect(JSON.parse(renderJson([d])).stacks[0].objects[0].changes).toEqual([
            { path: "data.password", secret: "value changed" },
        ]);
        // Same digests: nothing; the default provider would replace it.
        expect(
            run(makeTree([s], [providerEntry(), digest(b)]), makeTree([s], [providerEntry(), digest(b)])).objects,
        ).toEqual([]);
        const dflt = (x: string): InventoryEntry => ({ ...entry(s), secretDigests: { password: x } });
        expect(run(makeTree([s], [dflt(b)]), makeTree([s], [dflt(h)])).objects[0]!.action).toBe("replace");
        // A side without digests (an older synth): the values are not compared, and the report says so.
        const old = run(makeTree([s], [entry(s)]), makeTree([s], [dflt(h)]));
        expect(old.objects).toEqual([]);
        expect(old.warnings).toEqual([expect.objectContaining({ severity: "note", subject: "Secrets" })]);
    });

    it("matches list elements by name: inserting a container is one added element", () => {
        const before = {
            containers: [
                { name: "a", image: "x:1" },
                { name: "c", image: "z:1" },
            ],
        };
        const after = {
            containers: [
                { name: "a", image: "x:1" },
                { name: "b", image: "y:1" },
                { name: "c", image: "z:2" },
            ],
        };
        expect(diffValues(before, after).map((c) => c.path)).toEqual([
            "containers[name=c].image",
            "containers[name=b]",
        ]);
        expect(
            diffValues({ l: { "app.kubernetes.io/name": "a" } }, { l: { "app.kubernetes.io/name": "b" } })[0]!.path,
        ).toBe('l["app.kubernetes.io/name"]');
        expect(parseQuantity("1Gi")).toBe(2 ** 30);
        expect(parseQuantity("500m")).toBe(0.5);
        expect(parseQuantity("2e3")).toBe(2000);
        expect(parseQuantity("lots")).toBeUndefined();
    });

    it("keeps a Markdown comment below GitHub's size limit, warnings and table intact", () => {
        const many = Array.from({ length: 400 }, (_, i) =>
            obj("ConfigMap", `cm-${i}`, { data: { v: "x".repeat(100) } }),
        );
        const d = run(EMPTY_TREE, tree(...many));
        const md = renderMarkdown([d, { ...d, stack: "staging" }], { limit: 20_000 });
        expect(md.length).toBeLessThan(21_000);
        expect(md).toContain("| `staging` | 400 |");
        expect(md).toContain("shortened to fit a comment");
    });

    it("reads a synth output folder (manifests + resources.json)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-tree-"));
        fs.mkdirSync(path.join(dir, "manifests", "agentstack-agents"), { recursive: true });
        fs.writeFileSync(
            path.join(dir, "manifests", "agentstack-agents", "Deployment-agent-coder.yaml"),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: agent-coder\n  namespace: agentstack-agents\nspec:\n  replicas: 2\n",
        );
        fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify([entry(deployment(2))]));
        const t = readSynthTree(dir);
        expect(t.objects).toHaveLength(1);
        expect(t.resources).toHaveLength(1);
        expect(readSynthTree(path.join(dir, "nosuch"))).toEqual({ objects: [], resources: [] });
    });
});
