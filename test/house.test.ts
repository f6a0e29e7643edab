/**
 * The house rule, enforced: dependencies point one way.
 *   lib/        imports nothing of ours
 *   stacks/     imports only lib/
 *   components/ imports stacks/ and lib/ (and its siblings)
 *   policies/   imports stacks/ and lib/ (and its siblings), never tools/ or components/
 *   injector/   imports nothing of ours (Node built-ins only: it runs alone in the cluster)
 *   tools/      may import anything, the program at the root included
 * Read from the sources themselves (static and dynamic imports, `require`, `export … from`).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../tools/harness/stackConfig";

const FOLDERS = ["lib", "stacks", "components", "policies", "injector", "tools"] as const;
type Folder = (typeof FOLDERS)[number];
const ALLOWED: Record<Folder, readonly string[]> = {
    lib: ["lib"],
    stacks: ["stacks", "lib"],
    components: ["components", "stacks", "lib"],
    policies: ["policies", "stacks", "lib"],
    injector: ["injector"],
    tools: ["tools", "lib", "stacks", "components", "policies", "injector", "root"],
};

function sources(dir: string): string[] {
    const out: string[] = [];
    for (const name of readdirSync(dir)) {
        if (name === "node_modules" || name.startsWith(".")) continue;
        const p = join(dir, name);
        if (statSync(p).isDirectory()) out.push(...sources(p));
        else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
    }
    return out;
}

/** Relative module specifiers a file imports. */
function importsOf(file: string): string[] {
    const text = readFileSync(file, "utf8");
    const specs: string[] = [];
    const patterns = [
        /\bfrom\s+["']([^"']+)["']/g,
        /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
        /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
        /^\s*import\s+["']([^"']+)["']/gm,
    ];
    for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!);
    return specs.filter((s) => s.startsWith("."));
}

/** The top folder of a path, or "root" for the files at the project root (index.ts, program.ts). */
function folderOf(absPath: string): string {
    const parts = relative(PROJECT_DIR, absPath).split(/[\\/]/);
    return parts.length === 1 ? "root" : parts[0]!;
}

describe("dependencies point one way", () => {
    const edges: { from: string; folder: Folder; to: string }[] = [];
    for (const folder of FOLDERS) {
        for (const file of sources(join(PROJECT_DIR, folder))) {
            for (const spec of importsOf(file))
                edges.push({ from: relative(PROJECT_DIR, file), folder, to: folderOf(resolve(dirname(file), spec)) });
        }
    }

    it("reads the whole tree (the test can see imports)", () => {
        expect(edges.length).toBeGreaterThan(200);
        expect(edges.some((e) => e.folder === "components" && e.to === "stacks")).toBe(true);
    });

    it.each(FOLDERS)("%s/ imports only what the house allows", (folder) => {
        const bad = edges
            .filter((e) => e.folder === folder && !ALLOWED[folder].includes(e.to))
            .map((e) => `${e.from} → ${e.to}/`);
        expect(bad).toEqual([]);
    });

    it("flags a forbidden import when there is one (the check can fail)", () => {
        const probe = importsOf(join(PROJECT_DIR, "test", "house.test.ts"));
        expect(probe.map((s) => folderOf(resolve(join(PROJECT_DIR, "test"), s)))).toContain("tools");
    });
});
