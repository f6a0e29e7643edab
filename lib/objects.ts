/**
 * Small, dependency-free helpers for reading untyped Kubernetes objects
 * (parsed YAML/JSON) safely.
 */

/** A plain JSON-ish object. */
export type Obj = Record<string, unknown>;

/** Receives a human-readable warning about input the evaluator had to skip or interpret. */
export type WarnFn = (message: string) => void;

/** Returns `value` when it is a non-null, non-array object, else `undefined`. */
export function asObject(value: unknown): Obj | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

/** Returns `value` when it is an array, else `undefined`. */
export function asArray(value: unknown): unknown[] | undefined {
    return Array.isArray(value) ? value : undefined;
}

/** Returns `value` when it is a string, else `undefined`. */
export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** Reads a nested property path (`get(o, "spec", "template")`), returning `undefined` on any miss. */
export function getPath(root: unknown, ...keys: string[]): unknown {
    let cur: unknown = root;
    for (const k of keys) {
        const o = asObject(cur);
        if (o === undefined) return undefined;
        cur = o[k];
    }
    return cur;
}

/**
 * Reads a string map (labels, matchLabels). Non-string values are converted
 * with `String()` and reported, since the API server would reject them.
 */
export function asStringMap(value: unknown, where: string, warn: WarnFn): Record<string, string> {
    const o = asObject(value);
    const out: Record<string, string> = {};
    if (o === undefined) {
        if (value !== undefined && value !== null) warn(`${where}: expected a map of strings, ignored`);
        return out;
    }
    for (const [k, v] of Object.entries(o)) {
        if (typeof v === "string") out[k] = v;
        else {
            warn(`${where}: value of "${k}" is not a string; using ${JSON.stringify(String(v))}`);
            out[k] = String(v);
        }
    }
    return out;
}

/** Code-unit string comparison (locale independent, hence deterministic). */
export function compareStrings(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The StatefulSet fields whose change replaces the object: Kubernetes refuses a change of the first,
 * and the pulumi-kubernetes provider (provider/pkg/provider/diff.go, the force-new table) also lists
 * `revisionHistoryLimit`. The diff tool and the data-store tests both read this list.
 */
export const STATEFULSET_REPLACE_FIELDS = [
    "podManagementPolicy",
    "revisionHistoryLimit",
    "selector",
    "serviceName",
    "volumeClaimTemplates",
] as const;

/** The replace-forcing part of a rendered StatefulSet's spec (for comparing renders). */
export function immutableFields(sts: unknown): Record<string, unknown> {
    return Object.fromEntries(STATEFULSET_REPLACE_FIELDS.map((f) => [f, getPath(sts, "spec", f)]));
}
