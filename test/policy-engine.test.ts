/**
 * The offline engine is faithful to @pulumi/policy's analyzer server: args (proxies, isType/asType,
 * getConfig defaults, notApplicable, opts), enforcement, diagnostics, remediation, stack resources,
 * config reconciliation like the CLI; the pack's files are what the CLI needs; and the real analyzer
 * server (run-policy-pack under ts-node) reports exactly what the offline engine reports.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import type { PolicyPackArgs, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACK_ARGS, PACK_NAME, POLICIES } from "../policies/pack";
import { metaOf } from "../policies/lib/define";
import { typeToken } from "../policies/lib/k8s";
import { AnalyzerSession } from "../tools/policy/analyzer";
import {
    ENVIRONMENT_CONFIG,
    PackConfigError,
    environmentConfig,
    generatePackConfig,
    loadPackConfig,
    reconcile,
} from "../tools/policy/config";
import { EngineResource, PolicyRunError, runPolicies } from "../tools/policy/engine";
import { badManifests, cleanWorld, obj, specOf } from "../tools/policy/fixtures";
import { manifestResources } from "../tools/policy/manifests";
import { packConfigFile } from "../tools/policy/run";

const ROOT = path.resolve(__dirname, "..");

const deployment: EngineResource = {
    type: "kubernetes:apps/v1:Deployment",
    name: "web",
    urn: "urn:pulumi:t::p::kubernetes:apps/v1:Deployment::web",
    props: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: { password: { $secret: "hunter2" }, later: { $unknown: true }, replicas: 2 },
    },
    options: { protect: true, deleteBeforeReplace: false },
    parent: "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t",
    dependencies: ["urn:pulumi:t::p::kubernetes:core/v1:Service::svc"],
};
const service: EngineResource = {
    type: "kubernetes:core/v1:Service",
    name: "svc",
    urn: "urn:pulumi:t::p::kubernetes:core/v1:Service::svc",
    props: { apiVersion: "v1", kind: "Service", metadata: { name: "svc" } },
    options: { protect: false },
};
const stackResource: EngineResource = {
    type: "pulumi:pulumi:Stack",
    name: "p-t",
    urn: "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t",
    props: {},
    options: { protect: false },
};

class FakeDeployment {
    static readonly __pulumiType = "kubernetes:apps/v1:Deployment";
}
class FakeService {
    static isInstance(o: unknown): boolean {
        return (o as { __pulumiType?: string }).__pulumiType === "kubernetes:core/v1:Service";
    }
}

function pack(...policies: (ResourceValidationPolicy | StackValidationPolicy)[]): PolicyPackArgs {
    return { policies, enforcementLevel: "advisory" };
}

describe("the offline engine calls policies as the analyzer server does", () => {
    it("resource policies: deserialized props, isType/asType, getConfig with defaults, opts, notApplicable, report format", async () => {
        const seen: Record<string, unknown>[] = [];
        const probe: ResourceValidationPolicy = {
            name: "probe",
            description: "Probe policy.",
            enforcementLevel: "mandatory",
            configSchema: { properties: { answer: { type: "integer", default: 42 } } },
            validateResource: (args, report) => {
                seen.push({
                    type: args.type,
                    isDeployment: args.isType(FakeDeployment as never),
                    isService: args.isType(FakeService as never),
                    asDeployment: args.asType(FakeDeployment as never) !== undefined,
                    config: args.getConfig(),
                    protect: args.opts.protect,
                    parent: args.opts.parent,
                    password: args.props["spec"]?.["password"],
                });
                if (!args.isType(FakeDeployment as never)) args.notApplicable("deployments only");
                report("too few replicas");
            },
        };
        const { config } = reconcile(pack(probe), {});
        const result = await runPolicies(pack(probe), [deployment, service], config);
        expect(seen).toEqual([
            {
                type: deployment.type,
                isDeployment: true,
                isService: false,
                asDeployment: true,
                config: { answer: 42 },
                protect: true,
                parent: deployment.parent,
                password: "hunter2",
            },
            {
                type: service.type,
                isDeployment: false,
                isService: true,
                asDeployment: false,
                config: { answer: 42 },
                protect: false,
                parent: undefined,
                password: undefined,
            },
        ]);
        expect(result.diagnostics).toEqual([
            {
                policyName: "probe",
                message: "Probe policy.\ntoo few replicas",
                violation: "too few replicas",
                description: "Probe policy.",
                enforcementLevel: "mandatory",
                urn: deployment.urn,
            },
        ]);
        expect(result.notApplicable).toEqual([{ policyName: "probe", urn: service.urn, reason: "deployments only" }]);
    });

    it("reading an unknown value through the proxy gives the engine's advisory 'can't run policy during preview'", async () => {
        const reader: ResourceValidationPolicy = {
            name: "reader",
            description: "Reads an unknown.",
            enforcementLevel: "mandatory",
            validateResource: (args, report) => {
                if (args.props["spec"]?.["later"] === "x") report("never");
            },
        };
        const result = await runPolicies(pack(reader), [deployment], reconcile(pack(reader), {}).config);
        expect(result.diagnostics).toHaveLength(1);
        expect(result.diagnostics[0]).toMatchObject({
            policyName: "reader",
            enforcementLevel: "advisory",
            engine: true,
        });
        expect(result.diagnostics[0]!.message).toMatch(
            /can't run policy 'reader' during preview: string value at \.spec\.later can't be known during preview/,
        );
    });

    it("disabled and advisory enforcement come from the config; a throwing policy fails the run", async () => {
        const always: ResourceValidationPolicy = {
            name: "always",
            description: "Always.",
            enforcementLevel: "mandatory",
            validateResource: (_a, report) => report("x"),
        };
        const p = pack(always);
        expect((await runPolicies(p, [service], reconcile(p, { always: "disabled" }).config)).diagnostics).toEqual([]);
        expect(
            (await runPolicies(p, [service], reconcile(p, { all: "advisory" }).config)).diagnostics.map(
                (d) => d.enforcementLevel,
            ),
        ).toEqual(["advisory"]);
        const boom: ResourceValidationPolicy = {
            name: "boom",
            description: "Boom.",
            validateResource: () => {
                throw new Error("bug");
            },
        };
        await expect(runPolicies(pack(boom), [service], reconcile(pack(boom), {}).config)).rejects.toThrow(
            PolicyRunError,
        );
    });

    it("stack policies get every resource with parent and dependencies linked, and report by URN", async () => {
        let got: PolicyResource[] = [];
        const s: StackValidationPolicy = {
            name: "stack",
            description: "Stack.",
            enforcementLevel: "mandatory",
            validateStack: (args, report) => {
                got = args.resources;
                report("about the service", service.urn);
                report("about the stack");
            },
        };
        const result = await runPolicies(pack(s), [stackResource, deployment, service], reconcile(pack(s), {}).config);
        const d = got.find((r) => r.name === "web")!;
        expect(d.parent?.type).toBe("pulumi:pulumi:Stack");
        expect(d.dependencies.map((x) => x.name)).toEqual(["svc"]);
        expect(d.opts.protect).toBe(true);
        expect(got.find((r) => r.name === "svc")!.isType(FakeService as never)).toBe(true);
        expect(result.diagnostics.map((x) => [x.violation, x.urn])).toEqual([
            ["about the service", service.urn],
            ["about the stack", undefined],
        ]);
    });

    it("remediations mutate props through the proxies; secrets and unknowns survive; remediate reports as mandatory", async () => {
        const fix: ResourceValidationPolicy = {
            name: "fix",
            description: "Fix.",
            enforcementLevel: "mandatory",
            remediateResource: (args) => {
                args.props["spec"]["replicas"] = 3;
                args.props["spec"]["password"] = "rotated";
                return args.props;
            },
            validateResource: (args, report) => {
                if (args.props["spec"]["replicas"] !== 3) report("not remediated");
                report("checked");
            },
        };
        const result = await runPolicies(pack(fix), [deployment], reconcile(pack(fix), { fix: "remediate" }).config);
        expect(result.remediations).toEqual([{ policyName: "fix", urn: deployment.urn }]);
        expect(result.resources[0]!.props["spec"]).toEqual({
            password: { $secret: "rotated" },
            later: { $unknown: true },
            replicas: 3,
        });
        expect(result.diagnostics.map((d) => [d.violation, d.enforcementLevel])).toEqual([["checked", "mandatory"]]);
    });
});

describe("pack config reconciliation follows the Pulumi CLI", () => {
    it("defaults from the config schema, `all` for enforcement only, per-policy entries override", () => {
        const { config } = reconcile(PACK_ARGS, {});
        for (const p of POLICIES) {
            expect(config[p.name]!.properties).toEqual({ requiredLevel: 3, forbidExemptions: false, exemptions: [] });
            expect(config[p.name]!.enforcementLevel).toBe(metaOf(p).advisoryOnly ? "advisory" : "mandatory");
        }
        const { config: c2 } = reconcile(PACK_ARGS, {
            all: { enforcementLevel: "advisory", requiredLevel: 1 },
            "pod-resources": { requiredLevel: 2 },
            "pod-probes": "disabled",
        } as never);
        expect(c2["network-default-deny"]).toEqual({
            enforcementLevel: "advisory",
            properties: { requiredLevel: 3, forbidExemptions: false, exemptions: [] },
        });
        expect(c2["pod-resources"]!.properties["requiredLevel"]).toBe(2);
        expect(c2["pod-probes"]!.enforcementLevel).toBe("disabled");
    });

    it("rejects what the CLI rejects and lists keys that name no policy", () => {
        expect(() => reconcile(PACK_ARGS, { "pod-resources": "sometimes" as never })).toThrow(PackConfigError);
        expect(() => reconcile(PACK_ARGS, { "pod-resources": { requiredLevel: 4 } })).toThrow(/requiredLevel/);
        expect(reconcile(PACK_ARGS, { "pod-resourcez": "mandatory" }).unknownKeys).toEqual(["pod-resourcez"]);
    });

    it("generated configs: mandatory at or below the required level, advisory above; digests always advisory", () => {
        for (const level of [1, 2, 3] as const) {
            const c = generatePackConfig(POLICIES, level);
            for (const p of POLICIES) {
                const m = metaOf(p);
                expect((c[p.name] as Record<string, unknown>)["enforcementLevel"], p.name).toBe(
                    !m.advisoryOnly && m.level <= level ? "mandatory" : "advisory",
                );
                expect((c[p.name] as Record<string, unknown>)["requiredLevel"]).toBe(level);
            }
        }
    });
});

describe("the pack's files", () => {
    it.each(Object.keys(ENVIRONMENT_CONFIG))(
        "policies/config/%s.json is in sync with the policy list (regenerate: npx tsx tools/policy/write-configs.ts)",
        (env) => {
            const file = packConfigFile(env);
            const onDisk = loadPackConfig(file);
            expect(onDisk).toEqual(environmentConfig(POLICIES, env, onDisk));
            expect(reconcile(PACK_ARGS, onDisk).unknownKeys).toEqual([]);
        },
    );

    it("dev requires level 1, staging 2, prod 3; prod forbids exemptions; only dev remediates", () => {
        const expectations: Record<string, [number, boolean]> = {
            dev: [1, false],
            staging: [2, false],
            prod: [3, true],
        };
        for (const [env, [level, forbid]] of Object.entries(expectations)) {
            const c = loadPackConfig(packConfigFile(env));
            for (const p of POLICIES) {
                const e = c[p.name] as Record<string, unknown>;
                expect(e["requiredLevel"]).toBe(level);
                expect(e["forbidExemptions"]).toBe(forbid);
                if (e["enforcementLevel"] === "remediate") expect(env).toBe("dev");
            }
        }
    });

    it("PulumiPolicy.yaml, package.json (same versions as the root) and an index.ts that only constructs the PolicyPack", () => {
        const yaml = YAML.parse(fs.readFileSync(path.join(ROOT, "policies", "PulumiPolicy.yaml"), "utf8")) as Record<
            string,
            unknown
        >;
        expect(yaml["runtime"]).toBe("nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "package.json"), "utf8")) as Record<
            string,
            Record<string, string>
        >;
        const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<
            string,
            Record<string, string>
        >;
        expect(pkg["version"]).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg["dependencies"]!["@pulumi/policy"]).toBe(root["devDependencies"]!["@pulumi/policy"]);
        expect(pkg["dependencies"]!["@pulumi/pulumi"]).toBe(root["dependencies"]!["@pulumi/pulumi"]);
        const index = fs
            .readFileSync(path.join(ROOT, "policies", "index.ts"), "utf8")
            .split("\n")
            .filter((l) => l.trim() !== "" && !l.trim().startsWith("//"));
        expect(index).toEqual([
            'import { PolicyPack } from "@pulumi/policy";',
            'import { PACK_ARGS, PACK_NAME } from "./pack";',
            "new PolicyPack(PACK_NAME, PACK_ARGS);",
        ]);
        for (const f of fs.readdirSync(path.join(ROOT, "policies", "rules"))) {
            expect(fs.readFileSync(path.join(ROOT, "policies", "rules", f), "utf8")).not.toMatch(
                /new PolicyPack|^\s*(console|process)\./m,
            );
        }
        expect(new Set(POLICIES.map((p) => p.name)).size).toBe(POLICIES.length);
    });

    it("docs/policies.md lists every policy with its level", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        for (const p of POLICIES) expect(doc).toContain(`| \`${p.name}\` | ${metaOf(p).level}`);
    });
});

describe("manifests map to the Pulumi Kubernetes type tokens", () => {
    it("core, named groups and CRDs, as the Kubernetes provider registers them", () => {
        const classes = [
            require("@pulumi/kubernetes/apps/v1/deployment").Deployment,
            require("@pulumi/kubernetes/core/v1/service").Service,
            require("@pulumi/kubernetes/admissionregistration/v1/mutatingWebhookConfiguration")
                .MutatingWebhookConfiguration,
            require("@pulumi/kubernetes/batch/v1/cronJob").CronJob,
            require("@pulumi/kubernetes/networking/v1/networkPolicy").NetworkPolicy,
        ];
        expect([
            typeToken("apps/v1", "Deployment"),
            typeToken("v1", "Service"),
            typeToken("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
            typeToken("batch/v1", "CronJob"),
            typeToken("networking.k8s.io/v1", "NetworkPolicy"),
        ]).toEqual(classes.map((c: { __pulumiType: string }) => c.__pulumiType));
        expect(typeToken("cert-manager.io/v1", "Certificate")).toBe("kubernetes:cert-manager.io/v1:Certificate");
        const { resources } = manifestResources([
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "n" } },
            { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "n" } },
        ]);
        expect(resources.map((r) => r.urn)).toEqual([
            "urn:pulumi:manifests::manifests::kubernetes:core/v1:ConfigMap::n/a",
            "urn:pulumi:manifests::manifests::kubernetes:core/v1:ConfigMap::n/a-2",
        ]);
        expect(() => manifestResources([{ metadata: { name: "x" } }])).toThrow(/no apiVersion or kind/);
    });
});

describe("the real analyzer server (run-policy-pack under ts-node) agrees with the offline engine", () => {
    let session: AnalyzerSession;
    beforeAll(async () => {
        session = await AnalyzerSession.start();
    }, 180_000);
    afterAll(() => session?.stop());

    it("serves every policy with its tags and default enforcement", async () => {
        const info = await session.info();
        expect(info.name).toBe(PACK_NAME);
        expect(info.policies.map((p) => p.name).sort()).toEqual(POLICIES.map((p) => p.name).sort());
        for (const p of info.policies) expect(p.tags).toEqual(POLICIES.find((x) => x.name === p.name)!.tags);
    });

    it.each([1, 3] as const)("same diagnostics on a clean and a broken platform at level %i", async (level) => {
        const world = [...cleanWorld(), ...badManifests()];
        const spec = specOf(obj(world, "Deployment", "gateway"));
        spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = { $unknown: true };
        const { resources } = manifestResources(world);
        const { config } = reconcile(PACK_ARGS, generatePackConfig(POLICIES, level));
        await session.configure(config);
        const wire: string[] = [];
        for (const r of resources)
            for (const d of await session.analyze(r))
                wire.push(`${d.policyName}|${d.enforcementLevel}|${r.urn}|${d.message}`);
        for (const d of await session.analyzeStack(resources))
            wire.push(`${d.policyName}|${d.enforcementLevel}|${d.urn ?? ""}|${d.message}`);
        const offline = (await runPolicies(PACK_ARGS, resources, config)).diagnostics.map(
            (d) => `${d.policyName}|${d.enforcementLevel}|${d.urn ?? ""}|${d.message}`,
        );
        expect(wire.length).toBeGreaterThan(10);
        expect(wire.sort()).toEqual(offline.sort());
    });

    it("same remediation", async () => {
        const world = cleanWorld();
        const spec = specOf(obj(world, "Deployment", "gateway"));
        delete spec["automountServiceAccountToken"];
        delete spec["securityContext"]["seccompProfile"];
        const r = manifestResources(world).resources.find(
            (x) => x.name === "agentstack-gateway/gateway" && x.type.endsWith(":Deployment"),
        )!;
        const { config } = reconcile(PACK_ARGS, generatePackConfig(POLICIES, 3, { remediate: true }));
        await session.configure(config);
        const wire = await session.remediate(r);
        const offline = await runPolicies(PACK_ARGS, [r], config);
        expect(wire.map((x) => x.policyName)).toEqual(offline.remediations.map((x) => x.policyName));
        expect(wire[wire.length - 1]!.properties).toEqual(offline.resources[0]!.props);
    });
});
