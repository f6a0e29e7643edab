/**
 * Reading resource properties the way the policy engine hands them over, without ever letting an
 * unknown (preview) value pass silently.
 *
 * The engine wraps `args.props` in `unknownCheckingProxy`: reading a field whose value is unknown
 * during preview throws `UnknownValueError`, which the engine turns into an *advisory* "can't run
 * policy during preview" note — a mandatory policy would then pass silently. So every policy first
 * copies the props with `materialize`, which reads each field through the proxy, catches that error
 * and leaves an `UNKNOWN` marker in its place. Checks then read fields only through `at`/`str`/...,
 * which throw `Unverifiable` on a marker; the policy framework (define.ts) reports that as a
 * "could not verify" violation with the policy's own enforcement level.
 *
 * Pure: no side effects at import.
 */
import { Secret, UnknownValueError } from "@pulumi/policy";

/** The marker left where a value is unknown during preview. */
class Unknown {
    readonly unknown = true;
    toString(): string {
        return "<unknown during preview>";
    }
}

/** The one marker instance. */
const UNKNOWN: Unknown = new Unknown();

/**
 * The sentinels the engine uses for unknown values (see @pulumi/policy proxy.js). The engine's
 * marshaller sends every unknown as the string sentinel; the others are listed for completeness.
 */
const SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** True when `v` is the unknown marker or one of the engine's unknown sentinels. */
export function isUnknown(v: unknown): boolean {
    return v instanceof Unknown || (typeof v === "string" && SENTINELS.has(v));
}

/** A check needed a value that is unknown during preview. */
export class Unverifiable extends Error {
    constructor(public readonly path: readonly (string | number)[]) {
        super(`${formatPath(path) || "the object"} is unknown during preview`);
        this.name = "Unverifiable";
    }
}

/** `spec.template.spec.containers[0].image` from path segments. */
export function formatPath(path: readonly (string | number)[]): string {
    let out = "";
    for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
    return out;
}

function isUnknownValueError(e: unknown): boolean {
    if (e instanceof UnknownValueError) return true;
    // A pack installed with its own node_modules may see a second copy of @pulumi/policy.
    return (
        e instanceof Error &&
        (e.constructor?.name === "UnknownValueError" || /can't be known during preview/.test(e.message))
    );
}

/**
 * A plain deep copy of resource properties read through the engine's proxy: unknown fields become
 * `UNKNOWN`, everything else is copied as is. Works on plain objects too (tests, hand-made data).
 */
export function materialize(v: unknown): unknown {
    let target = proxyTarget(v);
    if (target === undefined) return copyThrough(v);
    // Proxies nest only at the top (unknownCheckingProxy over secretsPreservingProxy, for remediations).
    for (let inner = proxyTarget(target); inner !== undefined; inner = proxyTarget(target)) target = inner;
    return copyPlain(target);
}

/** True for props handed over by the policy engine (behind its proxy): a fresh copy nothing else writes to. */
export function isEngineProxy(v: unknown): v is object {
    return proxyTarget(v) !== undefined;
}

/**
 * The object behind the engine's `unknownCheckingProxy` (its special key, proxy.js), or undefined for
 * anything else. Reading the target directly copies what the proxy would hand out field by field —
 * the unknown sentinels become `UNKNOWN` either way — without a trap and a wrapper per field.
 */
function proxyTarget(v: unknown): object | undefined {
    if (v === null || typeof v !== "object") return undefined;
    const p = v as Record<string, unknown>;
    if (p[IS_SPECIAL_PROXY] !== true) return undefined;
    const target = p[GET_SPECIAL_PROXY_TARGET];
    return target !== null && typeof target === "object" ? target : undefined;
}

/** The special keys of @pulumi/policy's proxy (proxy.js `isSpecialProxy` / `getSpecialProxyTarget`). */
const IS_SPECIAL_PROXY = "__isSpecialProxy";
const GET_SPECIAL_PROXY_TARGET = "__getSpecialProxyTarget";

/** A deep copy of plain data as the proxies read it: sentinels become `UNKNOWN`, secrets their values, undefined object fields are dropped (as copyThrough does). */
function copyPlain(v: unknown): unknown {
    if (typeof v === "string") return SENTINELS.has(v) ? UNKNOWN : v;
    if (v === null || typeof v !== "object" || v instanceof Unknown) return v;
    // Behind secretsPreservingProxy (remediations) a secret is a Secret; the proxy reads its value.
    if (v instanceof Secret) return copyPlain(v.value);
    if (Array.isArray(v)) {
        const out: unknown[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = copyPlain(v[i]);
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
        const x = copyPlain((v as Record<string, unknown>)[k]);
        if (x !== undefined) out[k] = x;
    }
    return out;
}

/** The copy read field by field (any object, proxies of other shapes included). */
function copyThrough(v: unknown): unknown {
    if (v instanceof Unknown) return v;
    if (typeof v === "string") return SENTINELS.has(v) ? UNKNOWN : v;
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(readField(v, i));
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
        const x = readField(v as Record<string, unknown>, k);
        if (x !== undefined) out[k] = x;
    }
    return out;
}

function readField(obj: object, key: string | number): unknown {
    let raw: unknown;
    try {
        raw = (obj as Record<string | number, unknown>)[key];
    } catch (e) {
        if (isUnknownValueError(e)) return UNKNOWN;
        throw e;
    }
    return copyThrough(raw);
}

/** True when the value contains an unknown anywhere. */
export function containsUnknown(v: unknown): boolean {
    if (isUnknown(v)) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
    return false;
}

/** Path segment. */
type Seg = string | number;

/**
 * The value at a path, or undefined when a step is missing or not an object. Throws `Unverifiable`
 * when the value or any step on the way is unknown.
 */
export function at(root: unknown, ...path: Seg[]): unknown {
    let cur: unknown = root;
    for (let i = 0; i < path.length; i++) {
        if (isUnknown(cur)) throw new Unverifiable(path.slice(0, i));
        if (cur === undefined || cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<Seg, unknown>)[path[i]!];
    }
    if (isUnknown(cur)) throw new Unverifiable(path);
    return cur;
}

/** A string at a path (undefined when absent or not a string). */
export function str(root: unknown, ...path: Seg[]): string | undefined {
    const v = at(root, ...path);
    return typeof v === "string" ? v : undefined;
}

/** A number at a path (undefined when absent or not a number). */
export function num(root: unknown, ...path: Seg[]): number | undefined {
    const v = at(root, ...path);
    return typeof v === "number" ? v : undefined;
}

/** A boolean at a path (undefined when absent or not a boolean). */
export function bool(root: unknown, ...path: Seg[]): boolean | undefined {
    const v = at(root, ...path);
    return typeof v === "boolean" ? v : undefined;
}

/** An object at a path (undefined when absent or not an object). */
export function rec(root: unknown, ...path: Seg[]): Record<string, unknown> | undefined {
    const v = at(root, ...path);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A list at a path ([] when absent or not a list). Its items may still be unknown: read them with `at`. */
export function list(root: unknown, ...path: Seg[]): unknown[] {
    const v = at(root, ...path);
    return Array.isArray(v) ? v : [];
}

/** A string map (labels, annotations, selectors) at a path; throws `Unverifiable` on an unknown entry. */
export function strMap(root: unknown, ...path: Seg[]): Record<string, string> {
    const m = rec(root, ...path) ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m)) {
        if (isUnknown(v)) throw new Unverifiable([...path, k]);
        if (typeof v === "string") out[k] = v;
        else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    }
    return out;
}

/** The value at a path, never throwing: the marker is returned as is (for display and best-effort reads). */
export function peek(root: unknown, ...path: Seg[]): unknown {
    try {
        return at(root, ...path);
    } catch {
        return UNKNOWN;
    }
}
