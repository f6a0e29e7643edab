/**
 * Offline evaluation of the agentstack policy pack — the same policy objects `pulumi preview
 * --policy-pack policies` runs (policies/pack.ts), driven by engine.ts, which calls them the way
 * @pulumi/policy's analyzer does. Used by `npm run policy`, the tests and other tools.
 */
import * as fs from "fs";
import * as path from "path";
import { PACK_ARGS, POLICIES } from "../../policies/pack";
import { metaOf } from "../../policies/lib/define";
import { SecurityLevel } from "../../stacks/levels";
import { RecordedResource } from "../harness/mocks";
import { PROJECT_DIR, runProgram } from "../harness/run";
import {
    PackConfig,
    PackConfigError,
    generatePackConfig,
    loadPackConfig,
    reconcile,
    requiredLevelOf,
    withRequiredLevel,
} from "./config";
import { Diagnostic, EngineResource, EngineResult, RemediationRecord, runPolicies } from "./engine";
import { SourcedObject, manifestResources } from "./manifests";

/** One policy violation. */
export interface Violation {
    policy: string;
    level: 1 | 2 | 3;
    enforcement: "advisory" | "mandatory";
    resource: { kind: string; namespace?: string; name: string };
    message: string;
}

/** A full evaluation: violations plus what the runner knows about how it ran. */
export interface Evaluation {
    readonly violations: Violation[];
    /** The required level the pack config states. */
    readonly requiredLevel: SecurityLevel;
    /** Where the pack config came from (a file, or "generated for level N"). */
    readonly configSource: string;
    readonly remediations: RemediationRecord[];
    /** Keys of the pack config that name no policy (the CLI ignores them too). */
    readonly unknownConfigKeys: string[];
    /** Violation -> source file of its object (manifests mode), by index into `violations`. */
    readonly files: (string | undefined)[];
    /** The stack config file (stack mode). */
    readonly stackConfigFile?: string;
}

/** The environments with a pack config in policies/config. */
const ENVIRONMENTS: readonly string[] = ["dev", "staging", "prod"];

/** The pack config file of an environment. */
export function packConfigFile(env: string): string {
    return path.join(PROJECT_DIR, "policies", "config", `${env}.json`);
}

function resourceOf(r: EngineResource | undefined, stack: string): Violation["resource"] {
    if (!r) return { kind: "Stack", name: stack };
    const kind =
        typeof r.props["kind"] === "string" ? (r.props["kind"] as string) : (r.type.split(":").pop() ?? r.type);
    const meta = (r.props["metadata"] ?? {}) as Record<string, unknown>;
    const name = typeof meta["name"] === "string" ? meta["name"] : r.name;
    return { kind, ...(typeof meta["namespace"] === "string" ? { namespace: meta["namespace"] } : {}), name };
}

const levelOf = new Map(POLICIES.map((p) => [p.name, metaOf(p).level]));

function toViolation(d: Diagnostic, byUrn: Map<string, EngineResource>, stack: string): Violation {
    return {
        policy: d.policyName,
        level: levelOf.get(d.policyName) ?? 3,
        enforcement: d.enforcementLevel,
        resource: resourceOf(d.urn ? byUrn.get(d.urn) : undefined, stack),
        message: d.violation || d.message,
    };
}

function compare(a: Violation, b: Violation): number {
    const key = (v: Violation) =>
        [
            v.enforcement === "mandatory" ? "0" : "1",
            v.policy,
            v.resource.kind,
            v.resource.namespace ?? "",
            v.resource.name,
            v.message,
        ].join("\u0000");
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Runs the pack over engine resources with a pack config. */
export async function evaluateResources(
    resources: readonly EngineResource[],
    config: PackConfig,
    opts: { stack: string; configSource: string; files?: Map<string, string>; stackTags?: ReadonlyMap<string, string> },
): Promise<Evaluation> {
    const { config: reconciled, unknownKeys } = reconcile(PACK_ARGS, config);
    const result: EngineResult = await runPolicies(PACK_ARGS, resources, reconciled, opts.stackTags ?? new Map());
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    const pairs = result.diagnostics.map((d) => ({
        v: toViolation(d, byUrn, opts.stack),
        file: d.urn ? opts.files?.get(d.urn) : undefined,
    }));
    pairs.sort((a, b) => compare(a.v, b.v));
    return {
        violations: pairs.map((p) => p.v),
        files: pairs.map((p) => p.file),
        requiredLevel: requiredLevelOf(config) ?? 3,
        configSource: opts.configSource,
        remediations: result.remediations,
        unknownConfigKeys: unknownKeys,
    };
}

/** The pack config for a run: a file, or the environment's file, or one generated for the level. */
function selectPackConfig(opts: { stack?: string; level?: SecurityLevel; packConfigFile?: string }): {
    config: PackConfig;
    source: string;
} {
    let file = opts.packConfigFile;
    if (!file && opts.stack && ENVIRONMENTS.includes(opts.stack)) file = packConfigFile(opts.stack);
    if (file) {
        if (!fs.existsSync(file)) throw new PackConfigError(`policy pack config not found: ${file}`);
        const config = loadPackConfig(file);
        const rel = path.relative(process.cwd(), file) || file;
        if (opts.level !== undefined)
            return {
                config: withRequiredLevel(POLICIES, config, opts.level),
                source: `${rel} at level ${opts.level} (--level)`,
            };
        return { config, source: rel };
    }
    const level = opts.level ?? 3;
    return { config: generatePackConfig(POLICIES, level), source: `generated for level ${level}` };
}

/** Engine resources of a program run. */
function recordedResources(recorded: readonly RecordedResource[]): EngineResource[] {
    return recorded.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.inputs,
        options: {
            protect: r.options.protect,
            ignoreChanges: r.options.ignoreChanges,
            deleteBeforeReplace: r.options.deleteBeforeReplace,
            additionalSecretOutputs: r.options.additionalSecretOutputs,
        },
        ...(r.parent ? { parent: r.parent } : {}),
        dependencies: r.options.dependsOn,
    }));
}

/**
 * Evaluates a stack of this program: runs it offline in preview mode (as `pulumi preview` does in
 * CI) and evaluates the pack with the environment's pack config (policies/config/<stack>.json when
 * the stack is dev, staging or prod, else one generated for level 3); `level` overrides the level.
 */
export async function evaluateStackDetailed(
    stack: string,
    opts: { level?: SecurityLevel; configFile?: string; packConfigFile?: string; preview?: boolean } = {},
): Promise<Evaluation> {
    const { config, source } = selectPackConfig({
        stack,
        ...(opts.level ? { level: opts.level } : {}),
        ...(opts.packConfigFile ? { packConfigFile: opts.packConfigFile } : {}),
    });
    const run = await runProgram({
        stack,
        preview: opts.preview ?? true,
        ...(opts.configFile ? { configFile: opts.configFile } : {}),
    });
    const evaluation = await evaluateResources(recordedResources(run.resources), config, {
        stack,
        configSource: source,
        stackTags: new Map([
            ["pulumi:project", run.project],
            ["pulumi:runtime", "nodejs"],
        ]),
    });
    return { ...evaluation, stackConfigFile: opts.configFile ?? path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`) };
}

/** Evaluates plain Kubernetes objects (with their files, if known) at a required level or with a pack config. */
export async function evaluateManifestsDetailed(
    objects: readonly (SourcedObject | Record<string, unknown>)[],
    opts: { level?: SecurityLevel; packConfigFile?: string },
): Promise<Evaluation> {
    const { config, source } = selectPackConfig(opts);
    const { resources, files } = manifestResources(objects);
    return evaluateResources(resources, config, { stack: "manifests", configSource: source, files });
}

/** Evaluates plain Kubernetes objects (YAML as parsed, Helm output included) at a required level. */
export async function evaluateManifests(
    objects: Record<string, unknown>[],
    opts: { level: 1 | 2 | 3 },
): Promise<Violation[]> {
    return (await evaluateManifestsDetailed(objects, { level: opts.level })).violations;
}

/** Evaluates a stack of this program (see evaluateStackDetailed). */
export async function evaluateStack(stack: string, opts: { level?: 1 | 2 | 3 }): Promise<Violation[]> {
    return (await evaluateStackDetailed(stack, opts.level ? { level: opts.level } : {})).violations;
}
