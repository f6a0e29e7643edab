/**
 * Reads a stack's configuration offline the way the Pulumi engine hands it to the program:
 * project-level defaults from Pulumi.yaml, then the stack file; structured values as JSON strings;
 * every key holding a `secure:` value (at any depth) listed as secret. Encrypted values cannot be
 * decrypted here, so they become a fixed placeholder — they are redacted in every output anyway.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

/**
 * The project root: the nearest folder holding Pulumi.yaml, from this module's folder up — the same
 * folder whether this file runs from its source (tools/harness) or from the CLI bundle (dist/).
 */
export const PROJECT_DIR = findProjectDir(__dirname);

function findProjectDir(start: string): string {
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) return path.resolve(start, "..", "..");
    }
}

/** Placeholder for an encrypted config value. */
const SECRET_PLACEHOLDER = "offline-secret-placeholder";

/** Config as the engine passes it: full keys to strings, and the secret keys. */
export interface EngineConfig {
    readonly project: string;
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
}

/** A usage problem with the stack or its files (the CLI turns it into exit code 2). */
export class StackFileError extends Error {}

function hasSecure(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(hasSecure);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o["secure"] === "string") return true;
        return Object.values(o).some(hasSecure);
    }
    return false;
}

function decryptPlaceholders(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(decryptPlaceholders);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (Object.keys(o).length === 1 && typeof o["secure"] === "string") return SECRET_PLACEHOLDER;
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decryptPlaceholders(x)]));
    }
    return v;
}

function toEngineString(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function readYaml(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) throw new StackFileError(`config file not found: ${file}`);
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        // A YAML error names the file, line and column (like a compiler), then the parser's excerpt.
        if (e instanceof YAML.YAMLParseError) {
            const pos = e.linePos?.[0];
            const [first, ...excerpt] = e.message.split("\n");
            const what = (first ?? "").replace(/ at line \d+, column \d+:?$/, "");
            const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
            const shown = excerpt
                .filter((l) => l.trim() !== "")
                .map((l) => `    ${l}`)
                .join("\n");
            throw new StackFileError(
                `${where}: invalid YAML: ${what}${shown ? `\n${shown}` : ""}\n  Fix the file (YAML is indented with spaces; quote values that contain ': ' or start with a special character).`,
            );
        }
        throw e;
    }
    if (doc === null || doc === undefined) return {};
    if (typeof doc !== "object" || Array.isArray(doc)) throw new StackFileError(`${file}: expected a YAML mapping`);
    return doc as Record<string, unknown>;
}

/**
 * The engine config of a stack.
 * @param projectDir folder of Pulumi.yaml
 * @param stack stack name (selects Pulumi.<stack>.yaml unless configFile is given)
 * @param configFile an explicit stack config file (like `pulumi --config-file`)
 */
export function loadEngineConfig(projectDir: string, stack: string, configFile?: string): EngineConfig {
    const project = readYaml(path.join(projectDir, "Pulumi.yaml"));
    const projectName = typeof project["name"] === "string" ? project["name"] : "project";
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const fullKey = (k: string) => (k.includes(":") ? k : `${projectName}:${k}`);

    const declared = (project["config"] ?? {}) as Record<string, unknown>;
    for (const [k, decl] of Object.entries(declared)) {
        const d =
            decl && typeof decl === "object" && !Array.isArray(decl)
                ? (decl as Record<string, unknown>)
                : { default: decl };
        const dv = d["value"] ?? d["default"];
        if (dv !== undefined) values[fullKey(k)] = toEngineString(dv);
    }
    const file = configFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
    const stackDoc = readYaml(file);
    const cfg = stackDoc["config"] ?? {};
    if (typeof cfg !== "object" || Array.isArray(cfg)) throw new StackFileError(`${file}: 'config' must be a mapping`);
    for (const [k, v] of Object.entries(cfg as Record<string, unknown>)) {
        const key = fullKey(k);
        if (hasSecure(v)) secretKeys.push(key);
        values[key] = toEngineString(decryptPlaceholders(v));
    }
    // A declared key with no default that the stack does not set is an engine error.
    for (const [k, decl] of Object.entries(declared)) {
        const d = decl && typeof decl === "object" && !Array.isArray(decl) ? (decl as Record<string, unknown>) : {};
        if (values[fullKey(k)] === undefined && d["default"] === undefined && d["value"] === undefined) {
            throw new StackFileError(
                `Stack '${stack}' is missing configuration value '${fullKey(k)}' (declared in Pulumi.yaml): set it with pulumi config set ${fullKey(k)} <value>`,
            );
        }
    }
    return { project: projectName, values, secretKeys };
}
