/**
 * A fast path for `YAML.stringify(obj, { lineWidth: 0, sortMapEntries: false })` (yaml 2.x, the
 * synth's manifest files) over plain JSON data whose keys are plain YAML scalars beyond doubt and whose
 * strings are single-line printable ASCII without `"` or `\`. The library builds a node tree per object
 * and tests every scalar against the schema's tags — the largest cost of the synth's rendering. Here a
 * string value is written as the library writes it: plain, unless YAML's plain-scalar rules forbid it
 * (an indicator first, `: ` or ` #` inside, a space or `:` last) or one of the library's own schema tags
 * (null, booleans, integers, floats) would read it back as something else — then double-quoted, which
 * for these characters needs no escape. Anything else (a multi-line or non-ASCII string, a quote or a
 * backslash, a document marker, a float, a nested sequence) returns undefined and the caller uses the
 * library; test/yaml-fast.test.ts checks the fast path against the library on every rendered object.
 */
import YAML from "yaml";

/** Keys written plain: a conservative subset. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@=+,-]*$/;
/** Kubernetes quantities and durations such as 100m, 128Mi, 30s: digits then letters. */
const QUANTITY = /^[0-9]+[A-Za-z]+$/;
/** Words a YAML 1.1 or 1.2 reader takes for something else than a string. */
const RESERVED = /^(?:null|true|false|yes|no|on|off|y|n|~)$/i;

/** A key written plain, beyond doubt. */
function plainKey(s: string): boolean {
    if (RESERVED.test(s) || s.endsWith(":")) return false;
    return PLAIN.test(s) || (QUANTITY.test(s) && !/[eE]$/.test(s) && !/^[0-9]+[eE]/.test(s));
}

/** Single-line printable ASCII without a double quote or a backslash: quoted, it needs no escape. */
const SIMPLE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** YAML's plain-scalar rules for one line (YAML 1.2, 7.3.3): what only a quoted scalar can hold. */
const NOT_PLAIN = /^[ ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-] |: | #| $|:$/;
/** A document marker at the start: the library writes these its own way. */
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/;
/** The tests of the library's default schema (YAML 1.2 core) for every type but string. */
const OTHER_TYPES = new YAML.Document().schema.tags
    .filter((t) => t.default && t.tag !== "tag:yaml.org,2002:str" && t.test instanceof RegExp)
    .map((t) => t.test as RegExp);

/** A string value as the library writes it, or undefined when the fast path does not apply. */
function stringValue(s: string): string | undefined {
    if (!SIMPLE.test(s) || DOCUMENT_MARKER.test(s)) return undefined;
    return NOT_PLAIN.test(s) || OTHER_TYPES.some((re) => re.test(s)) ? `"${s}"` : s;
}

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

function scalar(v: unknown): string | undefined {
    if (v === null) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
        if (!Number.isSafeInteger(v) || Object.is(v, -0)) throw UNSUPPORTED;
        return String(v);
    }
    if (typeof v === "string") {
        const out = stringValue(v);
        if (out === undefined) throw UNSUPPORTED;
        return out;
    }
    return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** A value after `key:` or `- `: scalars and empty collections inline, else undefined. */
function inline(v: unknown): string | undefined {
    const s = scalar(v);
    if (s !== undefined) return s;
    if (Array.isArray(v)) return v.length === 0 ? "[]" : undefined;
    if (isRecord(v)) return Object.keys(v).length === 0 ? "{}" : undefined;
    throw UNSUPPORTED;
}

function mapping(o: Record<string, unknown>, pad: string, out: string[], firstPad = pad): void {
    let first = true;
    for (const k of Object.keys(o)) {
        const v = o[k];
        if (v === undefined) throw UNSUPPORTED;
        if (!plainKey(k)) throw UNSUPPORTED;
        const lead = first ? firstPad : pad;
        first = false;
        const s = inline(v);
        if (s !== undefined) {
            out.push(`${lead}${k}: ${s}\n`);
        } else if (Array.isArray(v)) {
            out.push(`${lead}${k}:\n`);
            sequence(v, `${pad}  `, out);
        } else {
            out.push(`${lead}${k}:\n`);
            mapping(v as Record<string, unknown>, `${pad}  `, out);
        }
    }
}

function sequence(a: readonly unknown[], pad: string, out: string[]): void {
    for (const v of a) {
        const s = inline(v);
        if (s !== undefined) out.push(`${pad}- ${s}\n`);
        else if (isRecord(v)) mapping(v, `${pad}  `, out, `${pad}- `);
        else throw UNSUPPORTED;
    }
}

/** The YAML text of a non-empty plain object, or undefined when the fast path does not apply. */
export function fastYaml(obj: unknown): string | undefined {
    if (!isRecord(obj) || Object.keys(obj).length === 0) return undefined;
    const out: string[] = [];
    try {
        mapping(obj, "", out);
    } catch (e) {
        if (e === UNSUPPORTED) return undefined;
        throw e;
    }
    return out.join("");
}
