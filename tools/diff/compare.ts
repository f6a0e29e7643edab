/**
 * The diff itself: two synth trees in, per-object and per-resource changes out. Pure: no git, no
 * files, no Pulumi runtime (the policy verdicts are diffed in policy.ts and joined in by `diffStack`).
 */
import { deepEqual, diffValues } from "./fields";
import { holdsData, isGenerated, replaceReasons } from "./rules";
import { entriesByObject, isKubernetesEntry, objectId, objectRef } from "./tree";
import {
    DiffWarning, FieldChange, InventoryEntry, KubeObject, ObjectDiff, OptionChange, PolicyDiff, ResourceDiff, SideInfo,
    StackDiff, StackDiffSummary, SynthTree,
} from "./types";

/** Resource options whose change is reported (dependsOn and additionalSecretOutputs are noise here). */
export const REPORTED_OPTIONS = ["protect", "retainOnDelete", "deleteBeforeReplace", "ignoreChanges", "replaceOnChanges"] as const;

const ORDER: Record<ObjectDiff["action"], number> = { replace: 0, remove: 1, add: 2, update: 3 };

function byId(objects: readonly KubeObject[]): Map<string, KubeObject> {
    return new Map(objects.map((o) => [objectId(o), o]));
}

const isProtected = (...entries: (InventoryEntry | undefined)[]) => entries.some((e) => e?.options["protect"] === true);

/** Per-object changes between two trees. */
export function diffObjects(base: SynthTree, head: SynthTree): ObjectDiff[] {
    const b = byId(base.objects);
    const h = byId(head.objects);
    const be = entriesByObject(base.resources);
    const he = entriesByObject(head.resources);
    const ids = [...new Set([...b.keys(), ...h.keys()])].sort();
    const out: ObjectDiff[] = [];
    for (const id of ids) {
        const before = b.get(id);
        const after = h.get(id);
        const ref = objectRef((after ?? before)!);
        const eb = be.get(id);
        const eh = he.get(id);
        const prot = isProtected(eb, eh);
        const common = { id, kind: ref.kind, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name, protected: prot };
        if (!before) {
            out.push({ ...common, action: "add", changes: [], replaceReasons: [] });
            continue;
        }
        if (!after) {
            const data = holdsData([before], [eb]);
            out.push({ ...common, action: "remove", changes: [], replaceReasons: [], ...(data ? { dataLoss: `removing ${data} deletes its data` } : {}) });
            continue;
        }
        const changes = diffValues(before, after);
        const reasons = replaceReasons(before, after, changes, eh ?? eb);
        if (eb && eh && eb.urn !== eh.urn) {
            reasons.push(`its Pulumi URN changed (${shortUrn(eb.urn)} → ${shortUrn(eh.urn)}): without an alias Pulumi creates the new resource and deletes the old one, i.e. this same object`);
        }
        if (changes.length === 0 && reasons.length === 0) continue;
        if (reasons.length > 0) {
            const data = holdsData([before, after], [eb, eh]);
            out.push({ ...common, action: "replace", changes, replaceReasons: reasons, ...(data ? { dataLoss: `replacing ${data} deletes and re-creates it` } : {}) });
        } else {
            out.push({ ...common, action: "update", changes, replaceReasons: [] });
        }
    }
    return out.sort((x, y) => ORDER[x.action] - ORDER[y.action] || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** `urn:pulumi:stack::project::a$b$type::name` → `type::name`. */
export function shortUrn(urn: string): string {
    const parts = urn.split("::");
    const types = (parts[2] ?? "").split("$");
    return `${types[types.length - 1] ?? ""}::${parts.slice(3).join("::")}`;
}

const isOtherCustom = (r: InventoryEntry) => r.custom && !isKubernetesEntry(r);

/** Changes of Pulumi resources that are not Kubernetes objects (random, tls, providers), by URN. */
export function diffResources(base: SynthTree, head: SynthTree): ResourceDiff[] {
    const b = new Map(base.resources.filter(isOtherCustom).map((r) => [r.urn, r]));
    const h = new Map(head.resources.filter(isOtherCustom).map((r) => [r.urn, r]));
    const out: ResourceDiff[] = [];
    for (const urn of [...new Set([...b.keys(), ...h.keys()])].sort()) {
        const before = b.get(urn);
        const after = h.get(urn);
        const r = (after ?? before)!;
        const common = { urn, type: r.type, name: r.name, protected: isProtected(before, after) };
        const generated = isGenerated(r.type);
        if (!before || !after) {
            const action = before ? "remove" : "add";
            out.push({
                ...common, action, changes: [], replaceReasons: [],
                ...(generated && action === "remove" ? { regenerated: "its generated value is discarded; a resource of another name generates a new one" } : {}),
            });
            continue;
        }
        const changes = diffValues(before.inputs, after.inputs);
        if (changes.length === 0) continue;
        if (generated) {
            out.push({ ...common, action: "replace", changes, replaceReasons: ["any input change of a random/tls resource makes the provider generate a new value"], regenerated: "a new value is generated; everything that uses it changes" });
        } else {
            out.push({ ...common, action: "update", changes, replaceReasons: [] });
        }
    }
    return out.sort((x, y) => ORDER[x.action] - ORDER[y.action] || (x.urn < y.urn ? -1 : 1));
}

/**
 * Changes of resource options. Kubernetes objects are paired by object id (so a URN change still
 * compares the same object's options), every other resource by URN.
 */
export function diffOptions(base: SynthTree, head: SynthTree): OptionChange[] {
    const pairs: [InventoryEntry, InventoryEntry, string | undefined][] = [];
    const bk = entriesByObject(base.resources);
    for (const [id, eh] of entriesByObject(head.resources)) {
        const eb = bk.get(id);
        if (eb) pairs.push([eb, eh, id]);
    }
    const bo = new Map(base.resources.filter((r) => !isKubernetesEntry(r)).map((r) => [r.urn, r]));
    for (const eh of head.resources.filter((r) => !isKubernetesEntry(r))) {
        const eb = bo.get(eh.urn);
        if (eb) pairs.push([eb, eh, undefined]);
    }
    const out: OptionChange[] = [];
    for (const [eb, eh, object] of pairs) {
        for (const option of REPORTED_OPTIONS) {
            const before = optionValue(eb, option);
            const after = optionValue(eh, option);
            if (!deepEqual(before, after)) out.push({ urn: eh.urn, type: eh.type, name: eh.name, ...(object ? { object } : {}), option, before, after });
        }
    }
    return out.sort((x, y) => (x.urn < y.urn ? -1 : x.urn > y.urn ? 1 : x.option < y.option ? -1 : 1));
}

/** An option's value, an unset option as its default (false, or an empty list). */
function optionValue(e: InventoryEntry, option: (typeof REPORTED_OPTIONS)[number]): unknown {
    const v = e.options[option];
    if (v !== undefined && v !== null) return v;
    return option === "ignoreChanges" || option === "replaceOnChanges" ? [] : false;
}

/** The top-of-report warnings: data loss first, then replacements, protection removed, regenerated values. */
export function warningsOf(objects: readonly ObjectDiff[], resources: readonly ResourceDiff[], options: readonly OptionChange[], policy?: PolicyDiff): DiffWarning[] {
    const out: DiffWarning[] = [];
    const subject = (o: ObjectDiff) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
    for (const o of objects) {
        if (!o.dataLoss) continue;
        const verb = o.action === "replace" ? `is REPLACED (${o.replaceReasons.join("; ")})` : "is REMOVED";
        out.push({ severity: "data-loss", subject: subject(o), message: `${verb}: ${o.dataLoss}${o.protected ? "; it is protected, so `pulumi up` will refuse until protect is lifted" : ""}` });
    }
    for (const o of objects) {
        if (o.action === "replace" && !o.dataLoss) out.push({ severity: "replace", subject: subject(o), message: `is REPLACED (deleted and created again): ${o.replaceReasons.join("; ")}` });
    }
    for (const c of options) {
        if (c.option === "protect" && c.before === true && c.after !== true) {
            out.push({ severity: "protect", subject: c.object ?? `${c.type} ${c.name}`, message: "loses `protect`: Pulumi will no longer refuse to delete or replace it" });
        }
    }
    for (const r of resources) {
        if (r.regenerated) out.push({ severity: "regenerate", subject: `${r.type} ${r.name}`, message: `${r.action === "remove" ? "is removed" : "is replaced"}: ${r.regenerated}` });
    }
    if (policy && !policy.evaluated && policy.note) out.push({ severity: "note", subject: "policy", message: policy.note });
    return out;
}

/** Counts for the summary line and table. */
export function summarize(objects: readonly ObjectDiff[], resources: readonly ResourceDiff[], options: readonly OptionChange[], policy: PolicyDiff): StackDiffSummary {
    const count = (a: ObjectDiff["action"]) => objects.filter((o) => o.action === a).length;
    return {
        added: count("add"),
        removed: count("remove"),
        updated: count("update"),
        replaced: count("replace"),
        dataLoss: objects.filter((o) => o.dataLoss).length,
        resources: resources.length,
        options: options.length,
        policyIntroduced: policy.introduced.length,
        policyIntroducedMandatory: policy.introduced.filter((v) => v.enforcement === "mandatory").length,
        policyResolved: policy.resolved.length,
    };
}

export const NOT_EVALUATED: PolicyDiff = { evaluated: false, introduced: [], resolved: [] };

/** Joins everything for one stack. Pure: the policy verdicts are diffed beforehand (policy.ts). */
export function diffStack(args: { stack: string; base: SynthTree; head: SynthTree; baseInfo: SideInfo; headInfo: SideInfo; policy?: PolicyDiff }): StackDiff {
    const objects = diffObjects(args.base, args.head);
    const resources = diffResources(args.base, args.head);
    const options = diffOptions(args.base, args.head);
    const policy = args.policy ?? NOT_EVALUATED;
    const summary = summarize(objects, resources, options, policy);
    return {
        stack: args.stack,
        base: args.baseInfo,
        head: args.headInfo,
        objects,
        resources,
        options,
        policy,
        warnings: warningsOf(objects, resources, options, policy),
        summary,
        noChanges: objects.length === 0 && resources.length === 0 && options.length === 0 && policy.introduced.length === 0 && policy.resolved.length === 0,
    };
}

/** A change list without the internal segments (for JSON). */
export function publicChanges(changes: readonly FieldChange[]): { path: string; before?: unknown; after?: unknown }[] {
    return changes.map((c) => ({ path: c.path, ...("before" in c ? { before: c.before } : {}), ...("after" in c ? { after: c.after } : {}) }));
}
