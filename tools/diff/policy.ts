/**
 * Policy verdicts that a change introduces or resolves. The evaluator is injected (tests use a fake);
 * the CLI passes `evaluateManifests` of tools/policy/run.ts. Both sides are evaluated by the same
 * (working tree's) policy pack at the same level — the level the stack requires — so the difference
 * is what the change of manifests does, not a change of the pack or of the level.
 */
import * as fs from "fs";
import * as path from "path";
import { loadEngineConfig } from "../harness/stackConfig";
import { KubeObject, PolicyDiff, PolicyViolation, SynthTree } from "./types";

/** The signature of `evaluateManifests` in tools/policy/run.ts. */
export type Evaluator = (
    objects: Record<string, unknown>[],
    opts: { level: 1 | 2 | 3 },
) => Promise<readonly PolicyViolation[]>;

/** Identity of a verdict: policy, resource and message (enforcement follows from the level, the same on both sides). */
function violationKey(v: PolicyViolation): string {
    return [v.policy, v.resource.kind, v.resource.namespace ?? "", v.resource.name, v.message].join("\u0000");
}

function sortViolations(list: PolicyViolation[]): PolicyViolation[] {
    const rank = (v: PolicyViolation) => (v.enforcement === "mandatory" ? 0 : 1);
    return list.sort((a, b) => rank(a) - rank(b) || (violationKey(a) < violationKey(b) ? -1 : 1));
}

/** The verdicts in `head` but not in `base` (introduced) and the reverse (resolved). */
function diffViolations(
    base: readonly PolicyViolation[],
    head: readonly PolicyViolation[],
): { introduced: PolicyViolation[]; resolved: PolicyViolation[] } {
    const bk = new Set(base.map(violationKey));
    const hk = new Set(head.map(violationKey));
    const uniq = (l: readonly PolicyViolation[]) => [...new Map(l.map((v) => [violationKey(v), v])).values()];
    return {
        introduced: sortViolations(uniq(head).filter((v) => !bk.has(violationKey(v)))),
        resolved: sortViolations(uniq(base).filter((v) => !hk.has(violationKey(v)))),
    };
}

/** Evaluates both trees at `level` and diffs the verdicts; an evaluator error becomes a note, not a failure. */
export async function policyDiff(
    evaluate: Evaluator | undefined,
    base: SynthTree,
    head: SynthTree,
    level: { level: 1 | 2 | 3; source: string } | undefined,
): Promise<PolicyDiff> {
    if (!evaluate)
        return {
            evaluated: false,
            note: "policy verdicts not evaluated: no policy evaluator (tools/policy/run.ts) is available",
            introduced: [],
            resolved: [],
        };
    if (!level)
        return {
            evaluated: false,
            note: "policy verdicts not evaluated: the stack's required level is unknown",
            introduced: [],
            resolved: [],
        };
    try {
        const copy = (objs: readonly KubeObject[]) => objs.map((o) => structuredClone(o) as Record<string, unknown>);
        const b = base.objects.length > 0 ? await evaluate(copy(base.objects), { level: level.level }) : [];
        const h = head.objects.length > 0 ? await evaluate(copy(head.objects), { level: level.level }) : [];
        return { evaluated: true, level: level.level, levelSource: level.source, ...diffViolations(b, h) };
    } catch (e) {
        return {
            evaluated: false,
            level: level.level,
            levelSource: level.source,
            note: `policy verdicts not evaluated: the policy pack failed: ${e instanceof Error ? e.message : String(e)}`,
            introduced: [],
            resolved: [],
        };
    }
}

const LEVEL_KEY = /^required(Security)?Level$/;

function asLevel(v: unknown): 1 | 2 | 3 | undefined {
    const n = typeof v === "string" && /^[123]$/.test(v.trim()) ? Number(v) : v;
    return n === 1 || n === 2 || n === 3 ? n : undefined;
}

function collectLevels(doc: unknown, out: (1 | 2 | 3)[]): void {
    if (Array.isArray(doc)) {
        for (const x of doc) collectLevels(x, out);
    } else if (doc && typeof doc === "object") {
        for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
            const l = LEVEL_KEY.test(k) ? asLevel(v) : undefined;
            if (l) out.push(l);
            else collectLevels(v, out);
        }
    }
}

/**
 * The required level in a policy pack config (`{ "<policy>": { "enforcementLevel": ..., "requiredLevel": 3 } }`,
 * or a top-level `requiredLevel`): the highest `requiredLevel` it names, undefined when it names none.
 */
export function levelInPolicyConfig(doc: unknown): 1 | 2 | 3 | undefined {
    const levels: (1 | 2 | 3)[] = [];
    collectLevels(doc, levels);
    return levels.length > 0 ? (Math.max(...levels) as 1 | 2 | 3) : undefined;
}

/**
 * The level a stack must meet: from the policy pack's own config (`policies/config/<stack>.json`) when
 * it names one — the pack does not trust the program's level setting — else the stack file's
 * `agentstack:securityLevel`.
 */
export function requiredLevel(projectDir: string, stack: string): { level: 1 | 2 | 3; source: string } | undefined {
    const cfg = path.join("policies", "config", `${stack}.json`);
    const cfgFile = path.join(projectDir, cfg);
    if (fs.existsSync(cfgFile)) {
        try {
            const l = levelInPolicyConfig(JSON.parse(fs.readFileSync(cfgFile, "utf8")));
            if (l) return { level: l, source: cfg };
        } catch {
            // An unreadable policy config falls back to the stack file.
        }
    }
    const stackFile = `Pulumi.${stack}.yaml`;
    if (!fs.existsSync(path.join(projectDir, stackFile))) return undefined;
    try {
        // The stack's config as the engine hands it to the program (Pulumi.yaml defaults included).
        const l = asLevel(loadEngineConfig(projectDir, stack).values["agentstack:securityLevel"]);
        return l ? { level: l, source: `${stackFile} (agentstack:securityLevel)` } : undefined;
    } catch {
        return undefined;
    }
}
