/**
 * Runs the real agentstack program offline under Pulumi mocks, in update mode or in preview mode
 * (unknown outputs), and returns every resource the engine would have been asked to register.
 * Shared by `npm run synth`, `npm run policy -- --stack` and the tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { setAllConfig } from "@pulumi/pulumi/runtime/config";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import type { Flow } from "../../stacks/flows";
import { PlatformSpec, ResolvedPlatform, resolvePlatform } from "../../stacks/resolve";
import { capturesStackTraces } from "./stackTraces";
import { DeterministicMocks, RecordedResource, RecordingMonitor } from "./mocks";
import { EngineConfig, PROJECT_DIR, loadEngineConfig } from "./stackConfig";

export { PROJECT_DIR };

export interface RunOptions {
    /** Stack name (selects Pulumi.<stack>.yaml). */
    readonly stack: string;
    /** Explicit stack config file instead of Pulumi.<stack>.yaml. */
    readonly configFile?: string;
    /** Config to use instead of reading files (tests). */
    readonly config?: EngineConfig;
    /** Run as `pulumi preview` does: computed outputs unknown. Default false (update). */
    readonly preview?: boolean;
    /** The resolved config, when the caller has already resolved it (it must be the resolution of `config`). Default: resolved here. */
    readonly resolved?: ResolvedPlatform;
}

export interface RunResult {
    readonly project: string;
    readonly stack: string;
    readonly preview: boolean;
    /** Every registered resource (the stack itself included), sorted by URN. */
    readonly resources: RecordedResource[];
    /** The stack outputs. */
    readonly outputs: Record<string, unknown>;
    /** The resolved platform spec the program ran with. */
    readonly spec: PlatformSpec;
    /** Its flow table (stacks/flows.ts), the one the program's NetworkPolicies and ExtAuth were built from. */
    readonly flows: readonly Flow[];
}

let running = false;

/** One full turn of the event loop (a poll phase lies between two setImmediate callbacks). */
async function fullTurn(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => immediate(() => resolve()));
}

/** The real setImmediate, taken at load (a test may install fake timers later). */
const immediate = globalThis.setImmediate;

/** Runs the program once. Runs never overlap: Pulumi's runtime state is process-global. */
export async function runProgram(opts: RunOptions): Promise<RunResult> {
    if (running) throw new Error("runProgram: a run is already in progress in this process");
    running = true;
    // A run is promise callbacks from start to end: it never lets the event loop poll for I/O. A full
    // turn before it lets a caller's pending I/O through (a vitest worker's answers from the main
    // process, among them, whose 60 s timeout would otherwise run out across back-to-back runs).
    await fullTurn();
    try {
        const engine = opts.config ?? loadEngineConfig(PROJECT_DIR, opts.stack, opts.configFile);
        // The program checks its config before it registers anything; checking here first turns a bad
        // config into a ConfigError for the caller instead of an error inside the Pulumi stack. The
        // program then runs with this resolution (spec and flow table), computed once per run.
        const resolved = opts.resolved ?? resolvePlatform(engine);
        const preview = opts.preview ?? false;
        const monitor = new RecordingMonitor(new DeterministicMocks(preview), engine.project, opts.stack);
        setMockOptions(monitor, engine.project, opts.stack, preview);
        setAllConfig(engine.values, engine.secretKeys);
        // Loaded after the mocks are set, as Pulumi requires.
        const { programFor } = await import("../../program");
        // Errors inside resource callbacks surface as unhandled rejections; collect them instead of crashing.
        const stray: unknown[] = [];
        const onRejection = (e: unknown) => stray.push(e);
        process.on("unhandledRejection", onRejection);
        // The Kubernetes provider's SDK copies an ambient $KUBECONFIG into an explicit provider's inputs
        // (provider.js: `args.kubeconfig ?? getEnv("KUBECONFIG")`). Offline there is no cluster: render
        // without it, so that the output never depends on (or shows) the machine's kubeconfig path.
        const kubeconfig = process.env["KUBECONFIG"];
        delete process.env["KUBECONFIG"];
        const stackTraceLimit = Error.stackTraceLimit;
        if (!capturesStackTraces()) Error.stackTraceLimit = 0;
        let outputs: unknown;
        try {
            outputs = (await runInPulumiStack(() => programFor(resolved))) ?? {};
            await pulumi.runtime.disconnect();
        } finally {
            Error.stackTraceLimit = stackTraceLimit;
            process.off("unhandledRejection", onRejection);
            if (kubeconfig !== undefined) process.env["KUBECONFIG"] = kubeconfig;
        }
        if (stray.length > 0) throw stray[0];
        const resources = [...monitor.recorded].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
        return {
            project: engine.project,
            stack: opts.stack,
            preview,
            resources,
            outputs: outputs as Record<string, unknown>,
            spec: resolved.spec,
            flows: resolved.flows,
        };
    } finally {
        running = false;
    }
}
