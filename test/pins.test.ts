/**
 * Copies of Pulumi machinery, pinned to the installed versions (issue 14).
 *
 * tools/policy/engine.ts re-implements the parts of @pulumi/policy 1.21.0's analyzer server
 * (server.js) that the offline policy runner needs, because server.js exports only gRPC handlers.
 * What the packages export is used instead of copied: the unknown sentinel and the wire signatures
 * (@pulumi/pulumi runtime/rpc, in tools/harness/mocks.ts and engine.ts), `Result.SUCCESS` (proto/
 * resource_pb), `getPulumiType` (policy.js), `unknownCheckingProxy`, `secretsPreservingProxy`,
 * `Secret` and the proxy keys. What is still a copy is checked here against the installed sources.
 *
 * ON UPGRADE of @pulumi/policy or @pulumi/pulumi this test fails on the version check first. Then
 * re-read, in node_modules/@pulumi/policy:
 *   - server.js `makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun`, `makeRemediateRpcFun`: the enforcement
 *     order (config || policy || pack), the not-applicable reasons, the "can't run ... during preview"
 *     diagnostics, how `validateResource` arrays and type-tagged validations are handled;
 *   - server.js `makeReportViolationFun` (description + "\n" + message; the object form) and `isTypeOf`;
 *   - server.js `makeGetConfigFun` / `configure` (getConfig returns the config without enforcementLevel);
 *   - deserialize.js `deserializeProperties` / `serializeProperties` (compared below by running both);
 *   - proxy.js `unknownStringValue` and what `isUnknown` accepts;
 * and in @pulumi/pulumi runtime/rpc.js the sentinel and signature constants mocks.ts decodes. Compare
 * with tools/policy/engine.ts (`deserialize`, `serializeProperties`, `isTypeOf`, `reportFun`,
 * `enforcementOf`, `runPolicies`), update what changed, then the versions below and the snippets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Secret } from "@pulumi/policy";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { Result } from "@pulumi/pulumi/proto/resource_pb";
import { UNKNOWN } from "../tools/harness/mocks";
import { PROJECT_DIR } from "../tools/harness/stackConfig";
import { UNKNOWN_SENTINEL, deserializeProperties, serializeProperties } from "../tools/policy/engine";

const POLICY_DIR = join(PROJECT_DIR, "node_modules", "@pulumi", "policy");
const PULUMI_DIR = join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi");
const versionOf = (dir: string) =>
    (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
const source = (file: string) => readFileSync(join(POLICY_DIR, file), "utf8");

const installed = require("@pulumi/policy/deserialize") as {
    deserializeProperties(
        struct: { toJavaScript(): Record<string, unknown> },
        proxySecrets: boolean,
    ): Record<string, unknown>;
    serializeProperties(obj: unknown): Promise<unknown>;
};
const proxy = require("@pulumi/policy/proxy") as {
    unknownStringValue: string;
    unknownCheckingProxy<T extends object>(o: T): T;
};
const { secretsPreservingProxy } = require("@pulumi/policy/secret") as {
    secretsPreservingProxy<T extends object>(o: T): T;
};

/** Our marker format (`$secret`, `$unknown`) as the engine puts it on the wire. */
function toWire(v: unknown): unknown {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(toWire);
    const o = v as Record<string, unknown>;
    if ("$unknown" in o) return rpc.unknownValue;
    if ("$secret" in o) return { [rpc.specialSigKey]: rpc.specialSecretSig, value: toWire(o["$secret"]) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, toWire(x)]));
}

/** The wire format back to our markers. */
function fromWire(v: unknown): unknown {
    if (v === rpc.unknownValue) return { $unknown: true };
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map(fromWire);
    const o = v as Record<string, unknown>;
    if (o[rpc.specialSigKey] === rpc.specialSecretSig) return { $secret: fromWire(o["value"]) };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromWire(x)]));
}

/** Resource inputs with everything the deserializer distinguishes: nesting, arrays, secrets (nested too), unknowns, nulls, an undefined top-level key. */
const PROPS: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", labels: { a: "b" }, annotations: { x: { $unknown: true } } },
    stringData: { password: { $secret: "hunter2" }, nested: { $secret: { deep: ["a", { $secret: "b" }] } } },
    data: null,
    list: [1, true, { $unknown: true }, null, "z"],
    dropped: undefined,
};

describe("installed versions (the copies below are of these)", () => {
    it("@pulumi/policy 1.21.0 and @pulumi/pulumi 3.248.0", () => {
        expect(versionOf(POLICY_DIR)).toBe("v1.21.0");
        expect(versionOf(PULUMI_DIR)).toBe("3.248.0");
    });
});

describe("constants taken from the SDK, and what the policy proxy recognises", () => {
    it("the unknown sentinel of the harness and the engine is the SDK's, and proxy.js treats it as unknown", () => {
        expect(UNKNOWN).toBe(rpc.unknownValue);
        expect(UNKNOWN_SENTINEL).toBe(rpc.unknownValue);
        expect(proxy.unknownStringValue).toBe(rpc.unknownValue);
        expect(() => (proxy.unknownCheckingProxy({ a: UNKNOWN_SENTINEL }) as { a: string }).a).toThrow(
            /can't be known during preview/,
        );
        expect(Result.SUCCESS).toBe(0);
    });
});

describe("engine.ts deserialize/serialize behave as deserialize.js on the same inputs", () => {
    it("without secret proxies (validations): secrets unwrapped, unknowns as the sentinel, undefined top-level keys dropped", () => {
        const ours = deserializeProperties(PROPS, false);
        const theirs = installed.deserializeProperties(
            { toJavaScript: () => toWire(PROPS) as Record<string, unknown> },
            false,
        );
        expect(ours).toEqual(theirs);
        expect("dropped" in ours).toBe(false);
        expect((ours["stringData"] as Record<string, unknown>)["password"]).toBe("hunter2");
    });

    it("with secret proxies (remediations): the same values, and the same round trip back to the wire", async () => {
        const ours = deserializeProperties(PROPS, true);
        const theirs = installed.deserializeProperties(
            { toJavaScript: () => toWire(PROPS) as Record<string, unknown> },
            true,
        );
        const { dropped: _dropped, ...sent } = PROPS;
        expect(serializeProperties(ours)).toEqual(sent);
        expect(fromWire(await installed.serializeProperties(theirs))).toEqual(sent);
        expect(serializeProperties(theirs)).toEqual(fromWire(await installed.serializeProperties(ours)));
    });

    it("serializes what a remediation returns (Secret objects, proxies, undefined in arrays) as serializeProperties does", async () => {
        const remediated = {
            a: new Secret("s"),
            b: [undefined, 1, new Secret({ c: UNKNOWN_SENTINEL })],
            d: secretsPreservingProxy({ e: new Secret("f") }),
            g: undefined,
        };
        expect(serializeProperties(remediated)).toEqual(fromWire(await installed.serializeProperties(remediated)));
    });
});

describe("server.js: the code engine.ts mirrors is still there, as copied", () => {
    const server = source("server.js");
    const policy = source("policy.js");

    it.each([
        // enforcementOf: config || policy || pack
        ["enforcement order", "enforcementLevel) || p.enforcementLevel || policyPackEnforcementLevel;"],
        // runPolicies: not-applicable reasons
        ["no validateResource", 'const reason = "Policy does not implement validateResource";'],
        ["no remediateResource", 'const reason = "Policy does not implement remediateResource";'],
        ["type-tagged validation", "const reason = `Policy only applies to resources of type '${pulumiType}'`;"],
        // runPolicies: an UnknownValueError becomes an advisory diagnostic
        [
            "preview diagnostic",
            'message: `can\'t run ${policyFrom} during preview: ${e.message}` }, diag), { enforcementLevel: "advisory" }));',
        ],
        ["remediation preview diagnostic", "diagnostic = `can't run ${policyFrom} during preview: ${e.message}`;"],
        // reportFun: description + "\n" + message, the object form's fallbacks
        ["violation message", "violationMessage += `\\n${message}`;"],
        ["object violation", "message: policyInfo.message || policyInfo.description || description,"],
        // isTypeOf: the type token first, else isInstance on a stub
        [
            "isTypeOf token",
            "const pulumiType = policy_1.getPulumiType(resourceClass);\n    if (pulumiType) {\n        return type === pulumiType;",
        ],
        ["isTypeOf isInstance", "isInstance({ __pulumiType: type }) === true;"],
    ])("%s", (_what, snippet) => {
        expect(server).toContain(snippet);
    });

    it("getPulumiType (used, not copied) reads __pulumiType", () => {
        expect(policy).toContain("const pulumiType = obj === null || obj === void 0 ? void 0 : obj.__pulumiType;");
    });
});
