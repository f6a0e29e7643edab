/**
 * Test helpers: run the real program under the offline harness and query what it registered.
 * `runStack` fails when the program registered nothing, so a mock that saw nothing can't pass a test.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { ConfigError } from "../stacks/errors";
import { resolvePlatformSpec } from "../stacks/resolve";
import { RecordedResource } from "../tools/harness/mocks";
import { manifestsOf } from "../tools/harness/render";
import { RunResult, runProgram } from "../tools/harness/run";
import { EngineConfig } from "../tools/harness/stackConfig";

export type K8sObject = Record<string, any>;

/** A run plus its manifests. */
export interface StackRun extends RunResult {
    readonly manifests: K8sObject[];
}

/** Throws unless the run registered the stack, the platform and some Kubernetes objects. */
export function assertRegistered(result: Pick<RunResult, "resources">): void {
    const k8s = result.resources.filter((r) => r.type.startsWith("kubernetes:"));
    if (!result.resources.some((r) => r.type === "agentstack:platform:Platform") || k8s.length === 0) {
        throw new Error(
            `the program registered nothing useful (${result.resources.length} resources, ${k8s.length} Kubernetes objects)`,
        );
    }
}

/** Runs a stack from its file, or from an explicit engine config. */
export async function runStack(
    stack: string,
    opts: { config?: EngineConfig; preview?: boolean } = {},
): Promise<StackRun> {
    const result = await runProgram({ stack, ...opts });
    assertRegistered(result);
    return { ...result, manifests: manifestsOf(result.resources) as K8sObject[] };
}

/** Builds an engine config from `agentstack:` values (objects become JSON, like the engine does). */
export function engineConfig(values: Record<string, unknown>, secretKeys: string[] = []): EngineConfig {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) out[`agentstack:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return { project: "agentstack", values: out, secretKeys: secretKeys.map((k) => `agentstack:${k}`) };
}

/** A minimal valid config at a level (callers override pieces). */
export function baseConfig(level: 1 | 2 | 3, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        securityLevel: level,
        llm: {
            endpoint: "https://llm.example.com/v1",
            egressCidrs: ["203.0.113.0/24"],
            apiKeySecretRef: { name: "llm", key: "key" },
        },
        cluster: { schedulableNodes: 3 },
        // The user's workloads have no default image (docs/images.md); these are placeholders.
        images: {
            agent: "registry.example.com/acme/agent:1.0.0",
            mcpServer: "registry.example.com/acme/mcp:1.0.0",
            sandbox: "registry.example.com/acme/sandbox:1.0.0",
        },
        mcpServers: [{ name: "search" }, { name: "files" }],
        agents: [
            { name: "alpha", mcpServers: ["search"] },
            { name: "beta", mcpServers: ["files"] },
        ],
        gateway: {
            hostname: "a.example.com",
            gatewayRef: { name: "edge", namespace: "gateway-system" },
            ...(level === 1 ? {} : { tls: { mode: "secret", secretName: "gw-tls" } }),
        },
        ...extra,
    };
}

/** Objects of one kind. */
export function ofKind(objs: readonly K8sObject[], kind: string): K8sObject[] {
    return objs.filter((o) => o["kind"] === kind);
}

/** The one object of a kind and name (throws if absent). */
export function find(objs: readonly K8sObject[], kind: string, name: string): K8sObject {
    const hit = objs.find((o) => o["kind"] === kind && o["metadata"]?.["name"] === name);
    if (!hit) throw new Error(`no ${kind} ${name} among ${objs.length} objects`);
    return hit;
}

/** Every container of every pod template (init containers included), with the owning object. */
export function containersOf(objs: readonly K8sObject[]): { owner: K8sObject; container: K8sObject }[] {
    const out: { owner: K8sObject; container: K8sObject }[] = [];
    for (const o of objs) {
        const spec = o["spec"]?.["template"]?.["spec"];
        if (!spec) continue;
        for (const c of [...(spec["initContainers"] ?? []), ...(spec["containers"] ?? [])])
            out.push({ owner: o, container: c });
    }
    return out;
}

/** Workloads (Deployments and StatefulSets). */
export function workloadsOf(objs: readonly K8sObject[]): K8sObject[] {
    return objs.filter((o) => o["kind"] === "Deployment" || o["kind"] === "StatefulSet");
}

/** Asserts the restricted hardening of one container (pod-level settings may satisfy runAsNonRoot). */
export function expectHardened(
    c: K8sObject,
    pod: K8sObject | undefined,
    where: string,
    opts: { probes: boolean },
): void {
    const sc = c["securityContext"] ?? {};
    const check = (ok: boolean, what: string) => {
        if (!ok) throw new Error(`${where}: ${what}`);
    };
    check((sc["runAsNonRoot"] ?? pod?.["securityContext"]?.["runAsNonRoot"]) === true, "runAsNonRoot");
    check(sc["readOnlyRootFilesystem"] === true, "readOnlyRootFilesystem");
    check(sc["allowPrivilegeEscalation"] === false, "allowPrivilegeEscalation false");
    check(sc["privileged"] !== true, "not privileged");
    check(JSON.stringify(sc["capabilities"]?.["drop"]) === JSON.stringify(["ALL"]), "drop ALL");
    check(sc["seccompProfile"]?.["type"] === "RuntimeDefault", "seccomp RuntimeDefault");
    for (const k of ["cpu", "memory"]) {
        check(Boolean(c["resources"]?.["requests"]?.[k]), `requests.${k}`);
        check(Boolean(c["resources"]?.["limits"]?.[k]), `limits.${k}`);
    }
    if (opts.probes) {
        check(Boolean(c["livenessProbe"]), "livenessProbe");
        check(Boolean(c["readinessProbe"]), "readinessProbe");
    }
    check(/:[\w.-]+$|@sha256:/.test(c["image"]) && !/:latest$/.test(c["image"]), `pinned image (${c["image"]})`);
}

/** Unwraps `$secret` markers of raw recorded inputs (tests only: to check generated values end to end). */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (v && typeof v === "object") {
        if ("$secret" in v) return unwrapSecrets(v.$secret);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Raw (unredacted) inputs of a recorded Kubernetes object. */
export function rawInputs(run: StackRun, kind: string, name: string): K8sObject {
    const r = run.resources.find(
        (x) =>
            x.type.startsWith("kubernetes:") &&
            x.inputs["kind"] === kind &&
            (x.inputs["metadata"] as any)?.name === name,
    );
    if (!r) throw new Error(`no recorded ${kind} ${name}`);
    return unwrapSecrets(r.inputs);
}

export type { RecordedResource };

/** The result of one CLI run. */
export interface ToolRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** The project root and the launcher `npm run <tool>` runs (the compiled CLI bundle). */
export const ROOT = path.resolve(__dirname, "..");
export const LAUNCHER = path.join(ROOT, "tools", "launch.cjs");

/** Runs `node tools/launch.cjs <tool> …args` — what `npm run <tool> -- …args` runs — and collects its result. */
export function runTool(tool: string, args: readonly string[]): Promise<ToolRun> {
    return new Promise((resolve) => {
        const p = spawn(process.execPath, [LAUNCHER, tool, ...args], {
            cwd: ROOT,
            env: { ...process.env, NO_COLOR: "1" },
        });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

/** Runs `fn` over items with at most `n` at a time, keeping their order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(
        Array.from({ length: n }, async () => {
            while (next < items.length) {
                const i = next++;
                out[i] = await fn(items[i]!);
            }
        }),
    );
    return out;
}

/** The issues the resolver raises for an `agentstack:` config (throws if it accepts it). */
export function rejectConfig(values: Record<string, unknown>): { key: string; message: string }[] {
    try {
        resolvePlatformSpec(engineConfig(values));
    } catch (e) {
        if (e instanceof ConfigError) return [...e.issues];
        throw e;
    }
    throw new Error("accepted");
}
