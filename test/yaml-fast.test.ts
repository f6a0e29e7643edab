/**
 * The synth's YAML fast path (tools/harness/yamlFast.ts) writes exactly what the yaml library writes,
 * wherever it applies: on every object of the three stacks and of a 10x10 stack, and on random plain
 * data; and it applies to most objects (otherwise it would be no faster).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import fc from "fast-check";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { writeScaledStack } from "../tools/bench/stack";
import { PROJECT_DIR, loadEngineConfig } from "../tools/harness/stackConfig";
import { fastYaml } from "../tools/harness/yamlFast";
import { runStack } from "./helpers";

const library = (o: unknown) => YAML.stringify(o, { lineWidth: 0, sortMapEntries: false });

describe("the YAML fast path", () => {
    it("writes the library's text for every rendered object it takes, and takes most of them", async () => {
        const file = writeScaledStack(PROJECT_DIR, fs.mkdtempSync(path.join(os.tmpdir(), "yaml-fast-")), 10, 10);
        const runs = [
            await runStack("dev"),
            await runStack("staging"),
            await runStack("prod"),
            await runStack("prod", { config: loadEngineConfig(PROJECT_DIR, "prod", file) }),
        ];
        let taken = 0;
        let total = 0;
        for (const run of runs) {
            for (const o of run.manifests) {
                total++;
                const fast = fastYaml(o);
                if (fast === undefined) continue;
                taken++;
                expect(fast, `${String(o["kind"])} ${String(o["metadata"]?.["name"])}`).toBe(library(o));
            }
        }
        expect(taken / total).toBeGreaterThan(0.9);
    }, 120_000);

    it("writes the library's text for random plain data, or declines", () => {
        const key = fc.stringMatching(/^[A-Za-z_/][A-Za-z0-9_./:@=+-]{0,12}$/);
        const str = fc.oneof(
            key,
            fc.stringMatching(/^[0-9]{1,4}[A-Za-z]{1,3}$/),
            fc.constantFrom(
                "true",
                "false",
                "null",
                "yes",
                "1e3",
                "0x10",
                "a: b",
                "x:",
                "-a",
                "",
                " a",
                "a#b",
                "8080",
                "0",
                "007",
                "a,b",
                ",a",
                "a, b",
                "[secret]",
                "{x}",
                "04aa6b1f",
                "123e4567",
                "1.5",
                ".inf",
                "0o17",
                "0.0.0.0/0",
                "a b",
                "a # b",
                "a#",
                "? a",
                "- a",
                "-",
                "?",
                "---",
                "...x",
                "%x",
                "it's",
                'say "hi"',
                "back\\slash",
                "two\nlines",
                "tab\there",
                "ünï",
                "a ",
                "*ref",
                "@at",
                "`tick`",
                "~",
                "Null",
                "TRUE",
            ),
        );
        const scalar = fc.oneof(str, fc.integer(), fc.boolean(), fc.constant(null), fc.double());
        const value = fc.letrec((tie) => ({
            v: fc.oneof(
                { depthSize: "small", withCrossShrink: true },
                scalar,
                fc.array(tie("v"), { maxLength: 3 }),
                fc.dictionary(key, tie("v"), { maxKeys: 3 }),
            ),
        })).v;
        fc.assert(
            fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }), (o) => {
                const fast = fastYaml(o);
                if (fast !== undefined) expect(fast).toBe(library(o));
            }),
            { numRuns: 4000 },
        );
    });
});
