/**
 * `npm run policy -- (--stack <name> | --manifests <dir or file>) [--level 1|2|3] [--format text|json|sarif]
 *                    [--policy-pack-config <file>] [--config-file <Pulumi.x.yaml>]`
 *
 * Evaluates the agentstack policy pack offline — the same policy objects the Pulumi CLI runs — on
 * the program's resources (`--stack`, run in preview mode) or on any Kubernetes YAML (`--manifests`,
 * Helm output included).
 *
 * Level: `--level` overrides; else the stack's policies/config/<stack>.json for dev, staging, prod;
 * else 3. Exit codes: 0 no mandatory violation, 1 a mandatory violation, 2 usage or config error.
 */
import * as fs from "fs";
import { parseFlags, runCli, UsageError } from "./cli";
import { ManifestError } from "../lib/manifests";
import { PackConfigError } from "./policy/config";
import { formatJson, formatSarif, formatText } from "./policy/format";
import { loadSourcedManifests } from "./policy/manifests";
import { Evaluation, evaluateManifestsDetailed, evaluateStackDetailed } from "./policy/run";

const USAGE =
    "usage: npm run policy -- (--stack <name> | --manifests <dir or file>) [--level 1|2|3] [--format text|json|sarif] [--policy-pack-config <file>] [--config-file <Pulumi.x.yaml>]";

/** The policy command. */
export async function main(argv: string[]): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const flags = parseFlags(argv, ["stack", "manifests", "level", "format", "policy-pack-config", "config-file"]);
    if (!flags["stack"] === !flags["manifests"])
        throw new UsageError(`give exactly one of --stack <name> or --manifests <dir or file>\n${USAGE}`);
    const format = flags["format"] ?? "text";
    if (!["text", "json", "sarif"].includes(format))
        throw new UsageError(`--format must be text, json or sarif (got "${format}")`);
    let level: 1 | 2 | 3 | undefined;
    if (flags["level"] !== undefined) {
        if (!["1", "2", "3"].includes(flags["level"]))
            throw new UsageError(`--level must be 1, 2 or 3 (got "${flags["level"]}")`);
        level = Number(flags["level"]) as 1 | 2 | 3;
    }
    if (flags["config-file"] && !flags["stack"]) throw new UsageError("--config-file applies to --stack only");
    const packConfigFile = flags["policy-pack-config"];
    if (packConfigFile && !fs.existsSync(packConfigFile))
        throw new UsageError(`--policy-pack-config: ${packConfigFile} not found`);

    let evaluation: Evaluation;
    try {
        if (flags["stack"]) {
            evaluation = await evaluateStackDetailed(flags["stack"], {
                ...(level ? { level } : {}),
                ...(flags["config-file"] ? { configFile: flags["config-file"] } : {}),
                ...(packConfigFile ? { packConfigFile } : {}),
            });
        } else {
            const objects = loadSourcedManifests(flags["manifests"]!);
            evaluation = await evaluateManifestsDetailed(objects, {
                ...(level ? { level } : {}),
                ...(packConfigFile ? { packConfigFile } : {}),
            });
        }
    } catch (e) {
        if (e instanceof ManifestError || e instanceof PackConfigError) throw new UsageError(e.message);
        throw e;
    }
    const out =
        format === "json"
            ? formatJson(evaluation)
            : format === "sarif"
              ? formatSarif(evaluation)
              : formatText(evaluation);
    process.stdout.write(out);
    return evaluation.violations.some((v) => v.enforcement === "mandatory") ? 1 : 0;
}

if (require.main === module) runCli("policy", main);
