/**
 * `npm run diff -- --stack <name>[,<name>...] [--base <git ref>] [--head <git ref>] [--format text|markdown|json]`
 *
 * Renders each stack at the base ref (default: the merge base of HEAD with main) in a temporary git
 * worktree with that ref's own synth, and in the working tree (or at --head <ref>, the same way), then
 * reports per Kubernetes object what is added, removed, updated or REPLACED (with a data-loss warning
 * when it holds data), option changes such as `protect`, and the policy verdicts that appear or
 * disappear. Exit code 0 whatever the diff; 2 for usage and config errors; 1 when rendering fails.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseFlags, runCli, UsageError } from "./cli";
import { diffStack } from "./diff/compare";
import { renderJson, renderMarkdown, renderText } from "./diff/format";
import {
    addWorktree,
    defaultBase,
    existsAt,
    RefError,
    repoRelative,
    resolveCommit,
    runSynth,
    Worktree,
} from "./diff/git";
import { Evaluator, policyDiff, requiredLevel } from "./diff/policy";
import { EMPTY_TREE, readSynthTree } from "./diff/tree";
import { SideInfo, StackDiff, SynthTree } from "./diff/types";
import { SECRET_DIGEST_KEY_ENV } from "./harness/render";
import { PROJECT_DIR, runProgram } from "./harness/run";
import { evaluateManifests } from "./policy/run";
import { writeSynthOutput } from "./synth";

const FORMATS = ["text", "markdown", "json"] as const;
type Format = (typeof FORMATS)[number];

const TSX_CLI = path.join(PROJECT_DIR, "node_modules", "tsx", "dist", "cli.mjs");

/** One side of the comparison: where it comes from and how to render a stack there. */
interface Side {
    readonly info: SideInfo;
    /** The project folder whose stack and policy config files this side reads. */
    readonly projectDir: string;
    /** `digestKey`: the hex key both sides of one comparison digest Secret values with (never printed). */
    render(stack: string, tmp: string, digestKey: string): Promise<{ tree: SynthTree; emptyBecause?: string }>;
}

/** The working tree, rendered in this process with the synth harness (runProgram + writeSynthOutput). */
function workingTreeSide(): Side {
    return {
        info: { label: "working tree" },
        projectDir: PROJECT_DIR,
        async render(stack, tmp, digestKey) {
            const result = await runProgram({ stack });
            const previous = process.env[SECRET_DIGEST_KEY_ENV];
            process.env[SECRET_DIGEST_KEY_ENV] = digestKey;
            try {
                writeSynthOutput(result, tmp);
            } finally {
                if (previous === undefined) delete process.env[SECRET_DIGEST_KEY_ENV];
                else process.env[SECRET_DIGEST_KEY_ENV] = previous;
            }
            return { tree: readSynthTree(tmp) };
        },
    };
}

/** A commit, rendered by its own tools/synth.ts in a temporary worktree. */
function refSide(label: string, commit: string, cleanups: (() => void)[]): Side {
    const hasSynth = existsAt(PROJECT_DIR, commit, repoRelative(PROJECT_DIR, "tools/synth.ts"));
    let wt: Worktree | undefined;
    if (hasSynth) {
        wt = addWorktree(PROJECT_DIR, commit, path.join(PROJECT_DIR, "node_modules"));
        cleanups.push(wt.remove);
    }
    return {
        info: { label, commit },
        projectDir: wt?.projectDir ?? PROJECT_DIR,
        async render(stack, tmp, digestKey) {
            if (!wt) return { tree: EMPTY_TREE, emptyBecause: "no tools/synth.ts at this ref" };
            if (!fs.existsSync(path.join(wt.projectDir, `Pulumi.${stack}.yaml`)))
                return { tree: EMPTY_TREE, emptyBecause: `no Pulumi.${stack}.yaml at this ref` };
            // A synth older than the Secret digests ignores the key: the report then says values were not compared.
            const r = await runSynth(wt.projectDir, TSX_CLI, stack, tmp, { [SECRET_DIGEST_KEY_ENV]: digestKey });
            if (r.code !== 0)
                throw new Error(
                    `rendering stack ${stack} at ${label} (${commit.slice(0, 12)}) failed (exit code ${r.code}):\n${r.stderr.trim()}`,
                );
            return { tree: readSynthTree(tmp) };
        },
    };
}

export interface DiffRun {
    readonly stacks: readonly string[];
    /** Base ref; default: the merge base of HEAD with main. */
    readonly base?: string;
    /** Head ref; default: the working tree. */
    readonly head?: string;
    /** The policy evaluator; default: evaluateManifests of tools/policy/run.ts. */
    readonly evaluate?: Evaluator;
}

/** Renders and diffs every stack. Temporary worktrees and folders are removed before it returns. */
export async function computeDiffs(run: DiffRun): Promise<StackDiff[]> {
    const cleanups: (() => void)[] = [];
    const cleanup = () => {
        while (cleanups.length > 0) cleanups.pop()!();
    };
    const onSignal = (sig: NodeJS.Signals) => {
        cleanup();
        process.kill(process.pid, sig);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        if (!run.head) {
            for (const stack of run.stacks) {
                if (!fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`)))
                    throw new UsageError(`no stack file Pulumi.${stack}.yaml in ${PROJECT_DIR}`);
            }
        }
        const baseRef = run.base
            ? { label: run.base, commit: resolveCommit(PROJECT_DIR, run.base) }
            : defaultBase(PROJECT_DIR);
        const headCommit = run.head ? resolveCommit(PROJECT_DIR, run.head) : undefined;
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentstack-diff-"));
        cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
        const base = refSide(baseRef.label, baseRef.commit, cleanups);
        const head = run.head && headCommit ? refSide(run.head, headCommit, cleanups) : workingTreeSide();
        const evaluate = run.evaluate ?? (evaluateManifests as Evaluator);
        const out: StackDiff[] = [];
        // One random key per run, shared by both renders and forgotten afterwards: the Secret value digests
        // of two runs (or of anyone without the key) cannot be compared or guessed.
        const digestKey = randomBytes(32).toString("hex");
        for (const stack of run.stacks) {
            const [b, h] = await Promise.all([
                base.render(stack, fs.mkdtempSync(path.join(tmp, `${stack}-base-`)), digestKey),
                head.render(stack, fs.mkdtempSync(path.join(tmp, `${stack}-head-`)), digestKey),
            ]);
            const level = requiredLevel(head.projectDir, stack) ?? requiredLevel(base.projectDir, stack);
            const policy = await policyDiff(evaluate, b.tree, h.tree, level);
            out.push(
                diffStack({
                    stack,
                    base: b.tree,
                    head: h.tree,
                    baseInfo: { ...base.info, ...(b.emptyBecause ? { emptyBecause: b.emptyBecause } : {}) },
                    headInfo: { ...head.info, ...(h.emptyBecause ? { emptyBecause: h.emptyBecause } : {}) },
                    policy,
                }),
            );
        }
        return out;
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        cleanup();
    }
}

/** Renders diffs in a format. */
export function render(diffs: readonly StackDiff[], format: Format): string {
    if (format === "json") return renderJson(diffs);
    if (format === "markdown") return renderMarkdown(diffs);
    return renderText(diffs);
}

/** The diff command. */
export async function main(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, ["stack", "base", "head", "format"]);
    if (!flags["stack"]) throw new UsageError("--stack <name>[,<name>...] is required");
    const stacks = [
        ...new Set(
            flags["stack"]
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== ""),
        ),
    ];
    for (const s of stacks)
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s)) throw new UsageError(`--stack: '${s}' is not a stack name`);
    if (stacks.length === 0) throw new UsageError("--stack <name>[,<name>...] is required");
    const format = (flags["format"] ?? "text") as Format;
    if (!FORMATS.includes(format))
        throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got '${flags["format"]}')`);
    let diffs: StackDiff[];
    try {
        diffs = await computeDiffs({
            stacks,
            ...(flags["base"] ? { base: flags["base"] } : {}),
            ...(flags["head"] ? { head: flags["head"] } : {}),
        });
    } catch (e) {
        if (e instanceof RefError) throw new UsageError(e.message);
        throw e;
    }
    process.stdout.write(render(diffs, format));
    return 0;
}

if (require.main === module) runCli("diff", main);
