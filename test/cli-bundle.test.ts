/**
 * The command-line tools run from the compiled bundle (tools/build.cjs → dist/cli.js, started by
 * tools/launch.cjs): `npm run` scripts go through the launcher, the bundle renders exactly what the
 * sources render, and `connectivity` starts without loading the Pulumi SDK.
 * No timing here: speed is `npm run bench`'s job.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { writeSynthOutput } from "../tools/synth";
import { runStack } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const LAUNCHER = path.join(ROOT, "tools", "launch.cjs");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

function files(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
        const p = path.join(dir, f);
        if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p, "utf8");
    }
    return out;
}

describe("the CLIs run compiled", () => {
    it("every npm run tool goes through the launcher; the bundle is built by npm ci (prepare) and npm test", () => {
        for (const tool of ["synth", "policy", "connectivity", "diff", "bench"])
            expect(pkg.scripts[tool]).toBe(`node tools/launch.cjs ${tool}`);
        expect(pkg.scripts["prepare"]).toBe("node tools/build.cjs");
        expect(pkg.scripts["test"]).toContain("node tools/build.cjs");
    });

    it("synth from the bundle writes exactly what the sources render", async () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-bundle-"));
        const r = spawnSync(
            process.execPath,
            [LAUNCHER, "synth", "--stack", "dev", "--out", path.join(tmp, "bundle")],
            { cwd: ROOT, encoding: "utf8" },
        );
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        writeSynthOutput(await runStack("dev"), path.join(tmp, "sources"));
        expect(files(path.join(tmp, "bundle"))).toEqual(files(path.join(tmp, "sources")));
    }, 120_000);

    it("connectivity starts without the Pulumi SDK, and the exit-code contract holds (2 for an empty input)", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-bundle-"));
        const empty = path.join(tmp, "empty.yaml");
        fs.writeFileSync(empty, "");
        const loaded = path.join(tmp, "modules.json");
        const preload = path.join(tmp, "modules.cjs");
        fs.writeFileSync(
            preload,
            `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))));\n`,
        );
        const r = spawnSync(process.execPath, ["-r", preload, LAUNCHER, "connectivity", "--manifests", empty], {
            cwd: ROOT,
            encoding: "utf8",
        });
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/holds no Kubernetes object/);
        const modules = JSON.parse(fs.readFileSync(loaded, "utf8")) as string[];
        expect(modules.some((m) => m.includes(`${path.sep}dist${path.sep}cli.js`))).toBe(true);
        expect(modules.filter((m) => m.includes("@pulumi"))).toEqual([]);
    });

    it("an unknown tool is a usage error", () => {
        const r = spawnSync(process.execPath, [LAUNCHER, "nope"], { cwd: ROOT, encoding: "utf8" });
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("unknown tool 'nope'");
    });
});
