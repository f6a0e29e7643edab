/**
 * The Envoy v3 API, loaded with protobufjs from the .proto files `@grpc/grpc-js-xds` ships
 * (deps/envoy-api, deps/xds, deps/googleapis, deps/protoc-gen-validate). Loaded once, lazily; the
 * Root is cached for the process.
 *
 * Every `envoy/**` file outside the v2/v2alpha API is loaded (so any `@type` of the v3 API resolves),
 * except the few whose imports are not shipped in the package (opencensus, opentelemetry, prometheus,
 * google.longrunning...): those are listed by `envoyApi().skipped`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as protobuf from "protobufjs";

/** The loaded API: the protobufjs Root, the files loaded, the files skipped (and why), the load time. */
interface EnvoyApi {
    readonly root: protobuf.Root;
    readonly loaded: readonly string[];
    readonly skipped: ReadonlyMap<string, string>;
    readonly loadMs: number;
}

/** Import paths protobufjs provides itself (its bundled well-known types). */
const BUNDLED = new Set(
    ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"].map(
        (n) => `google/protobuf/${n}.proto`,
    ),
);

/** The package's folder of proto trees. */
function depsDir(): string {
    return path.join(path.dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
}

/** Folders an import path is resolved against, in order (descriptor.proto comes from protobufjs's own copy). */
function includeDirs(): string[] {
    const deps = depsDir();
    return [
        ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => path.join(deps, d)),
        path.dirname(require.resolve("protobufjs/package.json")),
    ];
}

function protoFiles(dir: string, base: string, out: string[]): string[] {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) protoFiles(p, base, out);
        else if (e.name.endsWith(".proto")) out.push(path.relative(base, p).split(path.sep).join("/"));
    }
    return out;
}

const IMPORT_RE = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

function load(): EnvoyApi {
    const t0 = performance.now();
    const dirs = includeDirs();
    const locate = (rel: string): string | undefined => {
        for (const d of dirs) {
            const p = path.join(d, rel);
            if (fs.existsSync(p)) return p;
        }
        return undefined;
    };
    // Which files can be loaded: all their imports, transitively, exist.
    const missing = new Map<string, string>(); // file -> first missing import found in its closure
    const state = new Map<string, "ok" | "visiting">();
    const check = (rel: string): string | undefined => {
        if (BUNDLED.has(rel) || state.get(rel) === "ok" || state.get(rel) === "visiting") return undefined;
        if (missing.has(rel)) return missing.get(rel);
        const abs = locate(rel);
        if (!abs) {
            missing.set(rel, rel);
            return rel;
        }
        state.set(rel, "visiting");
        for (const m of fs.readFileSync(abs, "utf8").matchAll(IMPORT_RE)) {
            const bad = check(m[1]!);
            if (bad !== undefined) {
                state.delete(rel);
                missing.set(rel, bad);
                return bad;
            }
        }
        state.set(rel, "ok");
        return undefined;
    };
    const envoyApi = path.join(depsDir(), "envoy-api");
    const all = protoFiles(path.join(envoyApi, "envoy"), envoyApi, [])
        .filter((f) => !/\/v2(alpha\d*)?\//.test(f))
        .sort();
    const loaded: string[] = [];
    const skipped = new Map<string, string>();
    for (const f of all) {
        const bad = check(f);
        if (bad === undefined) loaded.push(f);
        else skipped.set(f, `imports ${bad}, which the package does not ship`);
    }
    const root = new protobuf.Root();
    root.resolvePath = (_origin: string, target: string) => locate(target) ?? target;
    root.loadSync(loaded, { keepCase: true });
    return { root, loaded, skipped, loadMs: performance.now() - t0 };
}

let cached: EnvoyApi | undefined;

/** The Envoy API (loaded on first use, then cached). */
export function envoyApi(): EnvoyApi {
    cached ??= load();
    return cached;
}
