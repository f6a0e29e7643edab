/**
 * How every agentstack policy is built: its metadata (id, level, group), the config schema every
 * policy shares (required level, exemptions), and wrappers that turn a check on `K8sObject`s into a
 * real CrossGuard `ResourceValidationPolicy` / `StackValidationPolicy`.
 *
 * Levels and enforcement. Each policy has a level: the lowest security level that requires it. The
 * pack config (policies/config/<env>.json) gives every policy the environment's `requiredLevel` and
 * an `enforcementLevel`: mandatory for policies at or below the required level, advisory above it
 * (tools/policy/config.ts generates those files; a test keeps them in sync). Checks whose numbers
 * depend on the level read them from stacks/levels.ts at `checkLevel = max(policy level, required
 * level)`. Without any config every policy is mandatory and `requiredLevel` defaults to 3.
 *
 * Exemptions exist only in the pack config: `exemptions: [{ resource: "Kind/namespace/name", reason }]`
 * under the policy's key, reason mandatory. `forbidExemptions: true` (prod) turns every exemption
 * into a violation of its own. No annotation or label can switch a policy off.
 *
 * Pure: no side effects at import.
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { LEVEL_TABLE, LevelProfile, SecurityLevel } from "../../stacks/levels";
import { K8sObject, TemplateError, k8sObject } from "./k8s";
import { PSA_CHECKS, PsaCheckId } from "./pss";
import { StackView, Unresolvable } from "./stack";
import { Unverifiable, formatPath } from "./values";

/** The policy groups of REQUIREMENTS.md. */
type Group =
    | "pod"
    | "secrets"
    | "availability"
    | "zerotrust"
    | "network"
    | "exposure"
    | "identity"
    | "stateful"
    | "observability";

export const GROUP_TITLES: Readonly<Record<Group, string>> = {
    pod: "Pod hardening",
    secrets: "Secrets",
    availability: "Availability",
    zerotrust: "Zero trust",
    network: "Network",
    exposure: "Exposure",
    identity: "Identity",
    stateful: "Stateful data",
    observability: "Observability",
};

/** What the docs, the runner and the config generator know about a policy. */
export interface PolicyMeta {
    /** The policy id (CrossGuard policy name). */
    readonly name: string;
    /** The lowest security level that requires it. */
    readonly level: SecurityLevel;
    readonly group: Group;
    /** One line: what it checks. */
    readonly description: string;
    /** How to fix a violation. */
    readonly fix: string;
    /** Advisory at every level (a recommendation the user must act on, e.g. image digests). */
    readonly advisoryOnly?: boolean;
    /** Has a `remediateResource` (enabled by `enforcementLevel: remediate` in the pack config). */
    readonly remediable?: boolean;
    /** Resource policy (one object at a time) or stack policy (across objects). */
    readonly kind: "resource" | "stack";
    /** The Pod Security Standards controls it implements (Pod Security Admission check ids); none = agentstack checklist. */
    readonly pss?: readonly PsaCheckId[];
}

/** An exemption entry of the pack config. */
interface Exemption {
    readonly resource: string;
    readonly reason: string;
}

/** A policy's settings, from the pack config. */
interface Settings {
    readonly requiredLevel: SecurityLevel;
    readonly exemptions: readonly Exemption[];
    readonly forbidExemptions: boolean;
}

/** Exemption resource pattern: `Kind/name` (cluster-scoped) or `Kind/namespace/name`. */
const EXEMPTION_RESOURCE_PATTERN = "^[A-Za-z][A-Za-z0-9]*/[^/\\s]+(/[^/\\s]+)?$";
/** Minimum length of an exemption reason. */
const MIN_REASON = 10;

/** The config schema every agentstack policy declares (the engine fills in the defaults). */
const CONFIG_SCHEMA: PolicyConfigSchema = {
    properties: {
        requiredLevel: {
            type: "integer",
            enum: [1, 2, 3],
            default: 3,
            description:
                "The security level this environment requires (1 dev, 2 staging, 3 prod). The pack never trusts the program's own agentstack:securityLevel.",
        },
        forbidExemptions: {
            type: "boolean",
            default: false,
            description: "When true, every exemption is ignored and reported as a violation (production).",
        },
        exemptions: {
            type: "array",
            default: [],
            description:
                "Objects this policy does not apply to: { resource: 'Kind/namespace/name' or 'Kind/name', reason }.",
            items: {
                type: "object",
                properties: {
                    resource: { type: "string", pattern: EXEMPTION_RESOURCE_PATTERN },
                    reason: { type: "string", minLength: MIN_REASON },
                },
                required: ["resource", "reason"],
                additionalProperties: false,
            },
        },
    },
};

/** Settings from `getConfig()`, with the schema's defaults for anything missing or malformed. */
function readSettings(config: Record<string, unknown>): Settings {
    const lvl = config["requiredLevel"];
    const requiredLevel: SecurityLevel = lvl === 1 || lvl === 2 || lvl === 3 ? lvl : 3;
    const raw = Array.isArray(config["exemptions"]) ? (config["exemptions"] as unknown[]) : [];
    const exemptions: Exemption[] = raw.map((e) => {
        const o = (e && typeof e === "object" ? e : {}) as Record<string, unknown>;
        return {
            resource: typeof o["resource"] === "string" ? o["resource"] : "",
            reason: typeof o["reason"] === "string" ? o["reason"] : "",
        };
    });
    return { requiredLevel, exemptions, forbidExemptions: config["forbidExemptions"] === true };
}

/** The level whose numbers a policy checks: its own level, or the required level if higher. */
function checkLevelOf(meta: Pick<PolicyMeta, "level">, settings: Pick<Settings, "requiredLevel">): SecurityLevel {
    return Math.max(meta.level, settings.requiredLevel) as SecurityLevel;
}

/** The enforcement level a policy has at a required level. */
export function enforcementAt(
    meta: Pick<PolicyMeta, "level" | "advisoryOnly">,
    requiredLevel: SecurityLevel,
): "mandatory" | "advisory" {
    return !meta.advisoryOnly && meta.level <= requiredLevel ? "mandatory" : "advisory";
}

/** Tags carried by the policy object (visible to the CLI and the runner). */
function tagsOf(meta: PolicyMeta): string[] {
    return [
        "agentstack",
        `group:${meta.group}`,
        `level:${meta.level}`,
        ...(meta.advisoryOnly ? ["advisory-only"] : []),
        ...(meta.remediable ? ["remediable"] : []),
        ...(meta.pss ?? []).map((id) => `pss:${PSA_CHECKS[id]}:${id}`),
    ];
}

/** The PSS controls named by a policy's tags (`pss:<baseline|restricted>:<check id>`). */
function pssFromTags(tags: readonly string[] | undefined): PsaCheckId[] {
    return (tags ?? [])
        .filter((t) => t.startsWith("pss:"))
        .map((t) => t.split(":")[2] as PsaCheckId)
        .filter((id) => Object.prototype.hasOwnProperty.call(PSA_CHECKS, id));
}

/** Reads level and group back from a policy's tags. */
function metaFromTags(
    tags: readonly string[] | undefined,
): { level: SecurityLevel; group: Group; advisoryOnly: boolean } | undefined {
    const level = Number(tags?.find((t) => t.startsWith("level:"))?.slice(6));
    const group = tags?.find((t) => t.startsWith("group:"))?.slice(6) as Group | undefined;
    if ((level !== 1 && level !== 2 && level !== 3) || !group) return undefined;
    return { level, group, advisoryOnly: tags?.includes("advisory-only") ?? false };
}

/** Per-evaluation context handed to a check. */
export class Ctx {
    private readonly valid: Exemption[];

    constructor(
        readonly meta: PolicyMeta,
        readonly settings: Settings,
        private readonly reportViolation: ReportViolation,
        private readonly mode: "resource" | "stack",
    ) {
        this.valid = settings.exemptions.filter((e) => isValidExemption(e));
    }

    /** The level whose numbers this evaluation checks. */
    get checkLevel(): SecurityLevel {
        return checkLevelOf(this.meta, this.settings);
    }

    /** The level-table row of `checkLevel`. */
    get profile(): LevelProfile {
        return LEVEL_TABLE[this.checkLevel];
    }

    /** `level 3` — for messages. */
    get levelText(): string {
        return `level ${this.checkLevel}`;
    }

    /** True when a (valid, allowed) exemption covers the object. */
    exempted(obj: K8sObject): boolean {
        if (this.settings.forbidExemptions) return false;
        return this.valid.some((e) => e.resource === obj.id);
    }

    /** Reports a violation about an object (or the stack when undefined), unless an exemption covers it. */
    report(obj: K8sObject | undefined, message: string): void {
        if (obj && this.exempted(obj)) return;
        const text = obj ? `${obj.display}: ${message}` : message;
        if (this.mode === "resource") this.reportViolation(text);
        else this.reportViolation(text, obj?.urn);
    }

    /**
     * Runs a check; a value unknown during preview, a reference that cannot be resolved or an
     * unreadable sidecar template becomes a "could not verify" violation instead of a silent pass.
     */
    guard(obj: K8sObject | undefined, what: string, fn: () => void): void {
        try {
            fn();
        } catch (e) {
            if (e instanceof Unverifiable) {
                this.report(
                    obj,
                    `could not verify ${what}: ${formatPath(e.path) || "a value it depends on"} is unknown during preview, so this policy cannot pass it; it is checked again on the update (pulumi up runs the pack with known values)`,
                );
            } else if (e instanceof Unresolvable) {
                this.report(obj, `could not verify ${what}: ${e.message}`);
            } else if (e instanceof TemplateError) {
                this.report(
                    obj,
                    `the sidecar template ${e.message}: the injected sidecar cannot be checked; fix the envoy-injector component (config key: none; it follows agentstack:securityLevel)`,
                );
            } else {
                throw e;
            }
        }
    }

    /** Reports problems of the exemption config itself: for a resource policy only those naming `obj`. */
    checkExemptionConfig(obj: K8sObject | undefined): void {
        for (const e of this.settings.exemptions) {
            if (obj && e.resource !== obj.id) continue;
            const where = `pack config "${this.meta.name}".exemptions (${e.resource || "<no resource>"})`;
            if (!isValidExemption(e)) {
                this.reportRaw(
                    obj,
                    `${where}: an exemption needs a resource ("Kind/namespace/name" or "Kind/name") and a reason of at least ${MIN_REASON} characters; it is ignored`,
                );
            } else if (this.settings.forbidExemptions) {
                this.reportRaw(
                    obj,
                    `${where}: this environment forbids exemptions (forbidExemptions: true), so it is ignored and the object is checked; remove the exemption and fix the object (reason given: "${e.reason}")`,
                );
            }
        }
    }

    private reportRaw(obj: K8sObject | undefined, message: string): void {
        const text = obj ? `${obj.display}: ${message}` : message;
        if (this.mode === "resource") this.reportViolation(text);
        else this.reportViolation(text, obj?.urn);
    }
}

function isValidExemption(e: Exemption): boolean {
    return new RegExp(EXEMPTION_RESOURCE_PATTERN).test(e.resource) && e.reason.trim().length >= MIN_REASON;
}

function basePolicy(meta: PolicyMeta): {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema: PolicyConfigSchema;
    tags: string[];
    remediationSteps: string;
    severity: "low" | "medium" | "high";
} {
    return {
        name: meta.name,
        description: meta.description,
        enforcementLevel: meta.advisoryOnly ? "advisory" : "mandatory",
        configSchema: CONFIG_SCHEMA,
        tags: tagsOf(meta),
        remediationSteps: meta.fix,
        severity: meta.advisoryOnly
            ? "low"
            : meta.group === "availability" || meta.group === "stateful"
              ? "medium"
              : "high",
    };
}

/** An agentstack policy: the CrossGuard object plus its metadata. */
export type AgentstackPolicy = (ResourceValidationPolicy | StackValidationPolicy) & { readonly tags: string[] };

/** Definition of a resource policy. */
interface ResourceRule {
    readonly meta: Omit<PolicyMeta, "kind">;
    /** Which objects it checks (must not throw; use the *Loose accessors). */
    readonly appliesTo: (obj: K8sObject) => boolean;
    /** Why other objects are not applicable. */
    readonly notApplicable: string;
    /** The check. */
    readonly validate: (obj: K8sObject, ctx: Ctx) => void;
    /** A safe mechanical fix; mutate `args.props` in place (through the engine's proxies) and return it, or undefined. */
    readonly remediate?: (args: ResourceValidationArgs) => Record<string, unknown> | undefined;
}

/** Builds a CrossGuard resource policy from a rule. */
export function resourcePolicy(rule: ResourceRule): AgentstackPolicy & ResourceValidationPolicy {
    const meta: PolicyMeta = { ...rule.meta, kind: "resource", ...(rule.remediate ? { remediable: true } : {}) };
    const policy: ResourceValidationPolicy & { tags: string[] } = {
        ...basePolicy(meta),
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const obj = k8sObject(args.type, args.props, args.urn, args.opts?.protect === true);
            if (!obj || !rule.appliesTo(obj)) return args.notApplicable(rule.notApplicable);
            const ctx = new Ctx(
                meta,
                readSettings(args.getConfig<Record<string, unknown>>()),
                reportViolation,
                "resource",
            );
            ctx.checkExemptionConfig(obj);
            rule.validate(obj, ctx);
        },
    };
    if (rule.remediate) {
        const remediate = rule.remediate;
        policy.remediateResource = (args: ResourceValidationArgs) => {
            const obj = k8sObject(args.type, args.props, args.urn, args.opts?.protect === true);
            if (!obj || !rule.appliesTo(obj)) return args.notApplicable(rule.notApplicable);
            return remediate(args);
        };
    }
    return policy;
}

/** Definition of a stack policy. */
interface StackRule {
    readonly meta: Omit<PolicyMeta, "kind">;
    /** The check over every resource of the stack. */
    readonly validate: (stack: StackView, ctx: Ctx, args: StackValidationArgs) => void;
}

/**
 * Stack views by the resource list they were built from: an engine that hands the stack policies one
 * list (the offline engine does; see tools/policy/engine.ts) gets one view, and the network rules one
 * connectivity model, instead of one per policy. Views and the objects in them are never written to.
 */
const views = new WeakMap<readonly PolicyResource[], StackView>();

function stackViewOf(resources: readonly PolicyResource[]): StackView {
    let view = views.get(resources);
    if (!view) {
        view = new StackView(resources);
        views.set(resources, view);
    }
    return view;
}

/**
 * The common shape of a stack check over some objects: none at all makes the policy not applicable
 * (`none` is the reason); otherwise `check` runs on each under `ctx.guard` (`what`: what is checked, for
 * its "could not verify" message).
 */
export function checkEach(
    ctx: Ctx,
    args: Pick<StackValidationArgs, "notApplicable">,
    objs: readonly K8sObject[],
    none: string,
    what: string,
    check: (obj: K8sObject) => void,
): void {
    if (objs.length === 0) return args.notApplicable(none);
    for (const obj of objs) ctx.guard(obj, what, () => check(obj));
}

/** Builds a CrossGuard stack policy from a rule. */
export function stackPolicy(rule: StackRule): AgentstackPolicy & StackValidationPolicy {
    const meta: PolicyMeta = { ...rule.meta, kind: "stack" };
    return {
        ...basePolicy(meta),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const stack = stackViewOf(args.resources as PolicyResource[]);
            const ctx = new Ctx(
                meta,
                readSettings(args.getConfig<Record<string, unknown>>()),
                reportViolation,
                "stack",
            );
            ctx.checkExemptionConfig(undefined);
            rule.validate(stack, ctx, args);
        },
    };
}

/** Metadata of a built policy (from its tags). */
export function metaOf(p: AgentstackPolicy): PolicyMeta {
    const t = metaFromTags(p.tags);
    if (!t) throw new Error(`policy ${p.name} has no level/group tags`);
    return {
        name: p.name,
        level: t.level,
        group: t.group,
        description: p.description,
        fix: p.remediationSteps ?? "",
        ...(t.advisoryOnly ? { advisoryOnly: true } : {}),
        ...(p.tags.includes("remediable") ? { remediable: true } : {}),
        ...(pssFromTags(p.tags).length > 0 ? { pss: pssFromTags(p.tags) } : {}),
        kind: "validateStack" in p ? "stack" : "resource",
    };
}
