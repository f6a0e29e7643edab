/**
 * Reading a synth output tree (`<dir>/manifests/**.yaml` + `<dir>/resources.json`) and naming its
 * objects. Secret values are redacted by synth already; `scrub` redacts once more, defensively, so
 * that a tree written by an older synth (a base commit) can never put a secret into a report.
 */
import * as fs from "fs";
import * as path from "path";
import { loadManifests } from "../../lib/manifests";
import { InventoryEntry, KubeObject, SynthTree } from "./types";

/** What a secret value is shown as (the same text as synth's REDACTED). */
export const SECRET_TEXT = "[secret]";

export const EMPTY_TREE: SynthTree = { objects: [], resources: [] };

/** kind, namespace and name of an object. */
export function objectRef(obj: KubeObject): { kind: string; namespace?: string; name: string } {
    const meta = (obj["metadata"] ?? {}) as Record<string, unknown>;
    const ns = typeof meta["namespace"] === "string" && meta["namespace"] !== "" ? meta["namespace"] : undefined;
    return { kind: String(obj["kind"]), ...(ns ? { namespace: ns } : {}), name: String(meta["name"]) };
}

/** The key of an object: `Kind/namespace/name`, or `Kind/name` when cluster-scoped. */
export function objectId(obj: KubeObject): string {
    const r = objectRef(obj);
    return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

const PEM_SECRET = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function scrubValue(v: unknown): unknown {
    if (typeof v === "string") return PEM_SECRET.test(v) ? SECRET_TEXT : v;
    if (Array.isArray(v)) return v.map(scrubValue);
    if (v && typeof v === "object")
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, scrubValue(x)]));
    return v;
}

/** Redacts every value of a Secret's data/stringData and any private key anywhere. */
function scrub(obj: KubeObject): KubeObject {
    const out = scrubValue(obj) as KubeObject;
    if (out["kind"] === "Secret") {
        for (const field of ["data", "stringData"]) {
            const d = out[field];
            if (d && typeof d === "object" && !Array.isArray(d))
                out[field] = Object.fromEntries(Object.keys(d).map((k) => [k, SECRET_TEXT]));
        }
    }
    return out;
}

/** Builds a tree from objects and inventory entries (scrubbed). */
export function makeTree(objects: readonly KubeObject[], resources: readonly InventoryEntry[] = []): SynthTree {
    return {
        objects: objects.map(scrub),
        resources: resources.map((r) => ({ ...r, inputs: scrubValue(r.inputs) as Record<string, unknown> })),
    };
}

/** Reads a synth output folder (its manifests with the one manifest loader, lib/manifests.ts). */
export function readSynthTree(dir: string): SynthTree {
    const manifests = path.join(dir, "manifests");
    const objects = fs.existsSync(manifests) ? (loadManifests(manifests) as KubeObject[]) : [];
    const inv = path.join(dir, "resources.json");
    const resources: InventoryEntry[] = fs.existsSync(inv)
        ? (JSON.parse(fs.readFileSync(inv, "utf8")) as InventoryEntry[])
        : [];
    return makeTree(objects, resources);
}

/** True for inventory entries that are Kubernetes objects (the ones synth writes as manifests). */
export function isKubernetesEntry(r: InventoryEntry): boolean {
    return r.custom && r.type.startsWith("kubernetes:") && typeof r.inputs["kind"] === "string";
}

/** The inventory entries of Kubernetes objects, by object id. */
export function entriesByObject(resources: readonly InventoryEntry[]): Map<string, InventoryEntry> {
    const out = new Map<string, InventoryEntry>();
    for (const r of resources) if (isKubernetesEntry(r)) out.set(objectId(r.inputs), r);
    return out;
}
