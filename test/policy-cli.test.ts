/**
 * `npm run policy` as the contract says: flags the acceptance criteria's bad manifests (a root
 * Deployment with a writable root filesystem, a LoadBalancer Service selecting a Qdrant pod, a
 * secret-looking literal env var, a Fail webhook whose backend has one replica) and passes a clean
 * one; JSON and exit codes; usage errors exit 2 without a stack trace; SARIF validates against the
 * SARIF 2.1.0 schema (the copy shipped in @microsoft/jest-sarif).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { badManifests, cleanWorld, toYamlDocuments } from "../tools/policy/fixtures";
import { classifyError } from "../tools/cli";
import { main } from "../tools/policy";
import { toSarif } from "../tools/policy/format";
import { loadSourcedManifests } from "../tools/policy/manifests";
import { Violation, evaluateManifests, evaluateManifestsDetailed } from "../tools/policy/run";

const ROOT = path.resolve(__dirname, "..");
const LAUNCHER = path.join(ROOT, "tools", "launch.cjs");

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [LAUNCHER, "policy", ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let badFile: string;
let cleanFile: string;

beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-cli-"));
    badFile = path.join(dir, "bad.yaml");
    fs.writeFileSync(badFile, toYamlDocuments(badManifests()));
    cleanFile = path.join(dir, "clean", "platform.yaml");
    fs.mkdirSync(path.dirname(cleanFile));
    fs.writeFileSync(cleanFile, toYamlDocuments(cleanWorld()));
});

/** The official SARIF 2.1.0 schema (draft-04 text of the SARIF SDK), read for a draft-07 validator. */
function sarifValidator(): (doc: unknown) => string[] {
    const schema = JSON.parse(
        fs.readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(schema["title"]).toMatch(/SARIF\) Version 2\.1\.0/);
    const { $schema: _draft, id, ...rest } = schema;
    void _draft;
    // The schema's patterns predate unicode-mode regular expressions.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
    ajv.addFormat("uri-reference", /^[^\s]*$/);
    ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const validate = ajv.compile({ ...rest, $id: String(id) });
    return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

describe("npm run policy -- --manifests", () => {
    it("flags the bad manifests (JSON, exit code 1) with the contract's fields", () => {
        const r = cli(["--manifests", badFile, "--format", "json"]);
        expect(r.code, r.stderr).toBe(1);
        const vs = JSON.parse(r.stdout) as Violation[];
        for (const v of vs) {
            expect(Object.keys(v).sort()).toEqual(["enforcement", "level", "message", "policy", "resource"]);
            expect(["advisory", "mandatory"]).toContain(v.enforcement);
            expect([1, 2, 3]).toContain(v.level);
        }
        const has = (policy: string, kind: string, name: string, text: string) =>
            expect(
                vs.some(
                    (v) =>
                        v.policy === policy &&
                        v.resource.kind === kind &&
                        v.resource.name === name &&
                        v.message.includes(text) &&
                        v.enforcement === "mandatory",
                ),
                `${policy} on ${kind}/${name}`,
            ).toBe(true);
        has("pod-run-as-non-root", "Deployment", "web", "runs as root (runAsUser: 0)");
        has("pod-read-only-root-fs", "Deployment", "web", "writable root filesystem");
        has(
            "network-data-store-exposure",
            "Service",
            "vectors-public",
            "exposes the data store Deployment shop/vectors outside the cluster (spec.type: LoadBalancer)",
        );
        has("secrets-env-literal", "Deployment", "web", "env DB_PASSWORD looks secret but has a literal value");
        has("zerotrust-webhook-backend", "ValidatingWebhookConfiguration", "policy-hook", "runs 1 replica");
        expect(vs.find((v) => v.resource.name === "web")!.resource.namespace).toBe("shop");
    });

    it("passes a clean platform (a directory of manifests): [] and exit code 0", () => {
        const r = cli(["--manifests", path.dirname(cleanFile), "--format", "json"]);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual([]);
    });

    it("text output names the level and the pack config", () => {
        const r = cli(["--manifests", badFile, "--level", "1"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/^MANDATORY pod-run-as-non-root \(level 1\) Deployment shop\/web$/m);
        expect(r.stdout).toMatch(/advisory +network-default-deny \(level 2\)/);
        expect(r.stdout).toMatch(/required level 1; pack config: generated for level 1/);
    });

    it.each([
        [[], "give exactly one of --stack"],
        [["--manifests", "x.yaml", "--level", "4"], "--level must be 1, 2 or 3"],
        [["--stack", "nosuchstack"], "config file not found"],
    ])("usage error %j exits 2 with a message and no stack trace", (args, text) => {
        const r = cli(args as string[]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(text);
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(r.stdout).toBe("");
    });

    it.each([
        [["--stack", "dev", "--manifests", "x"], "give exactly one of --stack"],
        [["--manifests", "x.yaml", "--format", "xml"], "--format must be text, json or sarif"],
        [["--manifests", "/nonexistent/x.yaml"], "no such file or directory"],
        [["--bogus"], "unknown flag --bogus"],
        [["--manifests", "x.yaml", "--config-file", "Pulumi.dev.yaml"], "--config-file applies to --stack only"],
    ])("usage error %j is classified as exit code 2", async (args, text) => {
        const err = await main(args as string[]).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(classifyError(err)).toEqual({ code: 2, message: expect.stringContaining(text) });
    });

    it("an unreadable manifest is a usage error", () => {
        const file = path.join(dir, "broken.yaml");
        fs.writeFileSync(file, "kind: [unclosed\n");
        const r = cli(["--manifests", file]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/invalid YAML/);
    });
});

describe("SARIF", () => {
    it("validates against the SARIF 2.1.0 schema, with rules, levels and file locations", async () => {
        const validate = sarifValidator();
        const e = await evaluateManifestsDetailed(loadSourcedManifests(badFile), { level: 2 });
        const sarif = toSarif(e) as any;
        expect(validate(sarif)).toEqual([]);
        const run = sarif.runs[0];
        expect(run.tool.driver.rules.length).toBeGreaterThan(40);
        expect(run.results).toHaveLength(e.violations.length);
        const root = run.results.find(
            (r: any) => r.ruleId === "pod-run-as-non-root" && r.message.text.startsWith("Deployment shop/web"),
        );
        expect(root.level).toBe("error");
        expect(run.tool.driver.rules[root.ruleIndex].id).toBe("pod-run-as-non-root");
        expect(root.locations[0].physicalLocation.artifactLocation.uri).toMatch(/bad\.yaml$/);
        expect(root.locations[0].logicalLocations[0].fullyQualifiedName).toBe("Deployment/shop/web");
        expect(run.results.some((r: any) => r.level === "warning")).toBe(true);
        // An empty result set is valid too.
        expect(validate(toSarif(await evaluateManifestsDetailed(cleanWorld(), { level: 3 })))).toEqual([]);
    });

    it("the CLI's --format sarif output validates", () => {
        const r = cli(["--manifests", badFile, "--format", "sarif"]);
        expect(r.code).toBe(1);
        expect(sarifValidator()(JSON.parse(r.stdout))).toEqual([]);
    });
});

describe("npm run policy -- --stack", () => {
    it("prod: exit 0 and only advisories", () => {
        const r = cli(["--stack", "prod", "--format", "json"]);
        expect(r.code, r.stderr).toBe(0);
        const vs = JSON.parse(r.stdout) as Violation[];
        expect(vs.filter((v) => v.enforcement === "mandatory")).toEqual([]);
    });

    it("dev at level 3: exit 1", () => {
        const r = cli(["--stack", "dev", "--level", "3"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/MANDATORY availability-min-replicas/);
        expect(r.stdout).toMatch(/required level 3; pack config: policies\/config\/dev\.json at level 3 \(--level\)/);
    });
});

describe("the exported API (other tools import it)", () => {
    it("evaluateManifests(objects, { level }) returns the violations", async () => {
        const vs = await evaluateManifests(badManifests(), { level: 3 });
        expect(vs.some((v) => v.policy === "pod-run-as-non-root" && v.enforcement === "mandatory")).toBe(true);
        expect(await evaluateManifests(cleanWorld(), { level: 3 })).toEqual([]);
    });
});
