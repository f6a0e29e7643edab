/**
 * Whether program runs (tools/harness/run.ts) capture stack traces. The SDK takes one for every
 * promise it creates (`new Error().stack` in @pulumi/pulumi runtime/debuggable.js), kept only to
 * describe leaked promises when PULUMI_DEBUG_PROMISE_LEAKS is set; with V8's async stack traces that
 * capture is most of what a resource costs (profiled: about half of a prod run). The CLIs print
 * messages, never stack traces, and turn it off: during their runs `Error.stackTraceLimit` is 0
 * (restored afterwards), unless PULUMI_DEBUG_PROMISE_LEAKS asks for the traces. Tests keep them, for
 * their failure reports. No Pulumi import here: the CLI entry sets it before it knows the tool.
 */
let capture = true;

export function setStackTraceCapture(on: boolean): void {
    capture = on;
}

/** True when a run should keep stack traces. */
export function capturesStackTraces(): boolean {
    return capture || Boolean(process.env["PULUMI_DEBUG_PROMISE_LEAKS"]);
}
