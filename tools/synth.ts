/**
 * `npm run synth -- --stack <name> [--config-file <Pulumi.x.yaml>] --out <dir>`
 *
 * Runs the program offline and writes every Kubernetes object it would create, one per file, at
 * `<dir>/manifests/<namespace or _cluster>/<Kind>-<name>.yaml`, plus `<dir>/resources.json` and the
 * connectivity report `<dir>/connectivity.json` / `<dir>/connectivity.md`.
 * Bad config: exit code 2 and a message naming the key.
 */
import * as fs from "fs";
import * as path from "path";
import { runCli, parseFlags, UsageError } from "./cli";
import { ConfigError } from "../stacks/errors";
import { ResolvedPlatform, resolvePlatform } from "../stacks/resolve";
import { locateIssues } from "./configLocate";
import type { RunResult } from "./harness/run";
import { PROJECT_DIR, loadEngineConfig } from "./harness/stackConfig";
import { connectivityReport } from "./harness/connectivityReport";
import { inventoryEntry, manifestPath, manifestsOf, toYaml } from "./harness/render";

/**
 * Makes `dir` hold exactly `files` (paths relative to it, `/`-separated): removes every entry that is
 * neither one of them nor a folder on the way to one. Files that stay are overwritten by the caller,
 * not removed first: re-rendering a large stack into the same folder costs no unlink per file.
 */
function pruneTo(dir: string, files: readonly string[]): void {
    const keepFiles = new Set(files);
    const keepDirs = new Set<string>();
    for (const f of files) for (let d = path.posix.dirname(f); d !== "."; d = path.posix.dirname(d)) keepDirs.add(d);
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
        throw e;
    }
    for (const e of entries) {
        const rel = path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/");
        const keep = e.isDirectory() ? keepDirs.has(rel) : e.isFile() && keepFiles.has(rel);
        // A removed folder takes its contents along: later entries below it are already gone.
        if (!keep) fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
    }
}

/**
 * Writes `text` to `file` unless the file already holds exactly that text: re-rendering a stack into
 * the same folder rewrites only what changed (reading and comparing a file costs far less than
 * truncating and rewriting it), and an unchanged file keeps its modification time.
 */
function writeIfChanged(file: string, text: string): void {
    const next = Buffer.from(text, "utf8");
    let current: Buffer | undefined;
    try {
        current = fs.readFileSync(file);
    } catch {
        current = undefined; // missing (or unreadable: the write below says why)
    }
    // Bytes against bytes: no decoding of the old file, and no string of it on the heap.
    if (!current?.equals(next)) fs.writeFileSync(file, next);
}

/**
 * Writes a run's outputs below `out`; `out/manifests` ends up holding exactly this run's objects.
 * Returns the output's files. Everything is rendered before the first file is touched: a failure
 * leaves the folder as it was.
 */
export function writeSynthOutput(result: RunResult, out: string): string[] {
    const seen = new Set<string>();
    const manifests = manifestsOf(result.resources);
    const files = manifests.map((obj) => {
        const rel = manifestPath(obj);
        if (seen.has(rel)) throw new Error(`two objects would be written to ${rel}`);
        seen.add(rel);
        return { rel, text: toYaml(obj) };
    });
    const inventory = result.resources.map(inventoryEntry);
    const report = connectivityReport(manifests, result);
    const manifestsDir = path.join(out, "manifests");
    fs.mkdirSync(out, { recursive: true });
    pruneTo(manifestsDir, [...seen]);
    const written: string[] = [];
    const made = new Set<string>();
    for (const { rel, text } of files) {
        const file = path.join(manifestsDir, rel);
        const dir = path.dirname(file);
        if (!made.has(dir)) {
            fs.mkdirSync(dir, { recursive: true });
            made.add(dir);
        }
        writeIfChanged(file, text);
        written.push(file);
    }
    writeIfChanged(path.join(out, "resources.json"), `${JSON.stringify(inventory, null, 2)}\n`);
    written.push(path.join(out, "resources.json"));
    writeIfChanged(path.join(out, "connectivity.json"), `${JSON.stringify(report.entries, null, 2)}\n`);
    writeIfChanged(path.join(out, "connectivity.md"), report.markdown);
    written.push(path.join(out, "connectivity.json"), path.join(out, "connectivity.md"));
    return written;
}

/** A path as the user would type it: relative to the working directory when inside it. */
function displayPath(p: string): string {
    const rel = path.relative(process.cwd(), p);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/** The synth command. */
export async function main(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, ["stack", "config-file", "out"]);
    if (!flags["stack"]) throw new UsageError("--stack <name> is required");
    if (!flags["out"]) throw new UsageError("--out <dir> is required");
    // Check the config before loading the Pulumi SDK: a bad config fails fast, and nothing is written.
    const config = loadEngineConfig(PROJECT_DIR, flags["stack"], flags["config-file"]);
    const stackFile = flags["config-file"] ?? path.join(PROJECT_DIR, `Pulumi.${flags["stack"]}.yaml`);
    let resolved: ResolvedPlatform;
    try {
        resolved = resolvePlatform(config);
    } catch (e) {
        // Each issue points at the line of the stack file (or of Pulumi.yaml) that sets the key.
        if (e instanceof ConfigError)
            throw locateIssues(e, [displayPath(stackFile), displayPath(path.join(PROJECT_DIR, "Pulumi.yaml"))]);
        throw e;
    }
    const { runProgram } = await import("./harness/run");
    const result = await runProgram({ stack: flags["stack"], config, resolved });
    const files = writeSynthOutput(result, flags["out"]);
    process.stdout.write(
        `synth: stack ${result.stack}: ${files.length - 3} Kubernetes objects, ${result.resources.length} resources -> ${flags["out"]}\n`,
    );
    return 0;
}

if (require.main === module) runCli("synth", main);
