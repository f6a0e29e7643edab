/**
 * Pulumi mocks for the offline harness: deterministic, well-formed outputs for the random and tls
 * resources (unknown in preview mode, like a real first preview), and a monitor that records every
 * registration request exactly as the engine would receive it — inputs with their secret markers and
 * the resource options (protect, parent, dependsOn, ...).
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { Result } from "@pulumi/pulumi/proto/resource_pb";
import {
    deserializeProperties,
    serializeProperties,
    specialOutputValueSig as OUTPUT_SIG,
    specialResourceSig as RESOURCE_SIG,
    specialSecretSig as SECRET_SIG,
    specialSigKey as SIG_KEY,
    unknownValue,
} from "@pulumi/pulumi/runtime/rpc";

/** resource_pb Result.SUCCESS. */
const RESULT_SUCCESS = Result.SUCCESS;

/** The wire value of an unknown output (preview): the SDK's own constant (test/pins.test.ts). */
export const UNKNOWN = unknownValue;
/** One registered resource, as the engine saw it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    readonly parent?: string;
    readonly inputs: Record<string, unknown>;
    readonly options: {
        readonly protect: boolean;
        readonly dependsOn: string[];
        readonly retainOnDelete: boolean;
        readonly deleteBeforeReplace: boolean;
        readonly ignoreChanges: string[];
        readonly replaceOnChanges: string[];
        readonly additionalSecretOutputs: string[];
        /** URN of the explicit provider that manages it (`provider` or inherited `providers`); absent: the default provider. */
        readonly provider?: string;
        /**
         * The old URNs this resource answers to, as the engine computes them (stepGenerator.generateAliases of
         * pulumi/pulumi pkg/resource/deploy/step_generator.go): its own `aliases`, collapsed to URNs, and
         * every alias inherited from an aliased parent.
         */
        readonly aliases: string[];
    };
}

/** Converts a wire value into plain JSON with `$secret` / `$unknown` markers. */
function fromWire(v: unknown): unknown {
    if (v === UNKNOWN) return { $unknown: true };
    if (Array.isArray(v)) return v.map(fromWire);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        const sig = o[SIG_KEY];
        if (sig === SECRET_SIG) return { $secret: fromWire(o["value"]) };
        if (sig === RESOURCE_SIG) return o["id"] !== undefined ? fromWire(o["id"]) : o["urn"];
        if (sig === OUTPUT_SIG) {
            if (!("value" in o)) return { $unknown: true };
            const inner = fromWire(o["value"]);
            return o["secret"] ? { $secret: inner } : inner;
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromWire(x)]));
    }
    return v;
}

/** A deterministic pseudo-random string of the given alphabet, from a seed. */
function deterministicString(
    seed: string,
    length: number,
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
): string {
    let out = "";
    let counter = 0;
    while (out.length < length) {
        const h = createHash("sha256").update(`${seed}:${counter++}`).digest();
        for (const b of h) {
            if (out.length >= length) break;
            out += alphabet[b % alphabet.length];
        }
    }
    return out;
}

function fakePem(label: string, seed: string): string {
    const body = createHash("sha512").update(seed).digest("base64");
    return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** Mock outputs by resource type: `computed` fields are unknown in preview mode. */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const seed = `${type}::${name}`;
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
        case "random:index/randomString:RandomString": {
            const length = typeof inputs["length"] === "number" ? inputs["length"] : 32;
            const value = deterministicString(seed, length);
            return type.endsWith("RandomPassword")
                ? {
                      result: pulumi.secret(value),
                      bcryptHash: pulumi.secret(`$2a$10$${deterministicString(`${seed}:bcrypt`, 53)}`),
                  }
                : { result: value };
        }
        case "random:index/randomBytes:RandomBytes": {
            const length = typeof inputs["length"] === "number" ? inputs["length"] : 32;
            const bytes = createHash("sha512").update(seed).digest().subarray(0, length);
            return { base64: pulumi.secret(bytes.toString("base64")), hex: pulumi.secret(bytes.toString("hex")) };
        }
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: pulumi.secret(fakePem("PRIVATE KEY", seed)),
                privateKeyPemPkcs8: pulumi.secret(fakePem("PRIVATE KEY", `${seed}:pkcs8`)),
                privateKeyOpenssh: pulumi.secret(fakePem("OPENSSH PRIVATE KEY", seed)),
                publicKeyPem: fakePem("PUBLIC KEY", seed),
                publicKeyOpenssh: `ecdsa-sha2-nistp256 ${createHash("sha256").update(seed).digest("base64")}`,
                publicKeyFingerprintMd5: createHash("md5").update(seed).digest("hex"),
                publicKeyFingerprintSha256: `SHA256:${createHash("sha256").update(seed).digest("base64")}`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return {
                certPem: fakePem("CERTIFICATE", seed),
                validityStartTime: "2026-01-01T00:00:00Z",
                validityEndTime: "2027-01-01T00:00:00Z",
                readyForRenewal: false,
            };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: fakePem("CERTIFICATE REQUEST", seed) };
        default:
            return {};
    }
}

/** Mocks with deterministic outputs; in preview mode every computed output is unknown. */
export class DeterministicMocks implements pulumi.runtime.Mocks {
    constructor(private readonly preview: boolean) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        const computed = computedOutputs(args.type, args.name, args.inputs);
        const state: Record<string, unknown> = { ...args.inputs };
        for (const [k, v] of Object.entries(computed)) state[k] = this.preview ? UNKNOWN : v;
        return { id: this.preview ? "" : `${args.name}-id`, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        throw new Error(`the offline harness does not mock the function ${args.token}`);
    }
}

/** Minimal view of the RegisterResourceRequest getters the recorder uses. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getProtect(): boolean;
    getDependenciesList(): string[];
    getRetainondelete(): boolean;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getProvider(): string;
    getAliasesList(): AliasMessage[];
    getAliasurnsList(): string[];
    getImportid(): string;
}

/** Minimal view of the Alias message (proto/alias_pb): a URN, or a spec whose empty fields default to the resource's. */
interface AliasMessage {
    getUrn(): string;
    getSpec():
        | {
              getName(): string;
              getType(): string;
              getStack(): string;
              getProject(): string;
              getParenturn(): string;
              getNoparent(): boolean;
          }
        | undefined;
}

/** The parts of a URN: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */
function urnParts(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
    const parts = urn.split("::");
    return {
        stack: parts[0]!.replace(/^urn:pulumi:/, ""),
        project: parts[1] ?? "",
        qualifiedType: parts[2] ?? "",
        name: parts.slice(3).join("::"),
    };
}

/** A URN the way the engine builds one (resource.CreateURN): the parent's qualified type prefixes the type, the root stack's excepted. */
function makeUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
    const pq = parent ? urnParts(parent).qualifiedType : "";
    const qualified = pq && pq !== "pulumi:pulumi:Stack" ? `${pq}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** A MockMonitor that records each registration request before the mocks answer it. */
export class RecordingMonitor extends MockMonitor {
    public readonly recorded: RecordedResource[] = [];
    private readonly project: string;
    private readonly stack: string;

    constructor(mocks: pulumi.runtime.Mocks, project: string, stack: string) {
        super(mocks);
        this.project = project;
        this.stack = stack;
    }

    /** Mock URN (the mock engine qualifies a type with its parent's last type only) → the real engine's URN. */
    private readonly realUrns = new Map<string, string>();

    /** Real URN → the alias URNs recorded for it (a child inherits its parent's). */
    private readonly aliasesByUrn = new Map<string, string[]>();

    /** The alias URNs of a registration (collapseAliasToUrn + inheritedChildAlias of the engine's step generator). */
    private aliasesOf(r: RegisterRequest, type: string, parent: string | undefined): string[] {
        const name = r.getName();
        const out = new Set<string>();
        const own: string[] = [];
        for (const a of r.getAliasesList()) {
            const spec = a.getSpec();
            if (a.getUrn()) {
                own.push(a.getUrn());
                continue;
            }
            if (!spec) continue;
            let aliasParent: string | undefined = spec.getParenturn()
                ? (this.realUrns.get(spec.getParenturn()) ?? spec.getParenturn())
                : parent;
            if (spec.getNoparent()) aliasParent = undefined;
            own.push(
                makeUrn(
                    spec.getStack() || this.stack,
                    spec.getProject() || this.project,
                    aliasParent,
                    spec.getType() || type,
                    spec.getName() || name,
                ),
            );
        }
        for (const u of r.getAliasurnsList()) own.push(u);
        for (const u of own) out.add(u);
        // Every alias of the parent gives the child an alias under that old parent; a child named after its
        // parent (`<parent>-x`) is renamed with it.
        if (parent) {
            const parentName = urnParts(parent).name;
            for (const pa of this.aliasesByUrn.get(parent) ?? []) {
                const paName = urnParts(pa).name;
                const childName = (n: string) => (n.startsWith(parentName) ? paName + n.slice(parentName.length) : n);
                out.add(makeUrn(this.stack, this.project, pa, type, childName(name)));
                for (const u of own) {
                    const p = urnParts(u);
                    out.add(
                        makeUrn(this.stack, this.project, pa, p.qualifiedType.split("$").pop()!, childName(p.name)),
                    );
                }
            }
        }
        out.delete(makeUrn(this.stack, this.project, parent, type, name));
        return [...out].sort();
    }

    override async registerResource(req: unknown, callback: (err: unknown, res: unknown) => void): Promise<void> {
        const r = req as RegisterRequest;
        const type = r.getType();
        const mockParent = r.getParent();
        // The real engine qualifies a type with the whole chain of ancestor types, the root stack's excepted.
        const parent = mockParent ? (this.realUrns.get(mockParent) ?? mockParent) : undefined;
        const urn = makeUrn(this.stack, this.project, parent, type, r.getName());
        const mockQualified = mockParent ? `${mockParent.split("::")[2]!.split("$").pop()}$${type}` : type;
        // The URN the mock engine answers with (MockMonitor.newUrn qualifies with the parent's last type only).
        const mockUrn = `urn:pulumi:${this.stack}::${this.project}::${mockQualified}::${r.getName()}`;
        this.realUrns.set(mockUrn, urn);
        const providerRef = r.getProvider();
        // A provider reference is `<urn>::<id>`; the id (after the last "::") is not part of the URN.
        const provider = providerRef
            ? (this.realUrns.get(providerRef.slice(0, providerRef.lastIndexOf("::"))) ??
              providerRef.slice(0, providerRef.lastIndexOf("::")))
            : undefined;
        const aliases = this.aliasesOf(r, type, parent);
        this.aliasesByUrn.set(urn, aliases);
        // The registration's inputs as plain wire values, read once: for the record and for the mocks.
        const wire = r.getObject()?.toJavaScript() ?? {};
        this.recorded.push({
            type,
            name: r.getName(),
            urn,
            custom: r.getCustom(),
            ...(parent ? { parent } : {}),
            inputs: fromWire(wire) as Record<string, unknown>,
            options: {
                protect: r.getProtect() === true,
                dependsOn: r
                    .getDependenciesList()
                    .map((u) => this.realUrns.get(u) ?? u)
                    .sort(),
                retainOnDelete: r.getRetainondelete() === true,
                deleteBeforeReplace: r.getDeletebeforereplace() === true,
                ignoreChanges: [...r.getIgnorechangesList()],
                replaceOnChanges: [...r.getReplaceonchangesList()],
                additionalSecretOutputs: [...r.getAdditionalsecretoutputsList()],
                ...(provider ? { provider } : {}),
                aliases,
            },
        });
        // Answered here rather than by MockMonitor.registerResource, which would read the request's
        // protobuf Struct a second time and build a protobuf Struct of the state for the SDK to read
        // back: the same mocks and serialization, minus two conversions of every resource.
        try {
            const result = await this.mocks.newResource({
                type,
                name: r.getName(),
                inputs: deserializeProperties({ toJavaScript: () => wire } as unknown as Parameters<
                    typeof deserializeProperties
                >[0]),
                provider: r.getProvider(),
                custom: r.getCustom(),
                id: r.getImportid(),
            });
            const state = (await serializeProperties("", result.state)) as Record<string, unknown>;
            // MockMonitor keeps every registration (registerResourceOutputs and getResource look them up).
            this.resources.set(mockUrn, { urn: mockUrn, id: result.id ?? null, state });
            callback(null, new RegisterResponse(mockUrn, result.id ?? "", state));
        } catch (err) {
            callback(err, undefined);
        }
    }
}

/**
 * The answer to a registration, with the getters of RegisterResourceResponse the SDK reads
 * (runtime/resource.js): the URN, the id, the state (a Struct's toJavaScript()), no property
 * dependencies, and a successful result.
 */
class RegisterResponse {
    constructor(
        private readonly urn: string,
        private readonly id: string,
        private readonly state: Record<string, unknown>,
    ) {}
    getUrn(): string {
        return this.urn;
    }
    getId(): string {
        return this.id;
    }
    getObject(): { toJavaScript(): Record<string, unknown> } {
        return { toJavaScript: () => this.state };
    }
    getPropertydependenciesMap(): Map<string, never> {
        return new Map<string, never>();
    }
    getResult(): number {
        return RESULT_SUCCESS;
    }
}
