/**
 * A fast path for `YAML.stringify(obj, { lineWidth: 0, sortMapEntries: false })` (yaml 2.x, the
 * synth's manifest files) over plain JSON data whose every key and string is a plain YAML scalar
 * beyond doubt — letters, digits and `_ . / : @ = + , -`, not starting with an indicator, not reading
 * as a number, a boolean or null — or a double-quoted one with nothing to escape (empty, digits only,
 * true/false/null as strings). The library builds a node tree per object and tests every scalar
 * against the schema's tags — the largest cost of the synth's rendering. Anything else (a quoted or
 * multi-line string, a float, a nested sequence) returns undefined and the caller uses the library;
 * test/yaml-fast.test.ts checks the fast path against the library on every rendered object.
 */

/** Strings yaml writes plain: a conservative subset. */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@=+,-]*$/;
/** Strings yaml writes double-quoted, with nothing to escape: empty, digits only, the core schema's words. */
const QUOTED = /^(?:|[0-9]+|true|false|null)$/;
/** Kubernetes quantities and durations such as 100m, 128Mi, 30s: digits then letters. */
const QUANTITY = /^[0-9]+[A-Za-z]+$/;
/** Words a YAML 1.1 or 1.2 reader takes for something else than a string. */
const RESERVED = /^(?:null|true|false|yes|no|on|off|y|n|~)$/i;

function plain(s: string): boolean {
    if (RESERVED.test(s) || s.endsWith(":")) return false;
    return PLAIN.test(s) || (QUANTITY.test(s) && !/[eE]$/.test(s) && !/^[0-9]+[eE]/.test(s));
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
        if (plain(v)) return v;
        if (QUOTED.test(v)) return `"${v}"`;
        throw UNSUPPORTED;
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
        if (!plain(k)) throw UNSUPPORTED;
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
