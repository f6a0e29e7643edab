// The SDK's floor for a stack of N resources, run by `npm run bench` as a whole process: the bare
// require of @pulumi/pulumi, kubernetes, random and tls, then N ConfigMaps (2 KB of data each)
// registered under the SDK's own mocks (pulumi.runtime.setMocks), run as the harness runs the program
// (no per-promise stack traces). No program code, no rendering, no files: what any Pulumi program of
// N resources costs offline before it does anything of its own.
Error.stackTraceLimit = 0;
const pulumi = require("@pulumi/pulumi");
const k8s = require("@pulumi/kubernetes");
require("@pulumi/random");
require("@pulumi/tls");

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1) {
    process.stderr.write("usage: node tools/bench/sdk-floor.cjs <number of resources>\n");
    process.exit(2);
}
pulumi.runtime.setMocks(
    { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) },
    "floor",
    "floor",
    false,
);
const data = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key-${i}`, "v".repeat(100)]));
pulumi.runtime
    .runInPulumiStack(async () => {
        for (let i = 0; i < n - 1; i++)
            new k8s.core.v1.ConfigMap(`cm-${i}`, {
                metadata: { name: `cm-${i}`, namespace: "floor", labels: { app: "floor" } },
                data,
            });
    })
    .then(() => pulumi.runtime.disconnect())
    .catch((e) => {
        process.stderr.write(`sdk-floor: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
    });
