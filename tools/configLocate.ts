/**
 * Where a config key is written: `<file>:<line>:<col>` of its value in a stack file, so that every
 * config error points at the line to fix (the message itself names the key and the fix).
 */
import * as fs from "fs";
import { LineCounter, isMap, isSeq, parseDocument, type Node } from "yaml";
import { CONFIG_NAMESPACE, ConfigError, ConfigIssue } from "../stacks/errors";

/** `agentstack:agents[0].name` → ["agentstack:agents", 0, "name"] (undefined when it is no key path). */
function keyPath(key: string): (string | number)[] | undefined {
    const prefix = `${CONFIG_NAMESPACE}:`;
    if (!key.startsWith(prefix)) return undefined;
    const rest = key.slice(prefix.length);
    const out: (string | number)[] = [];
    const re = /([^.[\]]+)|\[(\d+)\]/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest)) !== null) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
    if (out.length === 0) return undefined;
    out[0] = `${prefix}${out[0]}`;
    return out;
}

function child(node: unknown, seg: string | number): Node | undefined {
    if (isSeq(node) && typeof seg === "number") return node.items[seg] as Node | undefined;
    if (isMap(node)) {
        for (const pair of node.items) {
            const k = (pair.key as { value?: unknown } | null)?.value;
            if (String(k) === String(seg)) return (pair.value ?? pair.key) as Node | undefined;
        }
    }
    return undefined;
}

/**
 * The position of a key's value in a stack file: the deepest part of its path the file holds (an
 * unknown or missing leaf points at its parent). Undefined when the file does not mention the key.
 */
function locateKey(file: string, text: string, key: string): string | undefined {
    const path = keyPath(key);
    if (!path) return undefined;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    if (doc.errors.length > 0) return undefined;
    const config = child(doc.contents, "config");
    const top = String(path[0]);
    let node = child(config, top) ?? child(config, top.slice(CONFIG_NAMESPACE.length + 1));
    if (!node) return undefined;
    for (const seg of path.slice(1)) {
        const next = child(node, seg);
        if (!next) break;
        node = next;
    }
    const offset = node.range?.[0];
    if (offset === undefined) return undefined;
    const pos = lines.linePos(offset);
    return `${file}:${pos.line}:${pos.col}`;
}

/** The same ConfigError with each issue located in the first file that mentions its key. */
export function locateIssues(e: ConfigError, files: readonly string[]): ConfigError {
    const texts = files.flatMap((f) => (fs.existsSync(f) ? [{ file: f, text: fs.readFileSync(f, "utf8") }] : []));
    const issues: ConfigIssue[] = e.issues.map((i) => {
        if (i.where) return i;
        for (const { file, text } of texts) {
            const where = locateKey(file, text, i.key);
            if (where) return { ...i, where };
        }
        return i;
    });
    return new ConfigError(issues);
}
