/**
 * Field-level comparison of two JSON values (Kubernetes objects, Pulumi inputs). Lists of named
 * elements (containers, env, ports, volumes, volumeClaimTemplates...) are matched by name, so inserting
 * a container does not show every later one as changed; other lists are compared by position.
 */
import { quantityValue } from "../../lib/syntax";
import { FieldChange } from "./types";

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON text with sorted keys: two values are equal when their canonical texts are. */
function canonical(v: Json): string {
    if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
    if (isPlainObject(v)) {
        return `{${Object.keys(v)
            .sort()
            .filter((k) => v[k] !== undefined)
            .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
            .join(",")}}`;
    }
    return v === undefined ? "null" : JSON.stringify(v);
}

export function deepEqual(a: Json, b: Json): boolean {
    return canonical(a) === canonical(b);
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** The readable form of a segment list. */
function formatPath(segments: readonly string[]): string {
    let out = "";
    for (const s of segments) {
        if (s.startsWith("[")) out += s;
        else if (PLAIN_KEY.test(s)) out += out === "" ? s : `.${s}`;
        else out += `[${JSON.stringify(s)}]`;
    }
    return out === "" ? "(object)" : out;
}

/** The name an element of a list is known by: `name`, or `metadata.name` (volumeClaimTemplates). */
function elementName(v: Json): string | undefined {
    if (!isPlainObject(v)) return undefined;
    if (typeof v["name"] === "string") return v["name"];
    const meta = v["metadata"];
    if (isPlainObject(meta) && typeof meta["name"] === "string") return meta["name"];
    return undefined;
}

/** Names of a list's elements when every element has a distinct one. */
function namesOf(list: readonly Json[]): string[] | undefined {
    const names: string[] = [];
    for (const e of list) {
        const n = elementName(e);
        if (n === undefined || names.includes(n)) return undefined;
        names.push(n);
    }
    return names;
}

function change(segments: string[], before: Json, after: Json): FieldChange {
    return {
        path: formatPath(segments),
        segments,
        ...(before === undefined ? {} : { before }),
        ...(after === undefined ? {} : { after }),
    };
}

/**
 * The changed fields between `before` and `after` (undefined = absent). A field added or removed
 * is one change with only `after` or only `before`.
 */
export function diffValues(before: Json, after: Json, segments: string[] = []): FieldChange[] {
    if (deepEqual(before, after)) return [];
    if (before === undefined || after === undefined) return [change(segments, before, after)];
    if (isPlainObject(before) && isPlainObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((k) => diffValues(before[k], after[k], [...segments, k]));
    }
    if (Array.isArray(before) && Array.isArray(after)) return diffLists(before, after, segments);
    return [change(segments, before, after)];
}

function diffLists(before: readonly Json[], after: readonly Json[], segments: string[]): FieldChange[] {
    const bn = namesOf(before);
    const an = namesOf(after);
    if (bn && an && before.length + after.length > 0) {
        const out: FieldChange[] = [];
        const common = bn.filter((n) => an.includes(n));
        const commonAfter = an.filter((n) => bn.includes(n));
        if (common.join("\u0000") !== commonAfter.join("\u0000")) {
            out.push({ path: `${formatPath(segments)} (order)`, segments, before: bn, after: an });
        }
        const all = [...bn, ...an.filter((n) => !bn.includes(n))];
        for (const n of all) {
            const b = bn.includes(n) ? before[bn.indexOf(n)] : undefined;
            const a = an.includes(n) ? after[an.indexOf(n)] : undefined;
            out.push(...diffValues(b, a, [...segments, `[name=${n}]`]));
        }
        return out;
    }
    const scalar = (l: readonly Json[]) => l.every((x) => !isPlainObject(x) && !Array.isArray(x));
    if (scalar(before) && scalar(after)) return [change(segments, before, after)];
    const out: FieldChange[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
        out.push(...diffValues(before[i], after[i], [...segments, `[${i}]`]));
    }
    return out;
}
/** A Kubernetes resource quantity (`10Gi`, `500m`, `1e3`) as a number, or undefined when it is not one (lib/syntax.ts). */
export function parseQuantity(q: Json): number | undefined {
    if (typeof q === "number") return q;
    return typeof q === "string" ? quantityValue(q.trim()) : undefined;
}
