/**
 * `npm run bench`: how long the offline tools take per stack on this machine, against targets that
 * keep `npm test` and the review workflow fast. Timed here, never in tests (timed tests are flaky).
 * Exit code 1 when a target is missed.
 */
import { performance } from "perf_hooks";
import { analyzeConnectivity } from "./connectivity/index";
import { platformAnalyzeOptions } from "./harness/connectivityReport";
import { manifestsOf } from "./harness/render";
import { runProgram } from "./harness/run";
import { evaluateManifests } from "./policy/run";
import { validateObjects } from "./k8s/validate";
import { benchInjector } from "./injector/bench";

/** The injector: p99 per AdmissionReview, 1,000 requests at concurrency 20, milliseconds. */
const INJECTOR_P99_TARGET_MS = 10;

/** Targets in milliseconds (2 cores): the program under mocks, the strict check, the pack, the connectivity analysis. */
const TARGETS = { program: 5_000, validate: 3_000, policy: 10_000, connectivity: 3_000 } as const;
const RUNS = 3;

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
    const start = performance.now();
    const value = await fn();
    return { ms: performance.now() - start, value };
}

async function main(): Promise<number> {
    const rows: string[] = [];
    let missed = 0;
    for (const stack of ["dev", "staging", "prod"]) {
        const best: Record<keyof typeof TARGETS, number> = { program: Infinity, validate: Infinity, policy: Infinity, connectivity: Infinity };
        let objects = 0;
        for (let i = 0; i < RUNS; i++) {
            const run = await timed(() => runProgram({ stack }));
            const manifests = manifestsOf(run.value.resources);
            objects = manifests.length;
            const validate = await timed(() => validateObjects(manifests));
            const level = run.value.spec.level;
            const policy = await timed(() => evaluateManifests(manifests, { level }));
            const conn = await timed(() => analyzeConnectivity(manifests, platformAnalyzeOptions(run.value.spec, { internet: true })));
            best.program = Math.min(best.program, run.ms);
            best.validate = Math.min(best.validate, validate.ms);
            best.policy = Math.min(best.policy, policy.ms);
            best.connectivity = Math.min(best.connectivity, conn.ms);
        }
        for (const k of Object.keys(TARGETS) as (keyof typeof TARGETS)[]) {
            const ok = best[k] <= TARGETS[k];
            if (!ok) missed++;
            rows.push(`| ${stack} | ${objects} | ${k} | ${best[k].toFixed(0)} | ${TARGETS[k]} | ${ok ? "ok" : "MISSED"} |`);
        }
    }
    process.stdout.write(`best of ${RUNS} runs, milliseconds\n\n| stack | objects | step | ms | target | |\n|---|---|---|---|---|---|\n${rows.join("\n")}\n`);
    const inj = await benchInjector(manifestsOf((await runProgram({ stack: "prod" })).resources));
    const injOk = inj.p99Ms <= INJECTOR_P99_TARGET_MS;
    if (!injOk) missed++;
    process.stdout.write(`\nenvoy-injector (prod template), ${inj.requests} AdmissionReviews at concurrency ${inj.concurrency} over HTTPS: p50 ${inj.p50Ms.toFixed(2)} ms, p99 ${inj.p99Ms.toFixed(2)} ms (target ≤ ${INJECTOR_P99_TARGET_MS}), max ${inj.maxMs.toFixed(2)} ms — ${injOk ? "ok" : "MISSED"}\n`);
    return missed > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => { process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`); process.exitCode = 1; });
