/**
 * The diff itself: two synth trees in, per-object and per-resource changes out. Pure: no git, no
 * files, no Pulumi runtime (the policy verdicts are diffed in policy.ts and joined in by `diffStack`).
 */
import { deepEqual, diffValues } from "./fields";
import {
    decideUpdate,
    holdsData,
    isGenerated,
    providerConfigReplaces,
    providerOptionsOf,
    replaceUnready,
} from "./rules";
import { entriesByObject, isKubernetesEntry, objectId, objectRef, SECRET_TEXT } from "./tree";
import {
    DiffWarning,
    FieldChange,
    InventoryEntry,
    KubeObject,
    ObjectDiff,
    OptionChange,
    PolicyDiff,
    ResourceDiff,
    SideInfo,
    StackDiff,
    StackDiffSummary,
    SynthTree,
} from "./types";

/** Resource options whose change is reported (dependsOn and additionalSecretOutputs are noise here). */
const REPORTED_OPTIONS = [
    "protect",
    "retainOnDelete",
    "deleteBeforeReplace",
    "ignoreChanges",
    "replaceOnChanges",
] as const;

const ORDER: Record<ObjectDiff["action"], number> = { replace: 0, remove: 1, add: 2, update: 3 };

function byId(objects: readonly KubeObject[]): Map<string, KubeObject> {
    return new Map(objects.map((o) => [objectId(o), o]));
}

const isProtected = (...entries: (InventoryEntry | undefined)[]) => entries.some((e) => e?.options["protect"] === true);

/**
 * A Secret as the provider compares it: `stringData` folded into `data` (clients.normalizeSecret of
 * pulumi-kubernetes), so that moving a value between the two is no change.
 */
function normalizeSecret(o: KubeObject): KubeObject {
    if (o["kind"] !== "Secret" || !o["stringData"] || typeof o["stringData"] !== "object") return o;
    const { stringData, ...rest } = o;
    const data = {
        ...((o["data"] as Record<string, unknown> | undefined) ?? {}),
        ...(stringData as Record<string, unknown>),
    };
    return { ...rest, data };
}

/** The Secret values whose keyed digests differ, as `data.<key>` changes that say only "value changed". */
function secretValueChanges(
    before: KubeObject,
    after: KubeObject,
    eb?: InventoryEntry,
    eh?: InventoryEntry,
): FieldChange[] {
    const b = eb?.secretDigests;
    const a = eh?.secretDigests;
    if (!b || !a) return [];
    const bd = (before["data"] ?? {}) as Record<string, unknown>;
    const ad = (after["data"] ?? {}) as Record<string, unknown>;
    const out: FieldChange[] = [];
    for (const k of Object.keys(ad)
        .filter((x) => x in bd)
        .sort()) {
        const x = b[k] ?? b["*"];
        const y = a[k] ?? a["*"];
        if (x === undefined || y === undefined || (x === y && x !== "unknown")) continue;
        out.push({
            path: `data${/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`}`,
            segments: ["data", k],
            before: SECRET_TEXT,
            after: SECRET_TEXT,
            secret: "value changed",
        });
    }
    return out;
}

/** True when both sides have a Secret but one side was rendered without value digests (an older synth). */
function secretsNotCompared(base: SynthTree, head: SynthTree): boolean {
    const secrets = (t: SynthTree) => t.resources.filter((r) => isKubernetesEntry(r) && r.inputs["kind"] === "Secret");
    const b = secrets(base);
    const h = secrets(head);
    if (b.length === 0 || h.length === 0) return false;
    return (
        b.every((r) => !r.secretDigests) !== h.every((r) => !r.secretDigests) ||
        b.concat(h).every((r) => !r.secretDigests)
    );
}

/** The inputs of the provider resource a Kubernetes resource names (undefined: the default provider). */
function providerInputs(
    e: InventoryEntry | undefined,
    resources: readonly InventoryEntry[],
): Record<string, unknown> | undefined {
    const urn = e?.options["provider"];
    return typeof urn === "string" ? resources.find((r) => r.urn === urn)?.inputs : undefined;
}

/** Why a change of a resource's provider replaces it (empty: it does not). */
function providerChangeReasons(
    eb: InventoryEntry | undefined,
    eh: InventoryEntry | undefined,
    base: SynthTree,
    head: SynthTree,
): string[] {
    const pb = eb?.options["provider"];
    const ph = eh?.options["provider"];
    if (!eb || !eh || pb === ph) return [];
    const headProvider = typeof ph === "string" ? head.resources.find((r) => r.urn === ph) : undefined;
    const aliases = headProvider?.options["aliases"];
    if (typeof pb === "string" && Array.isArray(aliases) && aliases.includes(pb)) return [];
    return providerConfigReplaces(providerInputs(eb, base.resources), providerInputs(eh, head.resources)).map(
        (r) => `its provider changed: ${r}`,
    );
}

/** True when the head resource answers to the base resource's URN through an alias. */
function aliased(eb: InventoryEntry, eh: InventoryEntry): boolean {
    const a = eh.options["aliases"];
    return Array.isArray(a) && a.includes(eb.urn);
}

/** Per-object changes between two trees, decided as the pinned provider decides them (rules.ts). */
export function diffObjects(base: SynthTree, head: SynthTree): ObjectDiff[] {
    const b = byId(base.objects);
    const h = byId(head.objects);
    const be = entriesByObject(base.resources);
    const he = entriesByObject(head.resources);
    const ids = [...new Set([...b.keys(), ...h.keys()])].sort();
    const out: ObjectDiff[] = [];
    for (const id of ids) {
        const rawBefore = b.get(id);
        const rawAfter = h.get(id);
        const ref = objectRef((rawAfter ?? rawBefore)!);
        const eb = be.get(id);
        const eh = he.get(id);
        const prot = isProtected(eb, eh);
        const common = {
            id,
            kind: ref.kind,
            ...(ref.namespace ? { namespace: ref.namespace } : {}),
            name: ref.name,
            protected: prot,
        };
        if (!rawBefore) {
            out.push({ ...common, action: "add", changes: [], replaceReasons: [] });
            continue;
        }
        if (!rawAfter) {
            if (eb?.options["retainOnDelete"] === true) {
                out.push({ ...common, action: "remove", changes: [], replaceReasons: [], retained: true });
                continue;
            }
            const data = holdsData([rawBefore], [eb]);
            out.push({
                ...common,
                action: "remove",
                changes: [],
                replaceReasons: [],
                ...(data ? { dataLoss: `removing ${data} deletes its data` } : {}),
            });
            continue;
        }
        const before = normalizeSecret(rawBefore);
        const after = normalizeSecret(rawAfter);
        const all = [...diffValues(before, after), ...secretValueChanges(before, after, eb, eh)];
        const decision = decideUpdate({
            before,
            after,
            changes: all,
            ...((eh ?? eb) ? { entry: (eh ?? eb)! } : {}),
            providerOptions: providerOptionsOf(eh ?? eb, eh ? head.resources : base.resources),
        });
        const reasons = [...decision.reasons, ...providerChangeReasons(eb, eh, base, head)];
        let renamedFrom: string | undefined;
        if (eb && eh && eb.urn !== eh.urn) {
            if (aliased(eb, eh)) renamedFrom = eb.urn;
            else
                reasons.push(
                    `its Pulumi URN changed (${shortUrn(eb.urn)} → ${shortUrn(eh.urn)}): without an alias Pulumi creates the new resource and deletes the old one, i.e. this same object`,
                );
        }
        const changes = decision.changes;
        const extra = {
            ...(decision.ignored ? { ignored: decision.ignored } : {}),
            ...(renamedFrom ? { renamedFrom } : {}),
        };
        if (changes.length === 0 && reasons.length === 0) {
            if (renamedFrom) out.push({ ...common, action: "update", changes: [], replaceReasons: [], ...extra });
            continue;
        }
        if (reasons.length > 0) {
            const data = holdsData([before, after], [eb, eh]);
            out.push({
                ...common,
                action: "replace",
                changes,
                replaceReasons: reasons,
                ...extra,
                // The provider deletes a named object before re-creating it (a URN change alone creates first).
                ...(decision.deleteFirst ? { deleteFirst: true } : {}),
                ...(data ? { dataLoss: `replacing ${data} deletes and re-creates it` } : {}),
            });
        } else {
            out.push({ ...common, action: "update", changes, replaceReasons: [], ...extra });
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
function diffResources(base: SynthTree, head: SynthTree): ResourceDiff[] {
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
                ...common,
                action,
                changes: [],
                replaceReasons: [],
                ...(generated && action === "remove"
                    ? {
                          regenerated:
                              "its generated value is discarded; a resource of another name generates a new one",
                      }
                    : {}),
            });
            continue;
        }
        const changes = diffValues(before.inputs, after.inputs);
        if (changes.length === 0) continue;
        if (generated) {
            out.push({
                ...common,
                action: "replace",
                changes,
                replaceReasons: ["any input change of a random/tls resource makes the provider generate a new value"],
                regenerated: "a new value is generated; everything that uses it changes",
            });
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
function diffOptions(base: SynthTree, head: SynthTree): OptionChange[] {
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
            if (!deepEqual(before, after))
                out.push({
                    urn: eh.urn,
                    type: eh.type,
                    name: eh.name,
                    ...(object ? { object } : {}),
                    option,
                    before,
                    after,
                });
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
function warningsOf(
    objects: readonly ObjectDiff[],
    resources: readonly ResourceDiff[],
    options: readonly OptionChange[],
    policy?: PolicyDiff,
): DiffWarning[] {
    const out: DiffWarning[] = [];
    const subject = (o: ObjectDiff) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}`;
    // Any replace or delete of a protected resource, whatever else the review knows about it.
    for (const o of objects) {
        if (!o.protected || (o.action !== "replace" && o.action !== "remove") || o.retained) continue;
        const what = o.action === "replace" ? `would be REPLACED (${o.replaceReasons.join("; ")})` : "would be DELETED";
        out.push({
            severity: "refuse",
            subject: subject(o),
            message: `is protected and ${what}: \`pulumi up\` will refuse (the whole update fails) until the change is undone or protect is lifted in a separate change`,
        });
    }
    for (const r of resources) {
        if (!r.protected || (r.action !== "replace" && r.action !== "remove")) continue;
        out.push({
            severity: "refuse",
            subject: `${r.type} ${r.name}`,
            message: `is protected and would be ${r.action === "replace" ? "REPLACED" : "DELETED"}: \`pulumi up\` will refuse until the change is undone or protect is lifted in a separate change`,
        });
    }
    for (const o of objects) {
        if (!o.dataLoss) continue;
        const verb = o.action === "replace" ? `is REPLACED (${o.replaceReasons.join("; ")})` : "is REMOVED";
        out.push({ severity: "data-loss", subject: subject(o), message: `${verb}: ${o.dataLoss}` });
    }
    for (const o of objects) {
        if (o.action === "replace" && !o.dataLoss)
            out.push({
                severity: "replace",
                subject: subject(o),
                message: `is REPLACED (deleted and created again): ${o.replaceReasons.join("; ")}`,
            });
    }
    for (const c of options) {
        if (c.option === "protect" && c.before === true && c.after !== true) {
            out.push({
                severity: "protect",
                subject: c.object ?? `${c.type} ${c.name}`,
                message: "loses `protect`: Pulumi will no longer refuse to delete or replace it",
            });
        }
    }
    for (const r of resources) {
        if (r.regenerated)
            out.push({
                severity: "regenerate",
                subject: `${r.type} ${r.name}`,
                message: `${r.action === "remove" ? "is removed" : "is replaced"}: ${r.regenerated}`,
            });
    }
    if (policy && !policy.evaluated && policy.note)
        out.push({ severity: "note", subject: "policy", message: policy.note });
    return out;
}

/** Notes the tree pair itself calls for: Secret values not compared, Jobs the provider may replace at any update. */
function treeNotes(base: SynthTree, head: SynthTree): DiffWarning[] {
    const out: DiffWarning[] = [];
    if (secretsNotCompared(base, head)) {
        out.push({
            severity: "note",
            subject: "Secrets",
            message:
                "values not compared: a side was rendered without value digests (a synth older than the digests, or not run by `npm run diff`); a change of a Secret's value alone does not show",
        });
    }
    for (const o of head.objects) {
        if (replaceUnready(o)) {
            const r = objectRef(o);
            out.push({
                severity: "note",
                subject: `Job ${r.namespace ? `${r.namespace}/` : ""}${r.name}`,
                message:
                    "has pulumi.com/replaceUnready: the provider replaces it at `pulumi up` whenever the Job is not Ready, which only the cluster knows",
            });
        }
    }
    return out;
}

/** Counts for the summary line and table. */
function summarize(
    objects: readonly ObjectDiff[],
    resources: readonly ResourceDiff[],
    options: readonly OptionChange[],
    policy: PolicyDiff,
): StackDiffSummary {
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

const NOT_EVALUATED: PolicyDiff = { evaluated: false, introduced: [], resolved: [] };

/** Joins everything for one stack. Pure: the policy verdicts are diffed beforehand (policy.ts). */
export function diffStack(args: {
    stack: string;
    base: SynthTree;
    head: SynthTree;
    baseInfo: SideInfo;
    headInfo: SideInfo;
    policy?: PolicyDiff;
}): StackDiff {
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
        warnings: [...warningsOf(objects, resources, options, policy), ...treeNotes(args.base, args.head)],
        summary,
        noChanges:
            objects.length === 0 &&
            resources.length === 0 &&
            options.length === 0 &&
            policy.introduced.length === 0 &&
            policy.resolved.length === 0,
    };
}

/** A change list without the internal segments (for JSON). */
export function publicChanges(
    changes: readonly FieldChange[],
): { path: string; before?: unknown; after?: unknown; secret?: string }[] {
    return changes.map((c) =>
        c.secret
            ? { path: c.path, secret: c.secret }
            : {
                  path: c.path,
                  ...("before" in c ? { before: c.before } : {}),
                  ...("after" in c ? { after: c.after } : {}),
              },
    );
}
