/**
 * The pack config (`--policy-pack-config` files, policies/config/<env>.json): generating it from the
 * policy list, reading it, and reconciling it with the policies exactly as the Pulumi CLI does
 * (pkg/resource/analyzer/config.go, ReconcilePolicyPackConfig):
 *
 * - start from each policy's enforcementLevel and its config schema's `default`s;
 * - `all` sets the enforcementLevel of every policy (its other properties reach no policy);
 * - an entry named after a policy sets that policy's enforcementLevel and properties;
 * - a string value is just an enforcement level;
 * - the result is validated against each policy's schema (type object, properties + the injected
 *   `enforcementLevel` enum, required).
 */
import * as fs from "fs";
import Ajv from "ajv";
import type { EnforcementLevel, PolicyPackArgs } from "@pulumi/policy";
import { AgentstackPolicy, enforcementAt, metaOf } from "../../policies/lib/define";
import { SecurityLevel } from "../../stacks/levels";

/** A pack config as written in a file: policy name (or `all`) to an enforcement level or an object. */
export type PackConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** Per policy: its enforcement level and properties after reconciliation (what the analyzer receives). */
export type ReconciledConfig = Record<
    string,
    { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }
>;

/** A pack config the CLI would reject (exit code 2 in the runner). */
export class PackConfigError extends Error {}

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];

/** Options of a generated config. */
interface GenerateOptions {
    /** Report every exemption as a violation (production). */
    readonly forbidExemptions?: boolean;
    /** Turn on the remediations of the remediable mandatory policies. */
    readonly remediate?: boolean;
}

/**
 * The pack config of an environment that requires `level`: per policy its enforcement (mandatory at
 * or below the level, advisory above, remediate where asked) and the shared properties.
 */
export function generatePackConfig(
    policies: readonly AgentstackPolicy[],
    level: SecurityLevel,
    opts: GenerateOptions = {},
): PackConfig {
    const out: PackConfig = { all: level === 1 ? "advisory" : "mandatory" };
    for (const p of policies) {
        const meta = metaOf(p);
        const enforcement = enforcementAt(meta, level);
        out[p.name] = {
            enforcementLevel:
                opts.remediate && meta.remediable && enforcement === "mandatory" ? "remediate" : enforcement,
            requiredLevel: level,
            forbidExemptions: opts.forbidExemptions ?? false,
        };
    }
    return out;
}

/** The same config at another required level (exemptions and flags kept; enforcement recomputed). */
export function withRequiredLevel(
    policies: readonly AgentstackPolicy[],
    config: PackConfig,
    level: SecurityLevel,
): PackConfig {
    const out: PackConfig = { ...config, all: level === 1 ? "advisory" : "mandatory" };
    for (const p of policies) {
        const meta = metaOf(p);
        const entry = config[p.name];
        const obj = entry && typeof entry === "object" ? entry : {};
        const enforcement = enforcementAt(meta, level);
        const remediate =
            (typeof entry === "string" ? entry : obj.enforcementLevel) === "remediate" && enforcement === "mandatory";
        out[p.name] = { ...obj, enforcementLevel: remediate ? "remediate" : enforcement, requiredLevel: level };
    }
    return out;
}

/** Reads a pack config file. */
export function loadPackConfig(file: string): PackConfig {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new PackConfigError(`cannot read the policy pack config ${file}: ${(e as Error).message}`);
    }
    if (text.trim() === "") return {};
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw new PackConfigError(`${file} is not JSON: ${(e as Error).message}`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
        throw new PackConfigError(`${file}: the pack config must be a JSON object keyed by policy name`);
    return parsed as PackConfig;
}

/** The required level a config states (its policies' `requiredLevel`), or undefined. */
export function requiredLevelOf(config: PackConfig): SecurityLevel | undefined {
    for (const [k, v] of Object.entries(config)) {
        if (k === "all" || !v || typeof v !== "object") continue;
        const l = v["requiredLevel"];
        if (l === 1 || l === 2 || l === 3) return l;
    }
    return undefined;
}

interface Normalized {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

/** parsePolicyPackConfig of the CLI. */
function normalize(config: PackConfig): Record<string, Normalized> {
    const out: Record<string, Normalized> = {};
    for (const [k, v] of Object.entries(config)) {
        if (typeof v === "string") {
            if (!LEVELS.includes(v))
                throw new PackConfigError(
                    `parsing enforcement level for "${k}": "${v}" is not a valid enforcement level`,
                );
            out[k] = { enforcementLevel: v };
            continue;
        }
        if (!v || typeof v !== "object" || Array.isArray(v))
            throw new PackConfigError(`parsing "${k}": must be a string or object`);
        const { enforcementLevel, ...props } = v;
        if (
            enforcementLevel !== undefined &&
            (typeof enforcementLevel !== "string" || !LEVELS.includes(enforcementLevel))
        ) {
            throw new PackConfigError(
                `parsing enforcement level for "${k}": ${JSON.stringify(enforcementLevel)} is not a valid enforcement level`,
            );
        }
        if (enforcementLevel === undefined && Object.keys(props).length === 0) continue;
        out[k] = {
            ...(enforcementLevel ? { enforcementLevel } : {}),
            ...(Object.keys(props).length > 0 ? { properties: props } : {}),
        };
    }
    return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** ReconcilePolicyPackConfig of the CLI (defaults, `all`, per-policy entries, schema validation). */
export function reconcile(
    pack: PolicyPackArgs,
    config: PackConfig,
): { config: ReconciledConfig; unknownKeys: string[] } {
    const given = normalize(config);
    const result: ReconciledConfig = {};
    for (const p of pack.policies) {
        const props: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {})) {
            if (s && typeof s === "object" && "default" in s) props[k] = structuredClone(s.default);
        }
        result[p.name] = {
            enforcementLevel: p.enforcementLevel ?? pack.enforcementLevel ?? "advisory",
            properties: props,
        };
    }
    const all = given["all"];
    if (all?.enforcementLevel) for (const v of Object.values(result)) v.enforcementLevel = all.enforcementLevel;
    const unknownKeys: string[] = [];
    for (const [name, g] of Object.entries(given)) {
        if (name === "all") continue;
        const r = result[name];
        if (!r) {
            unknownKeys.push(name);
            continue;
        }
        if (g.enforcementLevel) r.enforcementLevel = g.enforcementLevel;
        Object.assign(r.properties, g.properties ?? {});
    }
    const errors: string[] = [];
    for (const p of pack.policies) {
        if (!p.configSchema) continue;
        const schema = {
            type: "object",
            properties: { ...p.configSchema.properties, enforcementLevel: { type: "string", enum: LEVELS } },
            ...(p.configSchema.required ? { required: p.configSchema.required } : {}),
        };
        let validate = compiled.get(p.configSchema);
        if (!validate) {
            validate = ajv.compile(schema);
            compiled.set(p.configSchema, validate);
        }
        if (!validate(result[p.name]!.properties)) {
            for (const e of validate.errors ?? [])
                errors.push(`${p.name}: ${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
        }
    }
    if (errors.length > 0)
        throw new PackConfigError(`policy pack configuration is invalid:\n  - ${errors.join("\n  - ")}`);
    return { config: result, unknownKeys };
}

/** What each environment's pack config says (policies/config/<env>.json is generated from this). */
export const ENVIRONMENT_CONFIG: Readonly<Record<string, { readonly level: SecurityLevel } & GenerateOptions>> = {
    dev: { level: 1, remediate: true },
    staging: { level: 2 },
    prod: { level: 3, forbidExemptions: true },
};

/**
 * The config of an environment as its file should read: generated, with the exemptions the file
 * already lists kept (they are the one hand-edited part).
 */
export function environmentConfig(
    policies: readonly AgentstackPolicy[],
    env: string,
    existing: PackConfig = {},
): PackConfig {
    const settings = ENVIRONMENT_CONFIG[env];
    if (!settings)
        throw new PackConfigError(`unknown environment ${env} (known: ${Object.keys(ENVIRONMENT_CONFIG).join(", ")})`);
    const out = generatePackConfig(policies, settings.level, settings);
    for (const [name, entry] of Object.entries(out)) {
        const old = existing[name];
        if (
            entry &&
            typeof entry === "object" &&
            old &&
            typeof old === "object" &&
            Array.isArray(old["exemptions"]) &&
            old["exemptions"].length > 0
        ) {
            out[name] = { ...entry, exemptions: old["exemptions"] };
        }
    }
    return out;
}
