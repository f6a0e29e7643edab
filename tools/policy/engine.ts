/**
 * An offline stand-in for the Pulumi engine's side of CrossGuard: it calls the pack's policy
 * objects exactly as @pulumi/policy's analyzer server (server.js, v1.21.0) does when the CLI asks it
 * to Remediate, Analyze and AnalyzeStack — without the CLI, gRPC or a cluster.
 *
 * Faithful to server.js:
 * - props are deserialized like deserializeProperties (undefined top-level values dropped, secrets
 *   unwrapped — or wrapped in `Secret` behind `secretsPreservingProxy` for remediations) and wrapped
 *   in the real `unknownCheckingProxy`; unknown values arrive as the engine's unknown sentinel;
 * - `isType`/`asType` compare the type token (`__pulumiType`, else `isInstance`);
 * - `getConfig()` returns the policy's reconciled config without `enforcementLevel`;
 * - `notApplicable()` throws, and is recorded, never reported;
 * - enforcement: config (after reconciliation) || policy || pack default; `disabled` skips;
 *   `remediate` runs `remediateResource` first and reports validation violations as mandatory;
 * - an `UnknownValueError` escaping a policy becomes an advisory "can't run policy ... during
 *   preview" diagnostic; any other error fails the run (the CLI fails the update);
 * - reportViolation: `description` + "\n" + message, or the object form;
 * - stack policies get every resource with parent and dependencies linked.
 * Shared where server.js rebuilds (nothing a policy can observe, as validations only read): a
 * resource's props (and its options) are deserialized once for all its policies, resource and stack
 * policies alike, and the stack's resource list is built once for all stack policies — so the pack
 * reads each object once, not once per policy. Props for remediation are made only when a policy
 * remediates.
 * Differences (documented in docs/policies.md): stack policies see the resources' inputs (the CLI
 * passes outputs, which for Kubernetes objects in preview are the inputs plus unknown status
 * fields); no provider resource is passed; resources are visited in URN order.
 */
import {
    PolicyResource,
    ResourceValidationPolicy,
    Secret,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { secretsPreservingProxy } from "@pulumi/policy/secret";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { EnforcementLevel, PolicyPackArgs, PolicyResourceOptions, ReportViolation } from "@pulumi/policy";
import { ReconciledConfig } from "./config";

// The proxy's special keys (@pulumi/policy proxy.js; not in its typings).

const proxyModule = require("@pulumi/policy/proxy") as {
    isSpecialProxy: string;
    getSpecialProxyTarget: string;
    UnknownValueError: new (...a: unknown[]) => Error;
};
// The type token of a resource class, as server.js reads it (@pulumi/policy policy.js; not in its typings).

const { getPulumiType } = require("@pulumi/policy/policy") as { getPulumiType: (cls: unknown) => string | undefined };

/** The engine's wire value of an unknown (computed) property: the SDK's own constant, which proxy.js's `unknownStringValue` equals (test/pins.test.ts). */
export const UNKNOWN_SENTINEL = unknownValue;

/** A resource as the engine would send it: inputs as plain JSON with `$secret` / `$unknown` markers. */
export interface EngineResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly props: Record<string, unknown>;
    readonly options: {
        readonly protect: boolean;
        readonly ignoreChanges?: readonly string[];
        readonly deleteBeforeReplace?: boolean;
        readonly additionalSecretOutputs?: readonly string[];
        readonly aliases?: readonly string[];
    };
    /** URN of the parent resource. */
    readonly parent?: string;
    /** URNs of the resources it depends on. */
    readonly dependencies?: readonly string[];
}

/** One diagnostic, as the analyzer returns it. */
export interface Diagnostic {
    readonly policyName: string;
    /** The full message the CLI prints (description, newline, message). */
    readonly message: string;
    /** The message the policy passed (without the description). */
    readonly violation: string;
    readonly description: string;
    readonly enforcementLevel: "advisory" | "mandatory";
    /** The resource: the analyzed one for resource policies, the reported URN for stack policies. */
    readonly urn?: string;
    /** Raised by the runner itself (a policy that could not run during preview). */
    readonly engine?: boolean;
}

/** A remediation that changed a resource. */
export interface RemediationRecord {
    readonly policyName: string;
    readonly urn: string;
    readonly diagnostic?: string;
}

interface NotApplicableRecord {
    readonly policyName: string;
    readonly urn?: string;
    readonly reason?: string;
}

export interface EngineResult {
    readonly diagnostics: Diagnostic[];
    readonly remediations: RemediationRecord[];
    readonly notApplicable: NotApplicableRecord[];
    /** The resources after remediation. */
    readonly resources: EngineResource[];
}

/** A policy threw: the CLI would fail the operation. */
export class PolicyRunError extends Error {}

/**
 * What `notApplicable()` throws. Not an Error: it is thrown for every policy an object is out of the
 * scope of (most pairs), and a stack trace nobody reads would be most of its cost.
 */
class NotApplicable {
    constructor(readonly reason?: string) {}
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

/** That a policy does not apply (to the resource `urn`, or to the stack), with the reason when there is one. */
function notApplicableRecord(policyName: string, reason: string | undefined, urn?: string): NotApplicableRecord {
    return { policyName, ...(urn !== undefined ? { urn } : {}), ...(reason ? { reason } : {}) };
}

/** The advisory a policy gets when it reads a value unknown during preview (as the engine words it). */
function previewDiagnostic(p: { name: string; description: string }, e: Error, urn?: string): Diagnostic {
    const text = `can't run policy '${p.name}' during preview: ${e.message}`;
    return {
        policyName: p.name,
        message: text,
        violation: text,
        description: p.description,
        enforcementLevel: "advisory",
        ...(urn !== undefined ? { urn } : {}),
        engine: true,
    };
}

function isUnknownValueError(e: unknown): e is Error {
    return (
        e instanceof proxyModule.UnknownValueError ||
        (e instanceof Error && e.constructor?.name === "UnknownValueError")
    );
}

/** deserializeProperty of server.js for our marker format. */
function deserialize(v: unknown, proxySecrets: boolean): unknown {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => deserialize(x, proxySecrets));
    const o = v as Record<string, unknown>;
    if ("$unknown" in o && Object.keys(o).length === 1) return UNKNOWN_SENTINEL;
    if ("$secret" in o && Object.keys(o).length === 1) {
        const inner = deserialize(o["$secret"], proxySecrets);
        return proxySecrets ? new Secret(inner) : inner;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = deserialize(x, proxySecrets);
    return out;
}

/** deserializeProperties of server.js: top-level undefined dropped; secretsPreservingProxy for remediations. */
export function deserializeProperties(props: Record<string, unknown>, proxySecrets: boolean): Record<string, unknown> {
    let out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) if (v !== undefined) out[k] = deserialize(v, proxySecrets);
    if (proxySecrets) out = secretsPreservingProxy(out) as Record<string, unknown>;
    return out;
}

/** serializeProperty of deserialize.js, back to our marker format (proxies unwrapped, secrets and unknowns marked). */
export function serializeProperties(v: unknown): unknown {
    if (v === undefined || v === null || typeof v === "boolean" || typeof v === "number") return v;
    if (typeof v === "string") return v === UNKNOWN_SENTINEL ? { $unknown: true } : v;
    const o = v as Record<string, unknown>;
    if (o[proxyModule.isSpecialProxy]) return serializeProperties(o[proxyModule.getSpecialProxyTarget]);
    if (v instanceof Secret) return { $secret: serializeProperties(v.value) };
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : serializeProperties(x)));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
        const x = serializeProperties(o[k]);
        if (x !== undefined) out[k] = x;
    }
    return out;
}

/** getPulumiType of policy.js, called as server.js calls it. */
function pulumiTypeOf(cls: unknown): string | undefined {
    return getPulumiType(cls);
}

/** isTypeOf of server.js. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const t = pulumiTypeOf(resourceClass);
    if (t) return type === t;
    const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean }).isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function optionsOf(r: EngineResource): PolicyResourceOptions {
    const o: PolicyResourceOptions = {
        protect: r.options.protect,
        ignoreChanges: [...(r.options.ignoreChanges ?? [])],
        aliases: [...(r.options.aliases ?? [])],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(r.options.additionalSecretOutputs ?? [])],
    };
    if (r.options.deleteBeforeReplace !== undefined) o.deleteBeforeReplace = r.options.deleteBeforeReplace;
    if (r.parent) o.parent = r.parent;
    return o;
}

type AnyPolicy = (ResourceValidationPolicy | StackValidationPolicy) & {
    name: string;
    description: string;
    enforcementLevel?: EnforcementLevel;
};

function isResourcePolicy(p: AnyPolicy): p is ResourceValidationPolicy {
    const v = (p as ResourceValidationPolicy).validateResource;
    if (typeof v === "function") return true;
    if (Array.isArray(v)) return v.every((f) => typeof f === "function");
    return typeof (p as ResourceValidationPolicy).remediateResource === "function";
}

function isStackPolicy(p: AnyPolicy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** The config and enforcement of a policy, as server.js reads them after `configure`. */
function enforcementOf(p: AnyPolicy, pack: PolicyPackArgs, config: ReconciledConfig): EnforcementLevel {
    return config[p.name]?.enforcementLevel || p.enforcementLevel || pack.enforcementLevel || "advisory";
}

function getConfigFun(config: ReconciledConfig, name: string): <T extends object>() => T {
    return <T extends object>() => ({ ...(config[name]?.properties ?? {}) }) as T;
}

function reportFun(
    p: AnyPolicy,
    level: "advisory" | "mandatory",
    ds: Diagnostic[],
    fixedUrn?: string,
): ReportViolation {
    return ((message: unknown, urn?: string) => {
        if (message && typeof message === "object") {
            const info = message as {
                name?: string;
                message?: string;
                description?: string;
                urn?: string;
                enforcementLevel?: "advisory" | "mandatory";
            };
            ds.push({
                policyName: info.name || p.name,
                message: info.message || info.description || p.description,
                violation: info.message || "",
                description: info.description || p.description,
                enforcementLevel: info.enforcementLevel || level,
                ...((fixedUrn ?? info.urn) ? { urn: (fixedUrn ?? info.urn)! } : {}),
            });
            return;
        }
        const text = typeof message === "string" ? message : "";
        const target = fixedUrn ?? urn;
        ds.push({
            policyName: p.name,
            message: text ? `${p.description}\n${text}` : p.description,
            violation: text,
            description: p.description,
            enforcementLevel: level,
            ...(target ? { urn: target } : {}),
        });
    }) as ReportViolation;
}

function effectiveLevel(e: EnforcementLevel): "advisory" | "mandatory" {
    return e === "remediate" || e === "mandatory" ? "mandatory" : "advisory";
}

/** What outcomeOf returns when the policy neither threw nor rejected. */
const NO_ERROR: unique symbol = Symbol("no error");

/** An error a policy threw synchronously (see call). */
class Thrown {
    constructor(readonly error: unknown) {}
}

/** Calls a policy function; its synchronous throw comes back as a Thrown. */
function call(fn: (...a: unknown[]) => unknown, ...args: unknown[]): unknown {
    try {
        return fn(...args);
    } catch (e) {
        return new Thrown(e);
    }
}

/**
 * A policy function's outcome: NO_ERROR, or what it threw, or (for an asynchronous policy) a Pending
 * to await. Synchronous results are not awaited, and a synchronous throw is caught in a small frame
 * (`notApplicable()` throws, for most object/policy pairs).
 */
function outcomeOf(fn: (...a: unknown[]) => unknown, ...args: unknown[]): unknown {
    const result = call(fn, ...args);
    if (result instanceof Thrown) return result.error;
    if (!isThenable(result)) return NO_ERROR;
    return new Pending(
        Promise.resolve(result).then(
            () => NO_ERROR,
            (e: unknown) => e,
        ),
    );
}

/** An asynchronous policy's outcome, still to be awaited. */
class Pending {
    constructor(readonly outcome: Promise<unknown>) {}
}

/** True for a promise-like result: only those are awaited (most validations are synchronous, and a turn of the microtask queue each adds up). */
function isThenable(result: unknown): result is PromiseLike<unknown> {
    return (
        result !== null &&
        (typeof result === "object" || typeof result === "function") &&
        typeof (result as PromiseLike<unknown>).then === "function"
    );
}

/** The resources as stack policies receive them: props deserialized and proxied, parent and dependencies linked. */
function stackResources(
    resources: readonly EngineResource[],
    propsOf: readonly (() => Record<string, unknown>)[],
): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const list: PolicyResource[] = resources.map((r, i) => {
        const props = propsOf[i]!();
        const res: PolicyResource = {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optionsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: ((cls: unknown) => isTypeOf(r.type, cls)) as PolicyResource["isType"],
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
        byUrn.set(r.urn, res);
        return res;
    });
    resources.forEach((r, i) => {
        const res = list[i]!;
        if (r.parent && byUrn.has(r.parent)) res.parent = byUrn.get(r.parent)!;
        res.dependencies = (r.dependencies ?? [])
            .map((d) => byUrn.get(d))
            .filter((d): d is PolicyResource => d !== undefined);
    });
    return list;
}

/**
 * Runs the pack over the resources: remediations, then resource policies on each resource, then
 * stack policies on all of them.
 */
export async function runPolicies(
    pack: PolicyPackArgs,
    input: readonly EngineResource[],
    config: ReconciledConfig,
    stackTags: ReadonlyMap<string, string> = new Map(),
): Promise<EngineResult> {
    const policies = pack.policies as AnyPolicy[];
    const diagnostics: Diagnostic[] = [];
    const remediations: RemediationRecord[] = [];
    const notApplicable: NotApplicableRecord[] = [];
    const resources: EngineResource[] = [];
    /** The deserialized, proxied props of each of `resources`, made once and shared by every policy. */
    const deserialized: (() => Record<string, unknown>)[] = [];

    // What each policy is run with, worked out once (config, enforcement and kind do not change per resource).
    const plan = policies.map((p) => ({
        p,
        enforcement: enforcementOf(p, pack, config),
        getConfig: getConfigFun(config, p.name),
    }));
    const remediating = plan.filter(({ p, enforcement }) => enforcement === "remediate" && isResourcePolicy(p));
    const validating = plan.filter(({ p, enforcement }) => enforcement !== "disabled" && isResourcePolicy(p));

    for (const original of input) {
        let r = original;
        const skip = (policyName: string, reason: string | undefined) =>
            notApplicable.push(notApplicableRecord(policyName, reason, r.urn));
        // Remediate (before the analysis, as the engine does).
        const opts = optionsOf(r);
        let props: Record<string, unknown> =
            remediating.length > 0
                ? (unknownCheckingProxy(deserializeProperties(r.props, true)) as Record<string, unknown>)
                : {};
        let changed = false;
        for (const { p, getConfig } of remediating) {
            if (!isResourcePolicy(p)) continue;
            if (!p.remediateResource) {
                skip(p.name, "Policy does not implement remediateResource");
                continue;
            }
            const current = props;
            const args = {
                urn: r.urn,
                name: r.name,
                type: r.type,
                opts,
                props: current,
                stackTags,
                getConfig,
                isType: (cls: unknown) => isTypeOf(r.type, cls),
                asType: (cls: unknown) => (isTypeOf(r.type, cls) ? current : undefined),
                notApplicable: throwNotApplicable,
            };
            try {
                const result = await Promise.resolve(p.remediateResource(args as never));
                if (result) {
                    props = result as Record<string, unknown>;
                    changed = true;
                    remediations.push({ policyName: p.name, urn: r.urn });
                }
            } catch (e) {
                if (isUnknownValueError(e))
                    remediations.push({
                        policyName: p.name,
                        urn: r.urn,
                        diagnostic: `can't run remediation '${p.name}' during preview: ${e.message}`,
                    });
                else if (e instanceof NotApplicable) skip(p.name, e.reason);
                else
                    throw new PolicyRunError(
                        `Error remediating resource with remediation '${p.name}': ${(e as Error).stack ?? String(e)}`,
                    );
            }
        }
        if (changed) r = { ...r, props: serializeProperties(props) as Record<string, unknown> };
        resources.push(r);

        // Analyze. The props are deserialized once per resource and shared by its policies (server.js
        // deserializes them again for each policy): a validation only reads them, and the pack's
        // K8sObject view (policies/lib/k8s.ts) is then built once per resource instead of once per policy.
        let vprops: Record<string, unknown> | undefined;
        const analyzed = r;
        const propsOf = () =>
            (vprops ??= unknownCheckingProxy(deserializeProperties(analyzed.props, false)) as Record<string, unknown>);
        deserialized.push(propsOf);
        const analyzedOpts = analyzed === original ? opts : optionsOf(analyzed);
        const isType = (cls: unknown) => isTypeOf(analyzed.type, cls);
        for (const { p, enforcement, getConfig } of validating) {
            if (!isResourcePolicy(p)) continue;
            if (!p.validateResource) {
                skip(p.name, "Policy does not implement validateResource");
                continue;
            }
            const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
            if (!Array.isArray(p.validateResource)) {
                const t = pulumiTypeOf(p.validateResource);
                if (t && t !== r.type) {
                    skip(p.name, `Policy only applies to resources of type '${t}'`);
                    continue;
                }
            }
            const level = effectiveLevel(enforcement);
            const report = reportFun(p, level, diagnostics, r.urn);
            const props = propsOf();
            for (const validation of validations) {
                const args = {
                    type: r.type,
                    props,
                    urn: r.urn,
                    name: r.name,
                    opts: analyzedOpts,
                    stackTags,
                    isType,
                    asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
                    getConfig,
                    notApplicable: throwNotApplicable,
                };
                let e = outcomeOf(validation as (...a: unknown[]) => unknown, args, report);
                if (e instanceof Pending) e = await e.outcome;
                if (e !== NO_ERROR) {
                    if (isUnknownValueError(e)) {
                        diagnostics.push(previewDiagnostic(p, e, r.urn));
                    } else if (e instanceof NotApplicable) {
                        skip(p.name, e.reason);
                    } else {
                        throw new PolicyRunError(
                            `Error validating resource ${r.urn} with policy '${p.name}': ${(e as Error).stack ?? String(e)}`,
                        );
                    }
                }
            }
        }
    }

    // Analyze the stack. The resource list is built once and shared by the stack policies (server.js
    // rebuilds it for each policy); the pack's StackView over it is then built once too.
    let stackList: PolicyResource[] | undefined;
    for (const p of policies) {
        const enforcement = enforcementOf(p, pack, config);
        if (enforcement === "disabled" || !isStackPolicy(p)) continue;
        const t = pulumiTypeOf(p.validateStack);
        if (t && !resources.some((r) => r.type === t)) {
            notApplicable.push({ policyName: p.name, reason: `Policy only applies to resources of type '${t}'` });
            continue;
        }
        const report = reportFun(p, effectiveLevel(enforcement), diagnostics);
        stackList ??= stackResources(resources, deserialized);
        const list = stackList;
        try {
            const pending: unknown = p.validateStack(
                {
                    resources: list,
                    getConfig: getConfigFun(config, p.name),
                    stackTags,
                    notApplicable: throwNotApplicable,
                } as never,
                report,
            );
            if (isThenable(pending)) await pending;
        } catch (e) {
            if (isUnknownValueError(e)) {
                diagnostics.push(previewDiagnostic(p, e));
            } else if (e instanceof NotApplicable) {
                notApplicable.push(notApplicableRecord(p.name, e.reason));
            } else {
                throw new PolicyRunError(
                    `Error validating stack with policy '${p.name}': ${(e as Error).stack ?? String(e)}`,
                );
            }
        }
    }
    return { diagnostics, remediations, notApplicable, resources };
}
