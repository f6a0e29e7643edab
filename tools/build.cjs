// @ts-check
/**
 * Builds the command-line bundle: tools/main.ts and everything it imports from this repository
 * (the program, the policy pack, the tools) into one CommonJS file, dist/cli.js, with esbuild.
 * Packages stay in node_modules (the Pulumi SDK must be the one the program and the mocks share).
 * Also writes dist/cli.inputs.json, the source files the bundle was built from, so that the launcher
 * (tools/launch.cjs) can tell a stale bundle from a fresh one.
 *
 * Run by `npm ci`/`npm install` (the `prepare` script), by `npm test`, and by the launcher itself
 * when a source file is newer than the bundle. Plain JavaScript: it must run before anything is built.
 */
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const DIST = path.join(ROOT, "dist");
const BUNDLE = path.join(DIST, "cli.js");
const INPUTS = path.join(DIST, "cli.inputs.json");

/**
 * Packages compiled into the bundle: pure JavaScript read at every start (the stack file's YAML, the
 * config schema), hundreds of small modules the loader would otherwise resolve and read one by one.
 * Every other package stays a `require` of node_modules: the Pulumi SDK and its providers must be the
 * single copy the program and the mocks share, and some read files beside their modules.
 */
const INLINE = new Set(["yaml", "zod"]);

/** Every installed package but the inlined ones (a package marked external keeps its subpaths external). */
function externalPackages() {
    const nm = path.join(ROOT, "node_modules");
    const names = [];
    for (const d of fs.readdirSync(nm)) {
        if (d.startsWith(".")) continue;
        if (d.startsWith("@")) for (const s of fs.readdirSync(path.join(nm, d))) names.push(`${d}/${s}`);
        else names.push(d);
    }
    return names.filter((n) => !INLINE.has(n));
}

/** Builds the bundle; returns the source files it is made of (relative to the project root). */
function build() {
    const esbuild = require("esbuild");
    fs.mkdirSync(DIST, { recursive: true });
    // Written beside the target and renamed over it: a concurrent start never reads half a bundle.
    const tmp = `${BUNDLE}.${process.pid}.tmp`;
    const options = {
        absWorkingDir: ROOT,
        entryPoints: [path.join(ROOT, "tools", "main.ts")],
        bundle: true,
        platform: /** @type {const} */ ("node"),
        format: /** @type {const} */ ("cjs"),
        target: "node20",
        external: externalPackages(),
        outfile: tmp,
        metafile: true,
        // esbuild prints each error with its file:line; the error thrown below does not repeat them.
        logLevel: /** @type {const} */ ("warning"),
        // No source maps: V8 would map every stack the SDK captures. Names stay readable in traces.
        sourcemap: false,
        minify: false,
    };
    let result;
    try {
        result = esbuild.buildSync(options);
    } catch {
        fs.rmSync(tmp, { force: true });
        throw new Error("esbuild failed (errors above)");
    }
    const inputs = Object.keys(result.metafile.inputs)
        .filter((f) => !f.split("/").includes("node_modules"))
        .sort();
    fs.renameSync(tmp, BUNDLE);
    fs.writeFileSync(
        INPUTS,
        `${JSON.stringify({ inputs: [...inputs, "tools/build.cjs", "package.json", "tsconfig.json"] }, null, 2)}\n`,
    );
    return inputs;
}

/** True when the bundle is missing, or older than one of its inputs (or an input is gone). */
function isStale() {
    let built;
    try {
        built = fs.statSync(BUNDLE).mtimeMs;
        const { inputs } = JSON.parse(fs.readFileSync(INPUTS, "utf8"));
        for (const f of inputs) {
            if (fs.statSync(path.join(ROOT, f)).mtimeMs > built) return true;
        }
        return false;
    } catch {
        return true;
    }
}

module.exports = { build, isStale, BUNDLE };

if (require.main === module) {
    let inputs;
    try {
        inputs = build();
    } catch (e) {
        process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    }
    process.stdout.write(
        `build: ${path.relative(process.cwd(), BUNDLE) || BUNDLE} from ${inputs.length} source files\n`,
    );
}
