/**
 * Which changes Kubernetes cannot apply in place (the object is deleted and created again: REPLACE),
 * and which objects hold data (so that a replace or a removal loses it).
 *
 * The rules follow the API server's immutable fields and the Kubernetes provider's own replace list:
 * - StatefulSet: spec.selector, spec.serviceName, spec.volumeClaimTemplates, spec.podManagementPolicy
 * - Deployment, ReplicaSet, DaemonSet: spec.selector
 * - PersistentVolumeClaim: anything in spec except growing spec.resources.requests.storage
 * - Job: spec.template, spec.selector
 * - Service: spec.type to or from ExternalName; any change of spec.clusterIP / spec.clusterIPs
 * - ConfigMap / Secret with `immutable: true`: any change of data, stringData, binaryData, or of immutable
 * - Secret: type; RoleBinding / ClusterRoleBinding: roleRef; StorageClass: provisioner, parameters,
 *   reclaimPolicy, volumeBindingMode
 * - any path listed in the resource's `replaceOnChanges` option
 * A change of metadata.name or metadata.namespace is a different object: remove + add (compare.ts).
 */
import { getPath, parseQuantity, startsWith } from "./fields";
import { FieldChange, InventoryEntry, KubeObject } from "./types";

interface Rule {
    readonly kinds: readonly string[];
    readonly prefix: readonly string[];
    readonly applies?: (c: FieldChange, before: KubeObject, after: KubeObject) => boolean;
    readonly reason: (c: FieldChange) => string;
}

const immutable = (kind: string) => (c: FieldChange) => `${c.segments.filter((s) => !s.startsWith("[")).slice(0, 2).join(".")} is immutable on a ${kind}`;

const isImmutable = (o: KubeObject) => o["immutable"] === true;

function storageGrowth(c: FieldChange): boolean {
    const b = parseQuantity(c.before);
    const a = parseQuantity(c.after);
    return b !== undefined && a !== undefined && a > b;
}

const RULES: readonly Rule[] = [
    ...["selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"].map((f): Rule => ({ kinds: ["StatefulSet"], prefix: ["spec", f], reason: immutable("StatefulSet") })),
    ...["Deployment", "ReplicaSet", "DaemonSet"].map((k): Rule => ({ kinds: [k], prefix: ["spec", "selector"], reason: immutable(k) })),
    {
        kinds: ["PersistentVolumeClaim"],
        prefix: ["spec"],
        applies: (c) => !(startsWith(c.segments, ["spec", "resources", "requests", "storage"]) && c.segments.length === 4 && storageGrowth(c)),
        reason: (c) => (startsWith(c.segments, ["spec", "resources", "requests", "storage"]) ? "a PersistentVolumeClaim can grow but never shrink" : `${c.path} is immutable on a PersistentVolumeClaim (only storage growth is applied in place)`),
    },
    { kinds: ["Job"], prefix: ["spec", "template"], reason: () => "spec.template is immutable on a Job" },
    { kinds: ["Job"], prefix: ["spec", "selector"], reason: () => "spec.selector is immutable on a Job" },
    {
        kinds: ["Service"],
        prefix: ["spec", "type"],
        applies: (c) => c.before === "ExternalName" || c.after === "ExternalName",
        reason: (c) => `spec.type ${String(c.before ?? "ClusterIP")} → ${String(c.after ?? "ClusterIP")}: a Service is re-created to switch to or from ExternalName`,
    },
    { kinds: ["Service"], prefix: ["spec", "clusterIP"], reason: () => "spec.clusterIP is immutable on a Service" },
    { kinds: ["Service"], prefix: ["spec", "clusterIPs"], reason: () => "spec.clusterIPs is immutable on a Service" },
    ...["ConfigMap", "Secret"].flatMap((k) => ["data", "stringData", "binaryData"].map((f): Rule => ({
        kinds: [k], prefix: [f], applies: (_c, before) => isImmutable(before), reason: () => `the ${k} is immutable: its ${f} cannot change in place`,
    }))),
    ...["ConfigMap", "Secret"].map((k): Rule => ({
        kinds: [k], prefix: ["immutable"], applies: (_c, before) => isImmutable(before), reason: () => `an immutable ${k} cannot be made mutable again`,
    })),
    { kinds: ["Secret"], prefix: ["type"], reason: () => "type is immutable on a Secret" },
    ...["RoleBinding", "ClusterRoleBinding"].map((k): Rule => ({ kinds: [k], prefix: ["roleRef"], reason: () => `roleRef is immutable on a ${k}` })),
    ...["provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"].map((f): Rule => ({ kinds: ["StorageClass"], prefix: [f], reason: () => `${f} is immutable on a StorageClass` })),
];

/** Splits a `replaceOnChanges` path (`spec.template`, `spec.ports[*]`, `*`) into a key prefix. */
function optionPrefix(p: string): string[] | undefined {
    if (p === "*" || p === "") return [];
    const keys = p.replace(/\[[^\]]*\]/g, "").split(".").filter((s) => s !== "");
    return keys.length > 0 ? keys : undefined;
}

/** The reasons a change of this object cannot be applied in place (empty: an in-place update). */
export function replaceReasons(before: KubeObject, after: KubeObject, changes: readonly FieldChange[], entry?: InventoryEntry): string[] {
    const kind = String(after["kind"]);
    const reasons = new Set<string>();
    for (const c of changes) {
        for (const r of RULES) {
            if (r.kinds.includes(kind) && startsWith(c.segments, r.prefix) && (!r.applies || r.applies(c, before, after))) reasons.add(r.reason(c));
        }
        const roc = entry?.options["replaceOnChanges"];
        if (Array.isArray(roc)) {
            for (const p of roc) {
                const keys = typeof p === "string" ? optionPrefix(p) : undefined;
                if (keys && startsWith(c.segments.filter((s) => !s.startsWith("[")), keys)) reasons.add(`${c.path} is listed in the resource's replaceOnChanges option`);
            }
        }
    }
    return [...reasons];
}

/**
 * Why deleting this object loses data, or undefined when it holds none: a StatefulSet with
 * volumeClaimTemplates, a PersistentVolumeClaim or PersistentVolume, or anything marked `protect`.
 */
export function holdsData(objects: readonly (KubeObject | undefined)[], entries: readonly (InventoryEntry | undefined)[]): string | undefined {
    for (const o of objects) {
        if (!o) continue;
        const kind = o["kind"];
        const vct = getPath(o, ["spec", "volumeClaimTemplates"]);
        if (kind === "StatefulSet" && Array.isArray(vct) && vct.length > 0) return "a StatefulSet with volumeClaimTemplates (its pods' volumes)";
        if (kind === "PersistentVolumeClaim") return "a PersistentVolumeClaim (its volume)";
        if (kind === "PersistentVolume") return "a PersistentVolume";
    }
    if (entries.some((e) => e?.options["protect"] === true)) return "a resource marked protect (declared to hold data)";
    return undefined;
}

/** Resource types whose every input change makes the provider generate a new value. */
export function isGenerated(type: string): boolean {
    return type.startsWith("random:") || type.startsWith("tls:");
}
