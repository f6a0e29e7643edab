/**
 * `npm run bench [-- --rounds N]`: how fast and how flat the offline tools are on this machine, each
 * figure beside its target; exit code 1 when a target is missed. Timed here, never in tests.
 *
 * Whole-process figures are medians of N rounds (default 5); each round runs every command once, one
 * after another, so that the ratios compare processes that ran under the same load:
 * - synth: `synth --stack prod` as `npm run synth` runs it (the compiled CLI), ÷ a bare `require` of
 *   @pulumi/pulumi, kubernetes, random and tls — the floor any Pulumi program starts from;
 * - the 50/50 stack (generated from Pulumi.prod.yaml: 50 agents, 50 MCP servers): wall ÷ prod, and
 *   its peak RSS;
 * - the SDK's floor (tools/bench/sdk-floor.cjs): the bare require plus as many resources as each synth
 *   registered, as plain ConfigMaps under the SDK's own mocks — what the ratios could be at best;
 * - CLI start-up: `connectivity --manifests <empty file>` (refused with exit 2 once it has started);
 *   `npm run`'s own start-up is printed beside it, not counted (the npm CLI is not ours to speed up).
 * On the objects those synth runs wrote: the envoy-injector's latency (its program and template as
 * rendered for prod, started with node, loaded by a client process of its own: tools/injector/bench.ts),
 * and, in process, the policy pack over the prod and 50/50 objects as
 * `npm run policy -- --manifests` evaluates them (median of 15 runs after 5 warm-up runs, the JIT's; the first
 * run's time is shown too).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseFlags, UsageError } from "./cli";
import { benchInjector } from "./injector/bench";
import { loadKubernetesObjects } from "../lib/manifests";
import { PROJECT_DIR } from "./harness/stackConfig";
import { evaluateManifests } from "./policy/run";
import { median, measure, ProcessRun } from "./bench/process";
import { writeScaledStack } from "./bench/stack";

/** The targets (issue 15). */
export const TARGETS = {
    /** synth prod ÷ bare SDK require, whole processes. */
    synthRatio: 2,
    /** 50/50 stack ÷ prod, whole-process wall. */
    scaledRatio: 3,
    /** 50/50 stack peak RSS, MiB. */
    scaledPeakMiB: 600,
    /** The policy pack in process, milliseconds per 100 Kubernetes objects. */
    policyPer100Ms: 10,
    /** A CLI's start-up, seconds. */
    startupS: 0.2,
    /** envoy-injector p99 per AdmissionReview, milliseconds (1,000 requests at concurrency 20, HTTPS, steady state). */
    injectorP99Ms: 10,
} as const;

const BARE_REQUIRE =
    'require("@pulumi/pulumi");require("@pulumi/kubernetes");require("@pulumi/random");require("@pulumi/tls")';
const LAUNCHER = path.join("tools", "launch.cjs");
/** The SDK's floor for N resources (tools/bench/sdk-floor.cjs): context for the ratios, not a target. */
const SDK_FLOOR = path.join("tools", "bench", "sdk-floor.cjs");

interface Row {
    readonly what: string;
    readonly value: string;
    readonly target: string;
    readonly ok?: boolean;
}

function checkRuns(what: string, runs: readonly ProcessRun[], expected = 0): void {
    const bad = runs.find((r) => r.code !== expected);
    if (bad)
        throw new Error(
            `${what} exited with ${bad.code} (expected ${expected}): ${bad.stderr.trim().split("\n").slice(-3).join(" / ")}`,
        );
}

/** The pack over objects: median of 15 runs after 5 warm-up runs (the first one's time is shown too), per 100 objects. */
async function policyPer100(
    objects: Record<string, unknown>[],
): Promise<{ coldMs: number; medianMs: number; per100: number }> {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
        const start = performance.now();
        await evaluateManifests(objects, { level: 3 });
        times.push(performance.now() - start);
    }
    const medianMs = median(times.slice(5));
    return { coldMs: times[0]!, medianMs, per100: (medianMs * 100) / objects.length };
}

export async function main(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, ["rounds"]);
    const rounds = flags["rounds"] === undefined ? 5 : Number(flags["rounds"]);
    if (!Number.isInteger(rounds) || rounds < 1)
        throw new UsageError(`--rounds must be a positive integer (got "${flags["rounds"]}")`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-bench-"));
    try {
        const scaledFile = writeScaledStack(PROJECT_DIR, tmp);
        const empty = path.join(tmp, "empty.yaml");
        fs.writeFileSync(empty, "");
        const rss = path.join(tmp, "rss");
        const runs = {
            bare: [] as ProcessRun[],
            prod: [] as ProcessRun[],
            scaled: [] as ProcessRun[],
            floorProd: [] as ProcessRun[],
            floorScaled: [] as ProcessRun[],
            startup: [] as ProcessRun[],
            npm: [] as ProcessRun[],
        };
        const resourceCount = (dir: string) =>
            (JSON.parse(fs.readFileSync(path.join(tmp, dir, "resources.json"), "utf8")) as unknown[]).length;
        process.stderr.write(
            `bench: ${rounds} rounds of whole-process runs (load average ${os
                .loadavg()
                .map((l) => l.toFixed(2))
                .join(" ")})\n`,
        );
        for (let i = 0; i < rounds; i++) {
            runs.bare.push(await measure(PROJECT_DIR, ["-e", BARE_REQUIRE], { rssFile: rss }));
            runs.prod.push(
                await measure(PROJECT_DIR, [LAUNCHER, "synth", "--stack", "prod", "--out", path.join(tmp, "prod")], {
                    rssFile: rss,
                }),
            );
            runs.scaled.push(
                await measure(
                    PROJECT_DIR,
                    [
                        LAUNCHER,
                        "synth",
                        "--stack",
                        "prod",
                        "--config-file",
                        scaledFile,
                        "--out",
                        path.join(tmp, "scaled"),
                    ],
                    { rssFile: rss },
                ),
            );
            runs.floorProd.push(
                await measure(PROJECT_DIR, [SDK_FLOOR, String(resourceCount("prod"))], { rssFile: rss }),
            );
            runs.floorScaled.push(
                await measure(PROJECT_DIR, [SDK_FLOOR, String(resourceCount("scaled"))], { rssFile: rss }),
            );
            runs.startup.push(await measure(PROJECT_DIR, [LAUNCHER, "connectivity", "--manifests", empty]));
            runs.npm.push(
                await measure(PROJECT_DIR, ["run", "--silent", "connectivity", "--", "--manifests", empty], {
                    command: "npm",
                }),
            );
        }
        checkRuns("bare require", runs.bare);
        checkRuns("synth --stack prod", runs.prod);
        checkRuns("synth of the 50/50 stack", runs.scaled);
        checkRuns("connectivity on an empty file", runs.startup, 2);
        checkRuns("the SDK floor", [...runs.floorProd, ...runs.floorScaled]);
        const ms = (rs: readonly ProcessRun[]) => median(rs.map((r) => r.ms));
        const cpu = (rs: readonly ProcessRun[]) => median(rs.map((r) => r.cpuMs ?? NaN));
        const peak = (rs: readonly ProcessRun[]) => Math.max(...rs.map((r) => r.peakMiB ?? NaN));
        const bare = ms(runs.bare);
        const prod = ms(runs.prod);
        const scaled = ms(runs.scaled);
        const startup = ms(runs.startup) / 1000;
        const objects = (dir: string) =>
            fs
                .readdirSync(path.join(tmp, dir, "manifests"), { recursive: true })
                .filter((f) => String(f).endsWith(".yaml")).length;
        const prodObjects = objects("prod");
        const scaledObjects = objects("scaled");

        // In process, on the objects the synth runs wrote (what `npm run policy -- --manifests` reads):
        // the injector first, while this process is small, then the pack.
        const prodManifests = loadKubernetesObjects(path.join(tmp, "prod")).map((o) => o.object);
        const scaledManifests = loadKubernetesObjects(path.join(tmp, "scaled")).map((o) => o.object);
        const inj = await benchInjector(prodManifests);
        const polProd = await policyPer100(prodManifests);
        const polScaled = await policyPer100(scaledManifests);

        const rows: Row[] = [
            {
                what: `synth prod (${prodObjects} objects) ÷ bare SDK require, wall`,
                value: `${(prod / bare).toFixed(2)}× (${(prod / 1000).toFixed(2)} s vs ${(bare / 1000).toFixed(2)} s)`,
                target: `≤ ${TARGETS.synthRatio}×`,
                ok: prod / bare <= TARGETS.synthRatio,
            },
            {
                what: "  the same in CPU time (user + system)",
                value: `${(cpu(runs.prod) / cpu(runs.bare)).toFixed(2)}× (${(cpu(runs.prod) / 1000).toFixed(2)} s vs ${(cpu(runs.bare) / 1000).toFixed(2)} s)`,
                target: "—",
            },
            {
                what: `  the SDK's floor: bare require + prod's ${resourceCount("prod")} resources as ConfigMaps under the SDK's mocks, ÷ bare require`,
                value: `${(ms(runs.floorProd) / bare).toFixed(2)}× wall, ${(cpu(runs.floorProd) / cpu(runs.bare)).toFixed(2)}× CPU`,
                target: "—",
            },
            {
                what: `50/50 stack (${scaledObjects} objects) ÷ prod, wall`,
                value: `${(scaled / prod).toFixed(2)}× (${(scaled / 1000).toFixed(2)} s)`,
                target: `≤ ${TARGETS.scaledRatio}×`,
                ok: scaled / prod <= TARGETS.scaledRatio,
            },
            {
                what: "  the same in CPU time (user + system)",
                value: `${(cpu(runs.scaled) / cpu(runs.prod)).toFixed(2)}× (${(cpu(runs.scaled) / 1000).toFixed(2)} s)`,
                target: "—",
            },
            {
                what: `  the SDK's floor: ${resourceCount("scaled")} resources ÷ ${resourceCount("prod")}`,
                value: `${(ms(runs.floorScaled) / ms(runs.floorProd)).toFixed(2)}× wall, ${(cpu(runs.floorScaled) / cpu(runs.floorProd)).toFixed(2)}× CPU, peak ${peak(runs.floorScaled).toFixed(0)} MiB`,
                target: "—",
            },
            {
                what: "50/50 stack, peak RSS",
                value: `${peak(runs.scaled).toFixed(0)} MiB (prod ${peak(runs.prod).toFixed(0)} MiB, bare require ${peak(runs.bare).toFixed(0)} MiB)`,
                target: `≤ ${TARGETS.scaledPeakMiB} MiB`,
                ok: peak(runs.scaled) <= TARGETS.scaledPeakMiB,
            },
            {
                what: `policy pack in process, prod (${prodManifests.length} objects)`,
                value: `${polProd.per100.toFixed(1)} ms per 100 objects (${polProd.medianMs.toFixed(0)} ms; first run ${polProd.coldMs.toFixed(0)} ms)`,
                target: `≤ ${TARGETS.policyPer100Ms} ms`,
                ok: polProd.per100 <= TARGETS.policyPer100Ms,
            },
            {
                what: `policy pack in process, 50/50 (${scaledManifests.length} objects)`,
                value: `${polScaled.per100.toFixed(1)} ms per 100 objects (${polScaled.medianMs.toFixed(0)} ms; first run ${polScaled.coldMs.toFixed(0)} ms)`,
                target: `≤ ${TARGETS.policyPer100Ms} ms`,
                ok: polScaled.per100 <= TARGETS.policyPer100Ms,
            },
            {
                what: "CLI start-up (connectivity, empty input)",
                value: `${startup.toFixed(2)} s`,
                target: `≤ ${TARGETS.startupS} s`,
                ok: startup <= TARGETS.startupS,
            },
            {
                what: "  the same through `npm run` (npm's start-up not counted)",
                value: `${(ms(runs.npm) / 1000).toFixed(2)} s`,
                target: "—",
            },
            {
                what: `envoy-injector, ${inj.steady.requests} AdmissionReviews at concurrency ${inj.steady.concurrency} (HTTPS, a client process of its own), after ${inj.steady.warmup} uncounted`,
                value: `p99 ${inj.steady.p99Ms.toFixed(2)} ms (p50 ${inj.steady.p50Ms.toFixed(2)}, max ${inj.steady.maxMs.toFixed(2)})`,
                target: `≤ ${TARGETS.injectorP99Ms} ms`,
                ok: inj.steady.p99Ms <= TARGETS.injectorP99Ms,
            },
            {
                what: `  the first ${inj.cold.requests} after start (server and client JIT still compiling)`,
                value: `p99 ${inj.cold.p99Ms.toFixed(2)} ms (p50 ${inj.cold.p50Ms.toFixed(2)}, max ${inj.cold.maxMs.toFixed(2)})`,
                target: "—",
            },
        ];
        const missed = rows.filter((r) => r.ok === false).length;
        const lines = [
            `medians of ${rounds} rounds (whole processes run one after another in each round); load average now ${os
                .loadavg()
                .map((l) => l.toFixed(2))
                .join(" ")} on ${os.cpus().length} CPUs`,
            "",
            "| what | measured | target | |",
            "|---|---|---|---|",
            ...rows.map(
                (r) => `| ${r.what} | ${r.value} | ${r.target} | ${r.ok === undefined ? "" : r.ok ? "ok" : "MISSED"} |`,
            ),
            "",
            missed === 0 ? "every target met" : `${missed} target(s) missed`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
        return missed > 0 ? 1 : 0;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = 1;
        },
    );
}
