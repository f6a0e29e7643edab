// @ts-check
/**
 * `npm run synth|policy|connectivity|diff|bench` start here: node runs the compiled bundle
 * (dist/cli.js) instead of transpiling TypeScript at every start. The bundle is built by `npm ci`
 * (the `prepare` script) and by `npm test`; when a source file is newer than the bundle (an edit since
 * the last build) it is rebuilt first, so the tools always run the code in the working tree.
 */
const { build, isStale, BUNDLE } = require("./build.cjs");

const [name] = process.argv.splice(2, 1);
if (isStale()) {
    try {
        build();
    } catch {
        // esbuild has printed the errors (file:line and the message) above.
        process.stderr.write("launch: dist/cli.js could not be built from the working tree (errors above)\n");
        process.exit(1);
    }
}
const cli = require(BUNDLE);
if (!cli.isTool(name)) {
    process.stderr.write(`launch: unknown tool '${name ?? ""}' (known: ${cli.TOOLS.join(", ")})\n`);
    process.exitCode = 2;
} else {
    cli.run(name, process.argv.slice(2));
}
