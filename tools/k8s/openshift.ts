/**
 * OpenShift kinds (route.openshift.io/v1 Route and the other *.openshift.io
 * APIs), validated against the OpenShift OpenAPI (Swagger 2.0) document that
 * the `openshift-rest-client` package ships in lib/specs/. There is no
 * `@kubernetes-models/openshift` package on npm, and this is the only
 * registry package found that carries the OpenShift schemas.
 *
 * The document is compiled with Ajv (plus the Kubernetes formats of
 * @kubernetes-models/validate) after three mechanical rewrites:
 *  - every object schema with `properties` gets `additionalProperties: false`,
 *    so unknown fields are reported (what the API server does with strict
 *    field validation);
 *  - `required` lists are dropped: this document predates omitempty-aware
 *    generation and marks optional fields as required (Route `status`,
 *    `spec.host`, `spec.to.weight`), which would reject every normal Route;
 *  - `format: int-or-string` (IntOrString) becomes "integer or string".
 * Limitation: the document is from an older OpenShift release, so newer
 * fields (e.g. Route `spec.subdomain`, `spec.httpHeaders`,
 * `spec.tls.externalCertificate`) are reported as unknown.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import Ajv, { type ValidateFunction } from "ajv";
import { formats } from "@kubernetes-models/validate";
import { isRecord } from "./paths";
import type { SchemaError } from "./schema-errors";

/** Package and file holding the OpenShift OpenAPI document. */
export const OPENSHIFT_SPEC_PACKAGE = "openshift-rest-client";
const SPEC_FILE = join("lib", "specs", "openshift-openapi-spec.json.gz");
const SPEC_ID = "https://openshift-rest-client.invalid/openshift-openapi-spec.json";
/** A create (POST) path on a top-level collection: /apis/<group>/<version>[/namespaces/{namespace}]/<plural>. */
const COLLECTION_PATH = /^\/apis\/([^/]+)\/([^/]+)\/(namespaces\/\{namespace\}\/)?[a-z0-9]+$/;

/** An OpenShift kind found in the OpenAPI document. */
interface OpenShiftKind {
    group: string;
    version: string;
    kind: string;
    clusterScoped: boolean;
    /** Validates everything but `metadata` (checked by the ObjectMeta model and field list instead). */
    validate(object: Record<string, unknown>): SchemaError[];
}

type Json = unknown;

/** The parts of the OpenAPI document used here. */
interface OpenApiDocument {
    definitions: Record<string, unknown>;
    paths: Record<string, unknown>;
}

/** Reads and parses the gzipped OpenAPI document. */
function readSpec(): OpenApiDocument {
    const packageDir = dirname(require.resolve(`${OPENSHIFT_SPEC_PACKAGE}/package.json`));
    const parsed: unknown = JSON.parse(gunzipSync(readFileSync(join(packageDir, SPEC_FILE))).toString("utf8"));
    if (!isRecord(parsed) || !isRecord(parsed.definitions) || !isRecord(parsed.paths)) {
        throw new Error(
            `${OPENSHIFT_SPEC_PACKAGE}: ${SPEC_FILE} is not an OpenAPI document with definitions and paths`,
        );
    }
    return { definitions: parsed.definitions, paths: parsed.paths };
}

/** Applies the rewrites described in the module comment to one schema node, recursively. */
function rewriteSchema(node: Json): Json {
    if (Array.isArray(node)) {
        return node.map(rewriteSchema);
    }
    if (!isRecord(node)) {
        return node;
    }
    if (node.format === "int-or-string") {
        return { anyOf: [{ type: "integer" }, { type: "string" }] };
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
        if (key === "description" || key === "required") {
            continue;
        }
        if (key === "properties" && isRecord(value)) {
            out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteSchema(v)]));
        } else {
            out[key] = rewriteSchema(value);
        }
    }
    if (isRecord(node.properties) && node.additionalProperties === undefined) {
        out.additionalProperties = false;
    }
    return out;
}

/** Makes a local `#/definitions/...` reference absolute, so it resolves inside the registered document. */
function absoluteRefs(node: Json): Json {
    if (Array.isArray(node)) {
        return node.map(absoluteRefs);
    }
    if (!isRecord(node)) {
        return node;
    }
    return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [
            k,
            k === "$ref" && typeof v === "string" && v.startsWith("#") ? `${SPEC_ID}${v}` : absoluteRefs(v),
        ]),
    );
}

/** Group/version/kind triples a definition declares via `x-kubernetes-group-version-kind`. */
function gvksOf(definition: Json): Array<{ group: string; version: string; kind: string }> {
    const list = isRecord(definition) ? definition["x-kubernetes-group-version-kind"] : undefined;
    if (!Array.isArray(list)) {
        return [];
    }
    return list.flatMap((g: unknown) =>
        isRecord(g) && typeof g.group === "string" && typeof g.version === "string" && typeof g.kind === "string"
            ? [{ group: g.group, version: g.version, kind: g.kind }]
            : [],
    );
}

/** Maps `group/version/kind` of creatable OpenShift kinds to whether they are cluster-scoped. */
function creatableKinds(paths: Record<string, unknown>): Map<string, boolean> {
    const scopes = new Map<string, boolean>();
    for (const [path, item] of Object.entries(paths)) {
        const match = COLLECTION_PATH.exec(path);
        const post = isRecord(item) ? item.post : undefined;
        const gvk = isRecord(post) ? post["x-kubernetes-group-version-kind"] : undefined;
        if (match === null || !isRecord(gvk) || typeof gvk.kind !== "string") {
            continue;
        }
        const [, group, version, namespaced] = match;
        if (group === undefined || !group.endsWith("openshift.io") || gvk.group !== group) {
            continue;
        }
        scopes.set(`${group}/${version}/${gvk.kind}`, namespaced === undefined);
    }
    return scopes;
}

/** Builds the lazily compiling validator for one top-level definition. */
function makeValidator(
    ajv: Ajv,
    definition: Record<string, unknown>,
): (object: Record<string, unknown>) => SchemaError[] {
    let compiled: ValidateFunction | undefined;
    return (object) => {
        if (compiled === undefined) {
            const properties = isRecord(definition.properties) ? definition.properties : {};
            const absolute = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, absoluteRefs(v)]));
            compiled = ajv.compile({
                type: "object",
                properties: { ...absolute, metadata: {} },
                additionalProperties: false,
            });
        }
        return compiled(object) ? [] : [...(compiled.errors ?? [])];
    };
}

/**
 * Loads every creatable *.openshift.io kind from the OpenAPI document,
 * with its scope (from its create path) and a schema validator.
 */
export function loadOpenShiftKinds(): OpenShiftKind[] {
    const { definitions, paths } = readSpec();
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    for (const [name, format] of Object.entries(formats)) {
        ajv.addFormat(name, format);
    }
    const rewritten = Object.fromEntries(Object.entries(definitions).map(([k, v]) => [k, rewriteSchema(v)]));
    ajv.addSchema({ $id: SPEC_ID, definitions: rewritten });
    const scopes = creatableKinds(paths);
    const kinds: OpenShiftKind[] = [];
    for (const [name, definition] of Object.entries(rewritten)) {
        for (const gvk of gvksOf(definitions[name])) {
            const clusterScoped = scopes.get(`${gvk.group}/${gvk.version}/${gvk.kind}`);
            if (clusterScoped === undefined || !isRecord(definition)) {
                continue;
            }
            kinds.push({ ...gvk, clusterScoped, validate: makeValidator(ajv, definition) });
        }
    }
    return kinds;
}
