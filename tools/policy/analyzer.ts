/**
 * Drives the pack the way the Pulumi CLI does, minus the CLI: starts
 * `node @pulumi/pulumi/cmd/run-policy-pack <engine> .` in policies/ (what the CLI's
 * `pulumi-analyzer-policy` shim runs — ts-node compiles and type-checks the TypeScript), reads the
 * port it prints, and calls its gRPC Analyzer service: GetAnalyzerInfo, Configure, Analyze,
 * AnalyzeStack, Remediate. Used by the opt-in analyzer test to check that the offline engine
 * (engine.ts) and the real analyzer server agree.
 */
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "../harness/run";
import { ReconciledConfig } from "./config";
import { EngineResource, UNKNOWN_SENTINEL } from "./engine";

const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb") as Record<string, any>;
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb") as Record<string, any>;
const structPb = require("google-protobuf/google/protobuf/struct_pb") as Record<string, any>;
const emptyPb = require("google-protobuf/google/protobuf/empty_pb") as Record<string, any>;

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Our `$secret`/`$unknown` markers to the engine's wire form. */
function toWire(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(toWire);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("$unknown" in o) return UNKNOWN_SENTINEL;
        if ("$secret" in o) return { [SIG]: SECRET_SIG, value: toWire(o["$secret"]) };
        return Object.fromEntries(
            Object.entries(o)
                .filter(([, x]) => x !== undefined)
                .map(([k, x]) => [k, toWire(x)]),
        );
    }
    return v;
}

const ENFORCEMENT = analyzerPb["EnforcementLevel"] as Record<
    "ADVISORY" | "MANDATORY" | "DISABLED" | "REMEDIATE",
    number
>;
const LEVELS: Record<string, number> = {
    advisory: ENFORCEMENT.ADVISORY,
    mandatory: ENFORCEMENT.MANDATORY,
    remediate: ENFORCEMENT.REMEDIATE,
    disabled: ENFORCEMENT.DISABLED,
};
const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LEVELS).map(([k, v]) => [v, k]));

interface WireDiagnostic {
    readonly policyName: string;
    readonly message: string;
    readonly enforcementLevel: string;
    readonly urn?: string;
}

/** A running analyzer server of the pack. */
export class AnalyzerSession {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
    ) {}

    /** Starts the pack under @pulumi/pulumi's run-policy-pack and connects to it. */
    static async start(timeoutMs = 120_000): Promise<AnalyzerSession> {
        const packDir = path.join(PROJECT_DIR, "policies");
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
            cwd: packDir,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(
                () => reject(new Error(`the analyzer did not print its port within ${timeoutMs} ms\n${stderr}`)),
                timeoutMs,
            );
            child.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the analyzer exited (${code}) before printing its port\n${stderr}`));
            });
        });
        const client = new analyzerGrpc["AnalyzerClient"](`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new AnalyzerSession(child, client);
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) =>
            this.client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
        );
    }

    /** Policy names and their default enforcement. */
    async info(): Promise<{
        name: string;
        version: string;
        policies: { name: string; enforcementLevel: string; tags: string[] }[];
    }> {
        const res = await this.call<any>("getAnalyzerInfo", new emptyPb["Empty"]());
        return {
            name: res.getName(),
            version: res.getVersion(),
            policies: res.getPoliciesList().map((p: any) => ({
                name: p.getName(),
                enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()]!,
                tags: p.getTagsList(),
            })),
        };
    }

    /** Configure, with the config the CLI sends after reconciliation. */
    async configure(config: ReconciledConfig): Promise<void> {
        const req = new analyzerPb["ConfigureAnalyzerRequest"]();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(config)) {
            const pc = new analyzerPb["PolicyConfig"]();
            pc.setEnforcementlevel(LEVELS[c.enforcementLevel]);
            pc.setProperties(structPb["Struct"].fromJavaScript(c.properties));
            map.set(name, pc);
        }
        await this.call("configure", req);
    }

    private options(r: EngineResource): any {
        const o = new analyzerPb["AnalyzerResourceOptions"]();
        o.setProtect(r.options.protect);
        o.setIgnorechangesList([...(r.options.ignoreChanges ?? [])]);
        o.setAdditionalsecretoutputsList([...(r.options.additionalSecretOutputs ?? [])]);
        if (r.options.deleteBeforeReplace !== undefined) {
            o.setDeletebeforereplacedefined(true);
            o.setDeletebeforereplace(r.options.deleteBeforeReplace);
        }
        if (r.parent) o.setParent(r.parent);
        return o;
    }

    private diagnostics(res: any): WireDiagnostic[] {
        return res.getDiagnosticsList().map((d: any) => ({
            policyName: d.getPolicyname(),
            message: d.getMessage(),
            enforcementLevel: LEVEL_NAMES[d.getEnforcementlevel()]!,
            ...(d.getUrn() ? { urn: d.getUrn() } : {}),
        }));
    }

    /** Fills what an AnalyzeRequest and an AnalyzerResource share: type, URN, name, properties (on the wire) and options. */
    private describe(msg: any, r: EngineResource): any {
        msg.setType(r.type);
        msg.setUrn(r.urn);
        msg.setName(r.name);
        msg.setProperties(structPb["Struct"].fromJavaScript(toWire(r.props)));
        msg.setOptions(this.options(r));
        return msg;
    }

    /** Analyze one resource (resource policies). */
    async analyze(r: EngineResource): Promise<WireDiagnostic[]> {
        return this.diagnostics(await this.call("analyze", this.describe(new analyzerPb["AnalyzeRequest"](), r)));
    }

    /** Analyze the stack (stack policies). */
    async analyzeStack(resources: readonly EngineResource[]): Promise<WireDiagnostic[]> {
        const req = new analyzerPb["AnalyzeStackRequest"]();
        req.setResourcesList(
            resources.map((r) => {
                const a = this.describe(new analyzerPb["AnalyzerResource"](), r);
                if (r.parent) a.setParent(r.parent);
                a.setDependenciesList([...(r.dependencies ?? [])]);
                return a;
            }),
        );
        return this.diagnostics(await this.call("analyzeStack", req));
    }

    /** Remediate one resource: the policies that changed it and the new properties. */
    async remediate(
        r: EngineResource,
    ): Promise<{ policyName: string; properties?: Record<string, unknown>; diagnostic?: string }[]> {
        const req = new analyzerPb["AnalyzeRequest"]();
        req.setType(r.type);
        req.setUrn(r.urn);
        req.setName(r.name);
        req.setProperties(structPb["Struct"].fromJavaScript(toWire(r.props)));
        req.setOptions(this.options(r));
        const res = await this.call<any>("remediate", req);
        return res.getRemediationsList().map((x: any) => ({
            policyName: x.getPolicyname(),
            ...(x.getProperties() ? { properties: x.getProperties().toJavaScript() } : {}),
            ...(x.getDiagnostic() ? { diagnostic: x.getDiagnostic() } : {}),
        }));
    }

    /** Stops the server. */
    stop(): void {
        this.client.close?.();
        this.child.kill("SIGTERM");
    }
}
