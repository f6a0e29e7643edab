/**
 * Strict validation of an Envoy config (as the plain object written to YAML/JSON) against Envoy's own
 * v3 API protos (./protos.ts), following the proto3 JSON mapping
 * (https://protobuf.dev/programming-guides/json/) and the protoc-gen-validate (PGV) rules the protos
 * carry:
 *
 *  - every key must be a field of the message, by its proto name (snake_case, as Envoy's docs and YAML
 *    use) or its lowerCamel JSON name; the same field given twice (both spellings) is an error;
 *  - nested messages, repeated fields (arrays), maps (objects), enums (by the value's exact NAME:
 *    stricter than Envoy, which also takes numbers and lower case), oneofs (at most one member set);
 *  - well-known types: Any (`@type` is required — stricter than Envoy, which takes `{}` as the
 *    extension's default config — and must name a loaded message, the rest is checked against it;
 *    `xds.type.v3.TypedStruct`/`udpa.type.v1.TypedStruct` are checked through their `type_url` too),
 *    Duration ("1.5s"), Timestamp (RFC 3339), FieldMask, Struct/Value/ListValue (any JSON), the
 *    wrappers (bare scalars), Empty;
 *  - scalars: 32-bit integers as integral numbers (or decimal strings) in range, 64-bit integers as
 *    numbers or decimal strings, floats, bool, string, bytes (base64);
 *  - PGV: `message.required`, `(validate.required)` on oneofs, string/bytes length and byte bounds,
 *    `pattern`, `well_known_regex` (HTTP header name/value, strict or not), `in`/`not_in`/`const`,
 *    numeric `gt`/`gte`/`lt`/`lte` (also on wrappers), enum `defined_only`/`in`/`not_in`, repeated
 *    `min_items`/`max_items`/`unique`/`items`, map `min_pairs`/`max_pairs`/`keys`/`values`, duration
 *    and any rules, `ignore_empty`. As in PGV, scalar rules apply to a proto3 scalar
 *    that is absent (its default value), except in an unset oneof or an unset `optional` field;
 *  - a field marked `deprecated = true`, or `(envoy.annotations.disallowed_by_default)`, and an enum
 *    value marked deprecated or disallowed by default, is an error: Envoy warns about deprecated fields
 *    and rejects them once they become fatal-by-default.
 *
 * It cannot check Envoy's runtime semantics beyond these rules (e.g. which filters are allowed where,
 * that a route's cluster exists, that a `typed_config` type fits the extension `name`).
 */
import * as protobuf from "protobufjs";
import { envoyApi } from "./protos";

/** The default root message: a bootstrap file. */
const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";

/**
 * Validates `config` as a JSON-mapped `root` message. Returns human-readable errors, each starting with
 * the JSON path of the offending value (`(root)` for the top object); `[]` means valid.
 */
export function validateEnvoyConfig(config: unknown, root: string = BOOTSTRAP): string[] {
    const api = envoyApi();
    const type = lookupType(api.root, root);
    if (!type) throw new Error(`${root} is not a message of the loaded Envoy API`);
    const errs: string[] = [];
    new Walker(api.root, errs).message(type, config, "");
    return errs;
}

// ---------------------------------------------------------------------------------------------------

type Json = unknown;
type Obj = Record<string, Json>;
type Rules = Record<string, any>;

const isObj = (v: Json): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strip = (fullName: string) => (fullName.startsWith(".") ? fullName.slice(1) : fullName);
const show = (v: Json) => JSON.stringify(v);
const at = (path: string) => path || "(root)";
const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
const mapKey = (path: string, key: string) => `${path}[${JSON.stringify(key)}]`;

function lookupType(root: protobuf.Root, name: string): protobuf.Type | undefined {
    try {
        const t = root.lookup(name);
        return t instanceof protobuf.Type ? t : undefined;
    } catch {
        return undefined;
    }
}

/** protoc's json_name: drop underscores, upper-casing the letter after each. */
function jsonName(protoName: string): string {
    let out = "";
    let upper = false;
    for (const c of protoName) {
        if (c === "_") upper = true;
        else {
            out += upper ? c.toUpperCase() : c;
            upper = false;
        }
    }
    return out;
}

/** Per-type lookup of its fields by proto name and JSON name. */
const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();
function fieldsOf(t: protobuf.Type): Map<string, protobuf.Field> {
    let idx = fieldIndex.get(t);
    if (!idx) {
        idx = new Map();
        for (const f of t.fieldsArray) {
            idx.set(f.name, f);
            const explicit = f.options?.["json_name"];
            idx.set(typeof explicit === "string" ? explicit : jsonName(f.name), f);
        }
        fieldIndex.set(t, idx);
    }
    return idx;
}

/** Merges the parsed options of an element into one object (protobufjs keeps a list of option roots). */
function parsedOptions(o: { parsedOptions?: unknown }): Rules {
    const out: Rules = {};
    const list = (o.parsedOptions ?? []) as Rules[];
    for (const entry of list)
        for (const [k, v] of Object.entries(entry)) out[k] = isObj(v) && isObj(out[k]) ? { ...out[k], ...v } : v;
    return out;
}

/** A close field name (edit distance ≤ 2), to suggest for a misspelling. */
function suggest(key: string, t: protobuf.Type): string | undefined {
    let best: string | undefined;
    let bestD = 3;
    for (const f of t.fieldsArray) {
        const d = distance(key, f.name);
        if (d < bestD) [best, bestD] = [f.name, d];
    }
    return best;
}
function distance(a: string, b: string): number {
    if (Math.abs(a.length - b.length) > 2) return 3;
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const cur = [i];
        for (let j = 1; j <= b.length; j++)
            cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
    }
    return prev[b.length]!;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
    int32: [-(2n ** 31n), 2n ** 31n - 1n],
    sint32: [-(2n ** 31n), 2n ** 31n - 1n],
    sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
    uint32: [0n, 2n ** 32n - 1n],
    fixed32: [0n, 2n ** 32n - 1n],
    int64: [-(2n ** 63n), 2n ** 63n - 1n],
    sint64: [-(2n ** 63n), 2n ** 63n - 1n],
    sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
    uint64: [0n, 2n ** 64n - 1n],
    fixed64: [0n, 2n ** 64n - 1n],
};
const FLOAT_MAX = 3.4028234663852886e38;

const WRAPPERS: Record<string, string> = {
    "google.protobuf.DoubleValue": "double",
    "google.protobuf.FloatValue": "float",
    "google.protobuf.Int64Value": "int64",
    "google.protobuf.UInt64Value": "uint64",
    "google.protobuf.Int32Value": "int32",
    "google.protobuf.UInt32Value": "uint32",
    "google.protobuf.BoolValue": "bool",
    "google.protobuf.StringValue": "string",
    "google.protobuf.BytesValue": "bytes",
};
/** Types whose JSON form is not an object of fields (inside an Any they sit under "value"). */
const SPECIAL_JSON = new Set([
    ...Object.keys(WRAPPERS),
    "google.protobuf.Duration",
    "google.protobuf.Timestamp",
    "google.protobuf.FieldMask",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
]);
const TYPED_STRUCTS = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9\-_]*)={0,2}$/;

// PGV's well-known regexes (protoc-gen-validate: HTTP_HEADER_NAME / HTTP_HEADER_VALUE when `strict`,
// otherwise the loose "no NUL, CR or LF" header string).
const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex -- these rules are about control characters
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// eslint-disable-next-line no-control-regex -- likewise
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;

/** A Duration string in nanoseconds, or undefined when malformed. */
function durationNanos(v: Json): bigint | undefined {
    if (typeof v !== "string") return undefined;
    const m = DURATION_RE.exec(v);
    if (!m) return undefined;
    const seconds = BigInt(m[2]!);
    if (seconds > MAX_DURATION_SECONDS) return undefined;
    const nanos = BigInt((m[3] ?? "").padEnd(9, "0"));
    return (m[1] ? -1n : 1n) * (seconds * 1_000_000_000n + nanos);
}
/** A PGV duration bound ({seconds, nanos}, {} = 0) in nanoseconds. */
const boundNanos = (b: Rules): bigint =>
    BigInt(Math.trunc(Number(b["seconds"] ?? 0))) * 1_000_000_000n + BigInt(Math.trunc(Number(b["nanos"] ?? 0)));

/** The integer value of a JSON int (number or decimal string), or undefined. */
function asBigInt(v: Json): bigint | undefined {
    if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : undefined;
    if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
    return undefined;
}
/** The number value of a JSON float (number, numeric string, "NaN", "Infinity", "-Infinity"), or undefined. */
function asFloat(v: Json): number | undefined {
    if (typeof v === "number") return v;
    if (typeof v !== "string") return undefined;
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v) ? Number(v) : undefined;
}

/** A PGV `in`/`not_in` list (protobufjs keeps a one-element list as a bare value). */
const list = (x: Json): Json[] | undefined => (x === undefined ? undefined : [x].flat());

/** A PGV `pattern`, compiled once (RE2 syntax; the patterns Envoy uses are also valid JavaScript). */
const patterns = new Map<string, RegExp>();
function pattern(src: string): RegExp {
    let re = patterns.get(src);
    if (!re) {
        try {
            re = new RegExp(src, "u");
        } catch {
            re = new RegExp(src);
        }
        patterns.set(src, re);
    }
    return re;
}

const DEFAULTS: Record<string, Json> = { string: "", bytes: "", bool: false, double: 0, float: 0 };
const scalarDefault = (type: string): Json => (type in DEFAULTS ? DEFAULTS[type] : 0);

class Walker {
    constructor(
        private readonly root: protobuf.Root,
        private readonly errs: string[],
    ) {}

    private err(path: string, msg: string): void {
        this.errs.push(`${at(path)}: ${msg}`);
    }

    /** A message value (well-known types by their JSON form). */
    message(t: protobuf.Type, v: Json, path: string): void {
        const name = strip(t.fullName);
        if (name in WRAPPERS) return this.scalar(WRAPPERS[name]!, v, path);
        switch (name) {
            case "google.protobuf.Any":
                return this.any(v, path);
            case "google.protobuf.Duration":
                if (durationNanos(v) === undefined)
                    this.err(
                        path,
                        `${show(v)} is not a Duration (a JSON string of seconds ending in "s", e.g. "1.5s")`,
                    );
                return;
            case "google.protobuf.Timestamp":
                if (typeof v !== "string" || !TIMESTAMP_RE.test(v) || Number.isNaN(Date.parse(v)))
                    this.err(path, `${show(v)} is not a Timestamp (RFC 3339, e.g. "2024-01-01T00:00:00Z")`);
                return;
            case "google.protobuf.FieldMask":
                if (typeof v !== "string")
                    this.err(path, `${show(v)} is not a FieldMask (a comma-separated string of paths)`);
                return;
            case "google.protobuf.Struct":
                if (!isObj(v)) this.err(path, `${show(v)} is not a Struct (a JSON object)`);
                return;
            case "google.protobuf.ListValue":
                if (!Array.isArray(v)) this.err(path, `${show(v)} is not a ListValue (a JSON array)`);
                return;
            case "google.protobuf.Value":
                return;
        }
        if (!isObj(v)) return this.err(path, `expected an object (${name}), got ${show(v)}`);
        this.fields(t, v, path, new Set());
    }

    /** The fields of a message object (`skip` = keys handled by the caller, e.g. "@type"). */
    private fields(t: protobuf.Type, v: Obj, path: string, skip: Set<string>): void {
        const name = strip(t.fullName);
        const index = fieldsOf(t);
        const given = new Map<protobuf.Field, { key: string; value: Json }>();
        for (const [key, value] of Object.entries(v)) {
            if (skip.has(key)) continue;
            const f = index.get(key);
            if (!f) {
                const hint = suggest(key, t);
                this.err(child(path, key), `unknown field of ${name}${hint ? ` (did you mean ${hint}?)` : ""}`);
                continue;
            }
            const before = given.get(f);
            if (before) {
                this.err(child(path, key), `field ${f.name} of ${name} is set twice (also as ${before.key})`);
                continue;
            }
            // null is accepted for any field and means "not set" (a singular google.protobuf.Value holds JSON null).
            if (value === null && (f.type !== "google.protobuf.Value" || f.repeated || f.map)) continue;
            given.set(f, { key, value });
        }
        for (const [f, { key, value }] of given) {
            const p = child(path, key);
            if (f.options?.["deprecated"] === true) this.err(p, `field ${f.name} of ${name} is deprecated`);
            const opts = parsedOptions(f);
            if (opts["(envoy.annotations.disallowed_by_default)"] === true)
                this.err(p, `field ${f.name} of ${name} is disallowed by default`);
            this.field(f, value, p);
        }
        // oneofs (protobufjs also lists proto3 `optional` fields as one-member oneofs)
        for (const o of t.oneofsArray) {
            const set = o.fieldsArray.filter((f) => given.has(f));
            if (set.length > 1)
                this.err(
                    path,
                    `oneof ${o.name} of ${name} has more than one member set: ${set.map((f) => given.get(f)!.key).join(", ")}`,
                );
            if (set.length === 0 && parsedOptions(o)["(validate.required)"] === true) {
                this.err(
                    path,
                    `oneof ${o.name} of ${name} is required: set one of ${o.fieldsArray.map((f) => f.name).join(", ")}`,
                );
            }
        }
        // PGV rules, on every field (absent ones included)
        for (const f of t.fieldsArray) {
            const rules = parsedOptions(f)["(validate.rules)"] as Rules | undefined;
            if (!rules) continue;
            const hit = given.get(f);
            this.rules(f, rules, hit?.value, hit ? child(path, hit.key) : child(path, f.name), hit !== undefined);
        }
    }

    /** One field's value, by kind. */
    private field(f: protobuf.Field, v: Json, path: string): void {
        f.resolve();
        if (f instanceof protobuf.MapField) {
            if (!isObj(v))
                return this.err(path, `expected an object (map<${f.keyType}, ${strip(f.type)}>), got ${show(v)}`);
            for (const [k, x] of Object.entries(v)) {
                const p = mapKey(path, k);
                if (
                    f.keyType === "bool"
                        ? k !== "true" && k !== "false"
                        : f.keyType !== "string" && asBigInt(k) === undefined
                )
                    this.err(p, `map key ${show(k)} is not a ${f.keyType}`);
                this.single(f, x, p);
            }
            return;
        }
        if (f.repeated) {
            if (!Array.isArray(v))
                return this.err(path, `expected an array (repeated ${strip(f.type)}), got ${show(v)}`);
            v.forEach((x, i) => this.single(f, x, `${path}[${i}]`));
            return;
        }
        this.single(f, v, path);
    }

    /** One value of a field's element type. */
    private single(f: protobuf.Field, v: Json, path: string): void {
        const rt = f.resolvedType;
        if (rt instanceof protobuf.Type) {
            if (v === null && strip(rt.fullName) !== "google.protobuf.Value")
                return this.err(path, `null is not allowed here (expected ${strip(rt.fullName)})`);
            return this.message(rt, v, path);
        }
        if (rt instanceof protobuf.Enum) return this.enumValue(rt, v, path);
        this.scalar(f.type, v, path);
    }

    private enumValue(e: protobuf.Enum, v: Json, path: string): void {
        const name = strip(e.fullName);
        if (name === "google.protobuf.NullValue") {
            if (v !== null) this.err(path, `${show(v)} is not null (google.protobuf.NullValue)`);
            return;
        }
        if (typeof v === "number")
            return this.err(path, `enum ${name} given as the number ${v}: write the value's name`);
        if (typeof v === "string" && !(v in e.values) && v.toUpperCase() in e.values) {
            return this.err(
                path,
                `${show(v)} is not the name of a value of enum ${name}: Envoy matches enum names case-insensitively, but write ${v.toUpperCase()}`,
            );
        }
        if (typeof v !== "string" || !(v in e.values)) {
            return this.err(
                path,
                `${show(v)} is not a value of enum ${name} (one of ${Object.keys(e.values).join(", ")})`,
            );
        }
        const vo = (e.valuesOptions?.[v] ?? {}) as Rules;
        if (vo["deprecated"] === true) this.err(path, `enum value ${v} of ${name} is deprecated`);
        if (vo["(envoy.annotations.disallowed_by_default_enum)"] === true)
            this.err(path, `enum value ${v} of ${name} is disallowed by default`);
    }

    private scalar(type: string, v: Json, path: string): void {
        const bad = (what: string) => this.err(path, `${show(v)} is not ${what}`);
        if (type in INT_RANGES) {
            const n = asBigInt(v);
            const [lo, hi] = INT_RANGES[type]!;
            if (n === undefined) return bad(`an integer (${type})`);
            if (n < lo || n > hi) return bad(`in the range of ${type}`);
            if (typeof v === "number" && !Number.isSafeInteger(v))
                bad(`exact as a JSON number (${type}): write it as a string`);
            return;
        }
        switch (type) {
            case "double":
            case "float": {
                const n = asFloat(v);
                if (n === undefined) return bad(`a number (${type})`);
                if (type === "float" && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) bad("in the range of float");
                return;
            }
            case "bool":
                if (typeof v !== "boolean") bad("a bool (true or false)");
                return;
            case "string":
                if (typeof v !== "string") bad("a string");
                return;
            case "bytes":
                if (typeof v !== "string" || !BASE64_RE.test(v)) bad("base64 bytes");
                return;
        }
        throw new Error(`unhandled scalar type ${type} at ${path}`);
    }

    private any(v: Json, path: string): void {
        if (!isObj(v)) return this.err(path, `expected an object (google.protobuf.Any), got ${show(v)}`);
        const url = v["@type"];
        if (typeof url !== "string") return this.err(path, `google.protobuf.Any without a string "@type"`);
        const slash = url.lastIndexOf("/");
        const t = slash > 0 ? lookupType(this.root, url.slice(slash + 1)) : undefined;
        if (!t)
            return this.err(
                child(path, "@type"),
                `${show(url)} does not resolve to a message of the Envoy API (expected type.googleapis.com/<full message name>)`,
            );
        const name = strip(t.fullName);
        if (SPECIAL_JSON.has(name)) {
            for (const k of Object.keys(v))
                if (k !== "@type" && k !== "value")
                    this.err(child(path, k), `unknown field of an Any holding ${name} (only "value")`);
            if (!("value" in v)) return this.err(path, `an Any holding ${name} needs "value"`);
            return this.message(t, v["value"], child(path, "value"));
        }
        this.fields(t, v, path, new Set(["@type"]));
        if (TYPED_STRUCTS.has(name) && typeof v["type_url"] === "string") {
            const inner = v["type_url"].slice(v["type_url"].lastIndexOf("/") + 1);
            const it = lookupType(this.root, inner);
            if (!it)
                this.err(
                    child(path, "type_url"),
                    `${show(v["type_url"])} does not resolve to a message of the Envoy API`,
                );
            else if (v["value"] !== undefined) this.message(it, v["value"] ?? {}, child(path, "value"));
        }
    }

    // ---- protoc-gen-validate -----------------------------------------------------------------------

    /** Applies a field's (validate.rules). `present` = the field was given (non-null). */
    private rules(f: protobuf.Field, rules: Rules, v: Json, path: string, present: boolean): void {
        f.resolve();
        const rt = f.resolvedType;
        if (f instanceof protobuf.MapField) {
            const r = rules["map"] as Rules | undefined;
            if (!r || (present && !isObj(v))) return;
            const entries = present ? Object.entries(v as Obj) : [];
            if (r["ignore_empty"] === true && entries.length === 0) return;
            if (r["min_pairs"] !== undefined && entries.length < Number(r["min_pairs"]))
                this.err(
                    path,
                    `${present ? `has ${entries.length} entries` : "missing"}; (validate.rules).map.min_pairs = ${r["min_pairs"]}`,
                );
            if (r["max_pairs"] !== undefined && entries.length > Number(r["max_pairs"]))
                this.err(path, `has ${entries.length} entries; (validate.rules).map.max_pairs = ${r["max_pairs"]}`);
            for (const [k, x] of entries) {
                if (isObj(r["keys"])) this.itemRules(f.keyType, undefined, r["keys"], k, mapKey(path, k), "map.keys");
                if (isObj(r["values"])) this.itemRules(f.type, rt, r["values"], x, mapKey(path, k), "map.values");
            }
            return;
        }
        if (f.repeated) {
            const r = rules["repeated"] as Rules | undefined;
            if (!r || (present && !Array.isArray(v))) return;
            const items = present ? (v as Json[]) : [];
            if (r["ignore_empty"] === true && items.length === 0) return;
            if (r["min_items"] !== undefined && items.length < Number(r["min_items"]))
                this.err(
                    path,
                    `${present ? `has ${items.length} items` : "missing"}; (validate.rules).repeated.min_items = ${r["min_items"]}`,
                );
            if (r["max_items"] !== undefined && items.length > Number(r["max_items"]))
                this.err(path, `has ${items.length} items; (validate.rules).repeated.max_items = ${r["max_items"]}`);
            if (r["unique"] === true) {
                const seen = new Set<string>();
                items.forEach((x, i) => {
                    const s = JSON.stringify(x);
                    if (seen.has(s)) this.err(`${path}[${i}]`, `duplicate item; (validate.rules).repeated.unique`);
                    seen.add(s);
                });
            }
            if (isObj(r["items"]))
                items.forEach((x, i) => this.itemRules(f.type, rt, r["items"], x, `${path}[${i}]`, "repeated.items"));
            return;
        }
        // singular: an unset member of a oneof (proto3 `optional` included) is not checked
        if (!present && f.partOf) return;
        this.itemRules(f.type, rt, rules, v, path, "", present);
    }

    /** Rules for one value of a type (a field's, a repeated item's, a map key's or value's). */
    private itemRules(
        type: string,
        rt: protobuf.ReflectionObject | null | undefined,
        rules: Rules,
        v: Json,
        path: string,
        prefix: string,
        present = true,
    ): void {
        const label = (kind: string, rule: string) => `(validate.rules).${prefix ? `${prefix}.` : ""}${kind}.${rule}`;
        if (rt instanceof protobuf.Type) {
            const name = strip(rt.fullName);
            const msg = rules["message"] as Rules | undefined;
            if (!present || v === null) {
                if (msg?.["required"] === true) this.err(path, `missing; ${label("message", "required")}`);
                else if ((rules["duration"] as Rules | undefined)?.["required"] === true)
                    this.err(path, `missing; ${label("duration", "required")}`);
                else if ((rules["timestamp"] as Rules | undefined)?.["required"] === true)
                    this.err(path, `missing; ${label("timestamp", "required")}`);
                else if ((rules["any"] as Rules | undefined)?.["required"] === true)
                    this.err(path, `missing; ${label("any", "required")}`);
                return;
            }
            if (name === "google.protobuf.Duration" && isObj(rules["duration"]))
                return this.durationRules(rules["duration"], v, path, label);
            if (name === "google.protobuf.Any" && isObj(rules["any"]) && isObj(v)) {
                const r = rules["any"];
                const url = v["@type"];
                if (list(r["in"]) && !list(r["in"])!.includes(url))
                    this.err(path, `@type ${show(url)} not allowed; ${label("any", "in")} = ${show(r["in"])}`);
                if (list(r["not_in"])?.includes(url))
                    this.err(path, `@type ${show(url)} not allowed; ${label("any", "not_in")}`);
                return;
            }
            const wrapped = WRAPPERS[name];
            if (wrapped && isObj(rules[wrapped])) this.scalarRules(wrapped, rules[wrapped], v, path, label);
            return;
        }
        if (rt instanceof protobuf.Enum) {
            const r = rules["enum"] as Rules | undefined;
            if (!r) return;
            const value = present ? v : Object.keys(rt.values).find((k) => rt.values[k] === 0);
            if (typeof value !== "string" || !(value in rt.values)) {
                // a bad name is reported by the walk; an absent enum without a zero value is undefined
                if (!present && r["defined_only"] === true)
                    this.err(
                        path,
                        `missing; ${label("enum", "defined_only")} and ${strip(rt.fullName)} has no zero value`,
                    );
                return;
            }
            const n = rt.values[value]!;
            if (r["const"] !== undefined && n !== Number(r["const"]))
                this.err(path, `${value} (${n}) is not ${r["const"]}; ${label("enum", "const")}`);
            if (list(r["in"]) && !list(r["in"])!.map(Number).includes(n))
                this.err(path, `${value} (${n}) not allowed; ${label("enum", "in")} = ${show(r["in"])}`);
            if (list(r["not_in"])?.map(Number).includes(n))
                this.err(path, `${value} (${n}) not allowed; ${label("enum", "not_in")} = ${show(r["not_in"])}`);
            return;
        }
        const r = rules[type] as Rules | undefined;
        if (!r) return;
        this.scalarRules(type, r, present ? v : scalarDefault(type), path, label, present);
    }

    private durationRules(r: Rules, v: Json, path: string, label: (k: string, r: string) => string): void {
        const n = durationNanos(v);
        if (n === undefined) return; // reported by the walk
        const cmp: [string, (a: bigint, b: bigint) => boolean, string][] = [
            ["gt", (a, b) => a > b, ">"],
            ["gte", (a, b) => a >= b, ">="],
            ["lt", (a, b) => a < b, "<"],
            ["lte", (a, b) => a <= b, "<="],
        ];
        for (const [rule, ok, op] of cmp) {
            if (!isObj(r[rule])) continue;
            const b = boundNanos(r[rule]);
            if (!ok(n, b)) this.err(path, `${show(v)} must be ${op} ${Number(b) / 1e9}s; ${label("duration", rule)}`);
        }
        if (isObj(r["const"]) && n !== boundNanos(r["const"]))
            this.err(
                path,
                `${show(v)} must be ${Number(boundNanos(r["const"])) / 1e9}s; ${label("duration", "const")}`,
            );
    }

    private scalarRules(
        type: string,
        r: Rules,
        v: Json,
        path: string,
        label: (k: string, r: string) => string,
        present = true,
    ): void {
        const is = present ? show(v) : `missing (default ${show(v)})`;
        if (type === "string" || type === "bytes") {
            if (typeof v !== "string") return;
            if (r["ignore_empty"] === true && v === "") return;
            const chars = type === "string" ? [...v].length : Buffer.from(v, "base64").length;
            const bytes = type === "string" ? Buffer.byteLength(v, "utf8") : chars;
            const bounds: [string, number, (n: number, b: number) => boolean][] = [
                ["len", chars, (n, b) => n === b],
                ["min_len", chars, (n, b) => n >= b],
                ["max_len", chars, (n, b) => n <= b],
                ["len_bytes", bytes, (n, b) => n === b],
                ["min_bytes", bytes, (n, b) => n >= b],
                ["max_bytes", bytes, (n, b) => n <= b],
            ];
            for (const [rule, n, ok] of bounds) {
                if (r[rule] !== undefined && !ok(n, Number(r[rule])))
                    this.err(
                        path,
                        `${present ? `${show(v)} has length ${n}` : "missing"}; ${label(type, rule)} = ${r[rule]}`,
                    );
            }
            if (type === "string") {
                if (r["const"] !== undefined && v !== r["const"])
                    this.err(path, `${is} must be ${show(r["const"])}; ${label(type, "const")}`);
                if (list(r["in"]) && !list(r["in"])!.includes(v))
                    this.err(path, `${is} not allowed; ${label(type, "in")} = ${show(r["in"])}`);
                if (list(r["not_in"])?.includes(v)) this.err(path, `${is} not allowed; ${label(type, "not_in")}`);
                if (typeof r["prefix"] === "string" && !v.startsWith(r["prefix"]))
                    this.err(path, `${is} must start with ${show(r["prefix"])}; ${label(type, "prefix")}`);
                if (typeof r["suffix"] === "string" && !v.endsWith(r["suffix"]))
                    this.err(path, `${is} must end with ${show(r["suffix"])}; ${label(type, "suffix")}`);
                if (typeof r["contains"] === "string" && !v.includes(r["contains"]))
                    this.err(path, `${is} must contain ${show(r["contains"])}; ${label(type, "contains")}`);
                if (typeof r["pattern"] === "string" && !pattern(r["pattern"]).test(v))
                    this.err(path, `${is} does not match ${show(r["pattern"])}; ${label(type, "pattern")}`);
                const wk = r["well_known_regex"];
                if (wk === "HTTP_HEADER_NAME" || wk === "HTTP_HEADER_VALUE") {
                    const strict = r["strict"] !== false;
                    const re = !strict
                        ? HEADER_LOOSE
                        : wk === "HTTP_HEADER_NAME"
                          ? HEADER_NAME_STRICT
                          : HEADER_VALUE_STRICT;
                    if (!re.test(v))
                        this.err(
                            path,
                            `${is} is not a valid ${wk === "HTTP_HEADER_NAME" ? "HTTP header name" : "HTTP header value"}; ${label(type, "well_known_regex")} = ${wk}${strict ? "" : " (strict: false)"}`,
                        );
                }
            }
            return;
        }
        if (type === "bool") {
            if (r["const"] !== undefined && v !== r["const"])
                this.err(path, `${is} must be ${r["const"]}; ${label(type, "const")}`);
            return;
        }
        const n =
            type === "double" || type === "float" ? asFloat(v) : asBigInt(v) === undefined ? undefined : Number(v);
        if (n === undefined) return; // reported by the walk
        const cmp: [string, (a: number, b: number) => boolean, string][] = [
            ["gt", (a, b) => a > b, ">"],
            ["gte", (a, b) => a >= b, ">="],
            ["lt", (a, b) => a < b, "<"],
            ["lte", (a, b) => a <= b, "<="],
            ["const", (a, b) => a === b, "="],
        ];
        for (const [rule, ok, op] of cmp)
            if (r[rule] !== undefined && !ok(n, Number(r[rule])))
                this.err(path, `${is} must be ${op} ${r[rule]}; ${label(type, rule)}`);
        if (list(r["in"]) && !list(r["in"])!.map(Number).includes(n))
            this.err(path, `${is} not allowed; ${label(type, "in")} = ${show(r["in"])}`);
        if (list(r["not_in"])?.map(Number).includes(n)) this.err(path, `${is} not allowed; ${label(type, "not_in")}`);
    }
}
