/**
 * Rendering a stack at a git ref: a temporary `git worktree` of the ref (detached, so no branch is
 * touched), with this checkout's node_modules linked in (no install), running that ref's own
 * `tools/synth.ts` — the same offline harness the working tree uses. The worktree is removed again
 * whatever happens.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A usage problem with a ref (exit code 2). */
export class RefError extends Error {}

function git(cwd: string, args: string[]): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function tryGit(cwd: string, args: string[]): string | undefined {
    try {
        return git(cwd, args);
    } catch {
        return undefined;
    }
}

/** The commit a ref names, or a RefError. */
export function resolveCommit(cwd: string, ref: string): string {
    const c = tryGit(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    if (!c) throw new RefError(`--base/--head: '${ref}' is not a commit of this repository`);
    return c;
}

/** The default base: the merge base of HEAD with `main` (or `origin/main` in a CI checkout). */
export function defaultBase(cwd: string): { label: string; commit: string } {
    for (const branch of ["main", "origin/main"]) {
        if (!tryGit(cwd, ["rev-parse", "--verify", "--quiet", `${branch}^{commit}`])) continue;
        const mb = tryGit(cwd, ["merge-base", "HEAD", branch]);
        if (mb) return { label: `merge base with ${branch}`, commit: mb };
    }
    throw new RefError("no branch 'main' (or 'origin/main') to take the merge base with: pass --base <git ref>");
}

/** A path relative to the project folder as a path from the repository root (for `git cat-file`). */
export function repoRelative(projectDir: string, file: string): string {
    const top = git(projectDir, ["rev-parse", "--show-toplevel"]);
    const rel = path.relative(top, projectDir).split(path.sep).join("/");
    return rel === "" ? file : `${rel}/${file}`;
}

/** True when `file` exists in the tree of `commit`. */
export function existsAt(cwd: string, commit: string, file: string): boolean {
    return tryGit(cwd, ["cat-file", "-e", `${commit}:${file}`]) !== undefined;
}

/** A checked-out ref in a temporary folder. */
export interface Worktree {
    /** The project folder inside the worktree (where Pulumi.yaml is). */
    readonly projectDir: string;
    readonly commit: string;
    remove(): void;
}

/**
 * Checks a commit out into a temporary worktree and links `nodeModules` into it.
 * @param projectDir the project folder of this checkout (may be below the repository root)
 */
export function addWorktree(projectDir: string, commit: string, nodeModules: string): Worktree {
    const top = git(projectDir, ["rev-parse", "--show-toplevel"]);
    const rel = path.relative(top, projectDir);
    const holder = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-diff-wt-"));
    const dir = path.join(holder, "tree");
    git(top, ["worktree", "add", "--detach", "--quiet", dir, commit]);
    let removed = false;
    const wtProject = path.join(dir, rel);
    const remove = () => {
        if (removed) return;
        removed = true;
        try {
            fs.rmSync(path.join(wtProject, "node_modules"), { force: true });
        } catch {
            // the link is gone already
        }
        if (tryGit(top, ["worktree", "remove", "--force", dir]) === undefined) {
            process.stderr.write(`diff: warning: could not remove the temporary worktree ${dir}\n`);
        }
        fs.rmSync(holder, { recursive: true, force: true });
    };
    try {
        fs.symlinkSync(nodeModules, path.join(wtProject, "node_modules"), "dir");
    } catch (e) {
        remove();
        throw e;
    }
    return { projectDir: wtProject, commit, remove };
}

/** Runs `tools/synth.ts` of a checked-out project; resolves with stderr on failure. */
export function runSynth(
    projectDir: string,
    tsxCli: string,
    stack: string,
    out: string,
    env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(process.execPath, [tsxCli, path.join("tools", "synth.ts"), "--stack", stack, "--out", out], {
            cwd: projectDir,
            env: { ...process.env, NO_COLOR: "1", ...env },
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", (e) => resolve({ code: -1, stderr: e.message }));
        p.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
}
