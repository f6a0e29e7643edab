/**
 * Whether program runs (tools/harness/run.ts) capture stack traces. The SDK takes one for every
 * promise it creates (`new Error().stack` in @pulumi/pulumi runtime/debuggable.js), kept only to
 * describe leaked promises when PULUMI_DEBUG_PROMISE_LEAKS is set; with V8's async stack traces that
 * capture is most of what a resource costs (profiled: about half of a prod run). So a run sets
 * `Error.stackTraceLimit` to 0 while the program runs (restored afterwards): errors keep their
 * messages — what the CLIs print and the tests match — but an error raised inside a run has no stack.
 * PULUMI_DEBUG_PROMISE_LEAKS=1 (the SDK's leak report) or AGENTSTACK_STACK_TRACES=1 (debugging a
 * component) keep the traces. No Pulumi import here: the CLI entry loads it before it knows the tool.
 */
let capture = false;

export function setStackTraceCapture(on: boolean): void {
    capture = on;
}

/** True when a run should keep stack traces. */
export function capturesStackTraces(): boolean {
    return (
        capture || Boolean(process.env["PULUMI_DEBUG_PROMISE_LEAKS"]) || Boolean(process.env["AGENTSTACK_STACK_TRACES"])
    );
}
