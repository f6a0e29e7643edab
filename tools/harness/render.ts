/**
 * Turns recorded resources into what a reviewer and the checks read: plain Kubernetes objects with
 * secrets redacted and a deterministic key order, and the resources.json inventory.
 */
import { createHmac } from "crypto";
import YAML from "yaml";
import { RecordedResource } from "./mocks";
import { fastYaml } from "./yamlFast";

/** What a secret value becomes in every output. */
const REDACTED = "[secret]";
/** What an unknown (preview) value becomes. */
const UNKNOWN_TEXT = "[unknown]";
const TOP_ORDER = ["apiVersion", "kind", "metadata", "type", "immutable", "spec", "data", "stringData"];
const META_ORDER = ["name", "namespace", "labels", "annotations"];

function orderKeys(o: Record<string, unknown>, first: readonly string[]): string[] {
    const keys = Object.keys(o);
    return [...first.filter((k) => keys.includes(k)), ...keys.filter((k) => !first.includes(k)).sort()];
}
/**
 * `sortKeys(redact(v), depth, parentKey)` in one pass: one copy of every object instead of two (the
 * synth of a large stack renders every resource twice — manifest and inventory — so the copies add up).
 */
function redactSorted(v: unknown, depth = 0, parentKey = ""): unknown {
    if (Array.isArray(v)) return v.map((x) => redactSorted(x, depth + 1, parentKey));
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("$secret" in o) return REDACTED;
        if ("$unknown" in o) return UNKNOWN_TEXT;
        const first = depth === 0 ? TOP_ORDER : parentKey === "metadata" ? META_ORDER : [];
        const out: Record<string, unknown> = {};
        for (const k of orderKeys(o, first)) out[k] = redactSorted(o[k], depth + 1, k);
        return out;
    }
    return v;
}

/** True for resources the Kubernetes provider turns into an object of the cluster. */
function isKubernetesObject(r: RecordedResource): boolean {
    return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:");
}

/** The keys of a Secret's data map, whether the map itself or each value is marked secret. */
function secretDataKeys(v: unknown): string[] {
    const inner =
        v && typeof v === "object" && "$secret" in (v as Record<string, unknown>)
            ? (v as { $secret: unknown }).$secret
            : v;
    return inner && typeof inner === "object" && !Array.isArray(inner)
        ? Object.keys(inner as Record<string, unknown>)
        : [];
}

/** The Kubernetes object a resource would create, redacted, keys ordered. A Secret keeps its keys, never a value. */
function toManifest(r: RecordedResource): Record<string, unknown> {
    const inputs = { ...r.inputs };
    if (inputs["kind"] === "Secret") {
        for (const field of ["data", "stringData"]) {
            if (inputs[field] !== undefined)
                inputs[field] = Object.fromEntries(secretDataKeys(inputs[field]).map((k) => [k, REDACTED]));
        }
    }
    return redactSorted(inputs) as Record<string, unknown>;
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

/** YAML text of an object (the same text as the yaml library's, faster where fastYaml applies). */
export function toYaml(obj: unknown): string {
    return fastYaml(obj) ?? YAML.stringify(obj, { lineWidth: 0, sortMapEntries: false });
}

/**
 * The environment variable through which `npm run diff` hands both renders of one comparison the same
 * random key (hex, at least 32 bytes) for the Secret value digests. Never printed, never stored.
 */
export const SECRET_DIGEST_KEY_ENV = "AGENTSTACK_SECRET_DIGEST_KEY";

/** Removes `$secret` markers, keeping the value (`$unknown` stays). */
function unwrapSecrets(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("$secret" in o) return unwrapSecrets(o["$secret"]);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/**
 * A keyed digest (HMAC-SHA256) of every value of a Secret, by key of its normalized `data` — the
 * provider normalizes a Secret before diffing (`stringData` base64-encoded into `data`, which it
 * overrides: clients.normalizeSecret of pulumi-kubernetes provider/pkg/clients/unstructured.go), so
 * the digest is of the value's bytes, wherever it was given. The message includes the object and the
 * key, so equal values under different keys do not look alike. An unknown value digests to `unknown`.
 * Undefined without a key, for other kinds, or when the Secret has no values.
 */
function secretDigests(r: RecordedResource, key: Buffer): Record<string, string> | undefined {
    if (!isKubernetesObject(r) || r.inputs["kind"] !== "Secret") return undefined;
    const inputs = unwrapSecrets(r.inputs) as Record<string, unknown>;
    const meta = (inputs["metadata"] ?? {}) as Record<string, unknown>;
    const id = `${String(meta["namespace"] ?? "")}/${String(meta["name"] ?? "")}`;
    const values = new Map<string, Buffer | "unknown">();
    const add = (field: string, decode: (s: string) => Buffer) => {
        const m = inputs[field];
        if (m && typeof m === "object" && "$unknown" in (m as object)) {
            values.set("*", "unknown");
            return;
        }
        if (!m || typeof m !== "object" || Array.isArray(m)) return;
        for (const [k, v] of Object.entries(m as Record<string, unknown>))
            values.set(k, typeof v === "string" ? decode(v) : "unknown");
    };
    add("data", (s) => Buffer.from(s.trim(), "base64"));
    add("stringData", (s) => Buffer.from(s, "utf8"));
    if (values.size === 0) return undefined;
    const out: Record<string, string> = {};
    for (const k of [...values.keys()].sort()) {
        const v = values.get(k)!;
        out[k] =
            v === "unknown"
                ? "unknown"
                : createHmac("sha256", key).update(`${id}\u0000${k}\u0000`).update(v).digest("hex");
    }
    return out;
}

/** The digest key from the environment, or undefined when none (or a malformed one) is set. */
function digestKey(): Buffer | undefined {
    const hex = process.env[SECRET_DIGEST_KEY_ENV];
    if (!hex || !/^(?:[0-9a-f]{2}){32,}$/i.test(hex)) return undefined;
    return Buffer.from(hex, "hex");
}

/**
 * The resources.json inventory entry of a resource. When `npm run diff` sets a digest key
 * (SECRET_DIGEST_KEY_ENV), a Secret's entry also carries `secretDigests` (see secretDigests).
 */
export function inventoryEntry(r: RecordedResource): Record<string, unknown> {
    const key = digestKey();
    const digests = key ? secretDigests(r, key) : undefined;
    // Redacting the whole entry redacts its inputs: nothing else in it holds a marker.
    return redactSorted(
        {
            type: r.type,
            name: r.name,
            urn: r.urn,
            parent: r.parent ?? null,
            custom: r.custom,
            options: r.options,
            inputs: r.inputs,
            ...(digests ? { secretDigests: digests } : {}),
        },
        1,
    ) as Record<string, unknown>;
}
