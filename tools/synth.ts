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
 * Writes a run's outputs below `out` (the folder is replaced). Returns the files written. Everything is
 * rendered before the first file is touched: a failure leaves the folder as it was.
 */
export function writeSynthOutput(result: RunResult, out: string): string[] {
    const seen = new Set<string>();
    const manifests = manifestsOf(result.resources);
    const files = manifests.map((obj) => {
        const rel = manifestPath(obj);
        if (seen.has(rel)) throw new Error(`two objects would be written to ${rel}`);
        seen.add(rel);
        return { file: path.join(out, "manifests", rel), text: toYaml(obj) };
    });
    const inventory = result.resources.map(inventoryEntry);
    const report = connectivityReport(manifests, result);
    fs.mkdirSync(out, { recursive: true });
    fs.rmSync(path.join(out, "manifests"), { recursive: true, force: true });
    const written: string[] = [];
    for (const { file, text } of files) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        written.push(file);
    }
    fs.writeFileSync(path.join(out, "resources.json"), `${JSON.stringify(inventory, null, 2)}\n`);
    written.push(path.join(out, "resources.json"));
    fs.writeFileSync(path.join(out, "connectivity.json"), `${JSON.stringify(report.entries, null, 2)}\n`);
    fs.writeFileSync(path.join(out, "connectivity.md"), report.markdown);
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
