/**
 * Turns recorded resources into what a reviewer and the checks read: plain Kubernetes objects with
 * secrets redacted and a deterministic key order, and the resources.json inventory.
 */
import YAML from "yaml";
import { RecordedResource } from "./mocks";

/** What a secret value becomes in every output. */
export const REDACTED = "[secret]";
/** What an unknown (preview) value becomes. */
export const UNKNOWN_TEXT = "[unknown]";

/** Replaces `$secret` / `$unknown` markers. */
export function redact(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(redact);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("$secret" in o) return REDACTED;
        if ("$unknown" in o) return UNKNOWN_TEXT;
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, redact(x)]));
    }
    return v;
}

const TOP_ORDER = ["apiVersion", "kind", "metadata", "type", "immutable", "spec", "data", "stringData"];
const META_ORDER = ["name", "namespace", "labels", "annotations"];

function orderKeys(o: Record<string, unknown>, first: readonly string[]): string[] {
    const keys = Object.keys(o);
    return [...first.filter((k) => keys.includes(k)), ...keys.filter((k) => !first.includes(k)).sort()];
}

/** Deep copy with a deterministic key order (Kubernetes' usual top-level order, then alphabetical). */
export function sortKeys(v: unknown, depth = 0, parentKey = ""): unknown {
    if (Array.isArray(v)) return v.map((x) => sortKeys(x, depth + 1, parentKey));
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        const first = depth === 0 ? TOP_ORDER : parentKey === "metadata" ? META_ORDER : [];
        return Object.fromEntries(orderKeys(o, first).map((k) => [k, sortKeys(o[k], depth + 1, k)]));
    }
    return v;
}

/** True for resources the Kubernetes provider turns into an object of the cluster. */
export function isKubernetesObject(r: RecordedResource): boolean {
    return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");
}

/** The keys of a Secret's data map, whether the map itself or each value is marked secret. */
function secretDataKeys(v: unknown): string[] {
    const inner = v && typeof v === "object" && "$secret" in (v as Record<string, unknown>) ? (v as { $secret: unknown }).$secret : v;
    return inner && typeof inner === "object" && !Array.isArray(inner) ? Object.keys(inner as Record<string, unknown>) : [];
}

/** The Kubernetes object a resource would create, redacted, keys ordered. A Secret keeps its keys, never a value. */
export function toManifest(r: RecordedResource): Record<string, unknown> {
    const inputs = { ...r.inputs };
    if (inputs["kind"] === "Secret") {
        for (const field of ["data", "stringData"]) {
            if (inputs[field] !== undefined) inputs[field] = Object.fromEntries(secretDataKeys(inputs[field]).map((k) => [k, REDACTED]));
        }
    }
    return sortKeys(redact(inputs)) as Record<string, unknown>;
}

/** Every Kubernetes object of a run. */
export function manifestsOf(resources: readonly RecordedResource[]): Record<string, unknown>[] {
    return resources.filter(isKubernetesObject).map(toManifest);
}

/** `<namespace or _cluster>/<Kind>-<name>.yaml` of an object. */
export function manifestPath(obj: Record<string, unknown>): string {
    const meta = (obj["metadata"] ?? {}) as Record<string, unknown>;
    const ns = typeof meta["namespace"] === "string" ? meta["namespace"] : "_cluster";
    return `${ns}/${String(obj["kind"])}-${String(meta["name"])}.yaml`;
}

/** YAML text of an object. */
export function toYaml(obj: unknown): string {
    return YAML.stringify(obj, { lineWidth: 0, sortMapEntries: false });
}

/** The resources.json inventory entry of a resource. */
export function inventoryEntry(r: RecordedResource): Record<string, unknown> {
    return sortKeys({
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent ?? null,
        custom: r.custom,
        options: r.options,
        inputs: redact(r.inputs),
    }, 1) as Record<string, unknown>;
}
