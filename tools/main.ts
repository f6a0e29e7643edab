/**
 * The entry point of the command-line bundle (dist/cli.js, built by tools/build.cjs and started by
 * tools/launch.cjs, which is what `npm run synth|policy|connectivity|diff|bench` run). Each tool's
 * module is loaded only when it is the one asked for: `npm run connectivity` never loads the Pulumi SDK.
 *
 * The bundle is required by the launcher, never run as the main module, so the tools' own
 * `require.main === module` blocks stay inert here and only `run` starts a tool.
 */
import { quietOnClosedPipe, runCli } from "./cli";
import { setStackTraceCapture } from "./harness/stackTraces";

/** The tools of the bundle, by `npm run` script name. */
export const TOOLS = ["synth", "policy", "connectivity", "diff", "bench"] as const;
export type ToolName = (typeof TOOLS)[number];

export function isTool(name: string | undefined): name is ToolName {
    return (TOOLS as readonly string[]).includes(name ?? "");
}

/**
 * Starts a tool with the process's arguments after the tool name. The CLIs print messages, never
 * stack traces: the program runs without capturing one per promise (tools/harness/stackTraces.ts).
 */
export function run(name: ToolName, argv: string[]): void {
    setStackTraceCapture(false);
    switch (name) {
        case "synth":
            return runCli("synth", async () => (await import("./synth")).main(argv));
        case "policy":
            return runCli("policy", async () => (await import("./policy")).main(argv));
        case "diff":
            return runCli("diff", async () => (await import("./diff")).main(argv));
        case "bench":
            return runCli("bench", async () => (await import("./bench")).main(argv));
        case "connectivity":
            // Synchronous, and without the Pulumi SDK: the fastest start of all.
            quietOnClosedPipe();
            void import("./connectivity").then((m) => {
                process.exitCode = m.main(argv);
            });
            return;
    }
}
