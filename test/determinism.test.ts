/**
 * Determinism: two synth runs of the same commit write byte-identical trees, so a diff between two
 * renderings shows only real changes. Two separate processes (what two CI runs are), run side by side.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const LAUNCHER = path.join(ROOT, "tools", "launch.cjs");

function synth(out: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(process.execPath, [LAUNCHER, "synth", "--stack", "prod", "--out", out], {
            cwd: ROOT,
            env: { ...process.env, NO_COLOR: "1" },
        });
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
}

function files(dir: string, rel = ""): string[] {
    return fs
        .readdirSync(path.join(dir, rel), { withFileTypes: true })
        .flatMap((e) => {
            const p = path.join(rel, e.name);
            return e.isDirectory() ? files(dir, p) : [p];
        })
        .sort();
}

describe("synth determinism", () => {
    it("two synth runs of prod give byte-identical trees", async () => {
        const a = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-det-a-"));
        const b = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-det-b-"));
        const [ra, rb] = await Promise.all([synth(a), synth(b)]);
        expect(ra.stderr).toBe("");
        expect(rb.stderr).toBe("");
        expect([ra.code, rb.code]).toEqual([0, 0]);
        const fa = files(a);
        expect(fa).toEqual(files(b));
        expect(fa).toContain("resources.json");
        expect(fa.filter((f) => f.endsWith(".yaml")).length).toBeGreaterThan(20);
        for (const f of fa) {
            const x = fs.readFileSync(path.join(a, f));
            const y = fs.readFileSync(path.join(b, f));
            expect(x.equals(y), `${f} differs between two runs`).toBe(true);
        }
        fs.rmSync(a, { recursive: true, force: true });
        fs.rmSync(b, { recursive: true, force: true });
    }, 120_000);
});
