/**
 * Whole-process measurements: a command's wall time from spawn to exit, its exit code and, for node
 * processes, its peak resident set size and CPU time (tools/bench/peak-rss.cjs, preloaded).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";

export interface ProcessRun {
    readonly ms: number;
    readonly code: number;
    /** Peak RSS in MiB (node processes), else undefined. */
    readonly peakMiB?: number;
    /** CPU time used, user + system, in milliseconds (node processes), else undefined. */
    readonly cpuMs?: number;
    readonly stderr: string;
}

/** Runs `node <args>` (peak RSS measured) or any command when `command` is given. */
export function measure(
    projectDir: string,
    args: readonly string[],
    opts: { command?: string; rssFile?: string } = {},
): Promise<ProcessRun> {
    const node = opts.command === undefined;
    const rssFile = opts.rssFile;
    if (rssFile) fs.rmSync(rssFile, { force: true });
    const argv = node
        ? [...(rssFile ? ["-r", path.join(projectDir, "tools", "bench", "peak-rss.cjs")] : []), ...args]
        : [...args];
    return new Promise((resolve, reject) => {
        const start = performance.now();
        const p = spawn(node ? process.execPath : opts.command!, argv, {
            cwd: projectDir,
            stdio: ["ignore", "ignore", "pipe"],
            env: { ...process.env, NO_COLOR: "1", ...(rssFile ? { AGENTSTACK_BENCH_RSS_FILE: rssFile } : {}) },
        });
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => {
            const ms = performance.now() - start;
            let usage: { maxRSS: number; cpuMicros: number } | undefined;
            if (rssFile && fs.existsSync(rssFile))
                usage = JSON.parse(fs.readFileSync(rssFile, "utf8")) as { maxRSS: number; cpuMicros: number };
            resolve({
                ms,
                code: code ?? -1,
                ...(usage ? { peakMiB: usage.maxRSS / 1024, cpuMs: usage.cpuMicros / 1000 } : {}),
                stderr,
            });
        });
    });
}

export function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
