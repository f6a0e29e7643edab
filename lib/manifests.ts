/**
 * Loading Kubernetes manifests from files and directories.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { asArray, asObject, compareStrings, type Obj } from "./objects";

const EXTENSIONS: ReadonlySet<string> = new Set([".yaml", ".yml", ".json"]);

/** Raised when a manifest cannot be read or parsed; the message names the file. */
export class ManifestError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ManifestError";
    }
}

function listFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
        const entries = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => compareStrings(a.name, b.name));
        for (const e of entries) {
            const p = path.join(d, e.name);
            const isDir =
                e.isDirectory() ||
                (e.isSymbolicLink() && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true);
            if (isDir) walk(p);
            else if (EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(p);
        }
    };
    walk(dir);
    return out;
}

/** Flattens `kind: List` (and `…List`) objects and arrays into their items. */
function flatten(value: unknown, file: string, out: Obj[]): void {
    if (value === null || value === undefined) return;
    const arr = asArray(value);
    if (arr !== undefined) {
        for (const v of arr) flatten(v, file, out);
        return;
    }
    const o = asObject(value);
    if (o === undefined) throw new ManifestError(`${file}: a document is not an object`);
    const items = asArray(o.items);
    if (typeof o.kind === "string" && o.kind.endsWith("List") && items !== undefined) {
        for (const it of items) flatten(it, file, out);
        return;
    }
    out.push(o);
}

function parseFile(file: string): Obj[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new ManifestError(`${file}: cannot read (${(e as Error).message})`);
    }
    const out: Obj[] = [];
    if (path.extname(file).toLowerCase() === ".json") {
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch (e) {
            throw new ManifestError(`${file}: invalid JSON (${(e as Error).message})`);
        }
        flatten(value, file, out);
        return out;
    }
    for (const doc of parseAllDocuments(text, { merge: true })) {
        if (doc.errors.length > 0) {
            throw new ManifestError(`${file}: invalid YAML (${doc.errors[0]?.message ?? "parse error"})`);
        }
        flatten(doc.toJSON(), file, out);
    }
    return out;
}

/**
 * Reads Kubernetes objects from a `.yaml`/`.yml`/`.json` file, or from every
 * such file under a directory (recursively, in sorted path order). YAML files
 * may hold several documents; `kind: List` objects (and JSON arrays) are
 * expanded into their items; empty documents are skipped. Throws a
 * `ManifestError` naming the file on any read or parse error.
 */
export function loadManifests(pathOrDir: string): Record<string, unknown>[] {
    const st = fs.statSync(pathOrDir, { throwIfNoEntry: false });
    if (st === undefined) throw new ManifestError(`${pathOrDir}: no such file or directory`);
    const files = st.isDirectory() ? listFiles(pathOrDir) : [pathOrDir];
    return files.flatMap(parseFile);
}

/** Raised when the input holds no Kubernetes object at all, or a document that is not one: a usage error (exit 2). */
export class NotKubernetesError extends ManifestError {
    constructor(message: string) {
        super(message);
        this.name = "NotKubernetesError";
    }
}

/**
 * The manifests folder of an input: a synth output directory (`manifests/` beside `resources.json` or
 * `connectivity.json`, as `npm run synth` writes it) stands for its `manifests/`; anything else is
 * itself.
 */
export function manifestInput(pathOrDir: string): string {
    if (fs.statSync(pathOrDir, { throwIfNoEntry: false })?.isDirectory() !== true) return pathOrDir;
    const inner = path.join(pathOrDir, "manifests");
    const isSynthOut =
        fs.statSync(inner, { throwIfNoEntry: false })?.isDirectory() === true &&
        ["resources.json", "connectivity.json"].some((f) => fs.existsSync(path.join(pathOrDir, f)));
    return isSynthOut ? inner : pathOrDir;
}

/** Whether a document is a Kubernetes object: a mapping with a non-empty apiVersion and kind. */
export function isKubernetesObject(o: unknown): boolean {
    const r = asObject(o);
    return (
        r !== undefined &&
        typeof r.apiVersion === "string" &&
        r.apiVersion !== "" &&
        typeof r.kind === "string" &&
        r.kind !== ""
    );
}

/**
 * The Kubernetes objects of a file, a directory or a synth output directory, each with its file.
 * Throws NotKubernetesError when a document is not a Kubernetes object, or when there is none at all
 * (an empty file, a folder without manifests): a check of nothing must not pass.
 */
export function loadKubernetesObjects(pathOrDir: string): { object: Record<string, unknown>; file: string }[] {
    const input = manifestInput(pathOrDir);
    const st = fs.statSync(input, { throwIfNoEntry: false });
    if (st === undefined) throw new ManifestError(`${input}: no such file or directory`);
    const files = st.isDirectory() ? listFiles(input) : [input];
    const out: { object: Record<string, unknown>; file: string }[] = [];
    for (const file of files) {
        parseFile(file).forEach((object, i) => {
            if (!isKubernetesObject(object)) {
                throw new NotKubernetesError(
                    `${file}: document ${i + 1} is not a Kubernetes object (it has no apiVersion and kind): give Kubernetes manifests, or a synth output directory`,
                );
            }
            out.push({ object, file });
        });
    }
    if (out.length === 0) {
        const what = st.isDirectory()
            ? files.length === 0
                ? "has no .yaml, .yml or .json file"
                : "has only empty files"
            : "is empty";
        throw new NotKubernetesError(
            `${pathOrDir}: holds no Kubernetes object (it ${what}): give a manifest file or directory, or the output directory of npm run synth`,
        );
    }
    return out;
}
