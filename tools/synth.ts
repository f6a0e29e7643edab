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
import { resolvePlatformSpec } from "../stacks/resolve";
import type { RunResult } from "./harness/run";
import { PROJECT_DIR, loadEngineConfig } from "./harness/stackConfig";
import { connectivityReport } from "./harness/connectivityReport";
import { inventoryEntry, manifestPath, manifestsOf, toYaml } from "./harness/render";

/** Writes a run's outputs below `out` (the folder is replaced). Returns the files written. */
export function writeSynthOutput(result: RunResult, out: string): string[] {
    fs.rmSync(path.join(out, "manifests"), { recursive: true, force: true });
    const written: string[] = [];
    const seen = new Map<string, number>();
    const manifests = manifestsOf(result.resources);
    for (const obj of manifests) {
        const rel = manifestPath(obj);
        if (seen.has(rel)) throw new Error(`two objects would be written to ${rel}`);
        seen.set(rel, 1);
        const file = path.join(out, "manifests", rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, toYaml(obj));
        written.push(file);
    }
    const inventory = result.resources.map(inventoryEntry);
    fs.writeFileSync(path.join(out, "resources.json"), `${JSON.stringify(inventory, null, 2)}\n`);
    written.push(path.join(out, "resources.json"));
    const report = connectivityReport(manifests, result.spec);
    fs.writeFileSync(path.join(out, "connectivity.json"), `${JSON.stringify(report.entries, null, 2)}\n`);
    fs.writeFileSync(path.join(out, "connectivity.md"), report.markdown);
    written.push(path.join(out, "connectivity.json"), path.join(out, "connectivity.md"));
    return written;
}

/** The synth command. */
export async function main(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, ["stack", "config-file", "out"]);
    if (!flags["stack"]) throw new UsageError("--stack <name> is required");
    if (!flags["out"]) throw new UsageError("--out <dir> is required");
    // Check the config before loading the Pulumi SDK: a bad config fails fast, and nothing is written.
    const config = loadEngineConfig(PROJECT_DIR, flags["stack"], flags["config-file"]);
    resolvePlatformSpec(config);
    const { runProgram } = await import("./harness/run");
    const result = await runProgram({ stack: flags["stack"], config });
    fs.mkdirSync(flags["out"], { recursive: true });
    const files = writeSynthOutput(result, flags["out"]);
    process.stdout.write(`synth: stack ${result.stack}: ${files.length - 3} Kubernetes objects, ${result.resources.length} resources -> ${flags["out"]}\n`);
    return 0;
}

if (require.main === module) runCli("synth", main);
