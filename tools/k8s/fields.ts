/**
 * Unknown-field detection for built-in Kubernetes kinds, driven by the typed
 * field lists (`attributeTypeMap`) of the @kubernetes/client-node models.
 *
 * kubernetes-models' JSON schemas do not set `additionalProperties: false`,
 * so a misspelt field (`securityContxt`) passes them; the API server, with
 * kubectl's default strict field validation, rejects it. This walker closes
 * that gap by checking every mapping against the field list of its type.
 */
// Deep import of the models only: the package root also loads the HTTP client, watch, exec, etc.
import * as clientNodeModels from "@kubernetes/client-node/dist/gen/models/all.js";
import { type Finding, type PathSegment, isRecord } from "./paths";

/** One entry of a client-node model's `attributeTypeMap`. */
interface Attribute {
    /** TypeScript property name (may differ from the wire name, e.g. `_from`). */
    name: string;
    /** Field name as written in JSON/YAML. */
    baseName: string;
    /** client-node type expression: a model name, `Array<T>`, `{ [key: string]: T; }` or a primitive. */
    type: string;
    format: string;
}

/** Called for every mapping whose client-node type is known, after its own fields are checked. */
type TypedObjectVisitor = (typeName: string, value: Record<string, unknown>, path: PathSegment[]) => Finding[];

/** client-node type names that carry no nested field list (checked, if at all, by the JSON schema). */
const LEAF_TYPES = new Set([
    "string",
    "boolean",
    "number",
    "integer",
    "double",
    "float",
    "long",
    "any",
    "object",
    "Date",
    "IntOrString",
    "V1MicroTime",
]);

const ARRAY_PREFIX = "Array<";
const ARRAY_SUFFIX = ">";
const MAP_PREFIX = "{ [key: string]: ";
const MAP_SUFFIX = "; }";
const NULLABLE_SUFFIXES = [" | null", " | undefined"];

/** Narrows a module export to a client-node model class (anything with a static attributeTypeMap). */
function attributesOf(exported: unknown): Attribute[] | undefined {
    if (typeof exported !== "function") {
        return undefined;
    }
    const map: unknown = (exported as { attributeTypeMap?: unknown }).attributeTypeMap;
    if (!Array.isArray(map)) {
        return undefined;
    }
    const isAttribute = (a: unknown): a is Attribute =>
        isRecord(a) && typeof a.name === "string" && typeof a.baseName === "string" && typeof a.type === "string";
    return map.every(isAttribute) ? map : undefined;
}

let typeIndex: ReadonlyMap<string, ReadonlyMap<string, Attribute>> | undefined;

/** Builds (once per process) the map from client-node type name to its fields, keyed by wire name. */
function clientNodeTypes(): ReadonlyMap<string, ReadonlyMap<string, Attribute>> {
    if (typeIndex === undefined) {
        const index = new Map<string, ReadonlyMap<string, Attribute>>();
        for (const [exportName, exported] of Object.entries(clientNodeModels)) {
            const attributes = attributesOf(exported);
            if (attributes !== undefined) {
                index.set(exportName, new Map(attributes.map((a) => [a.baseName, a])));
            }
        }
        typeIndex = index;
    }
    return typeIndex;
}

/** Capitalises the first letter (`v2` -> `V2`, `events.k8s.io` -> `Events.k8s.io`). */
function capitalize(s: string): string {
    return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The client-node model name of a top-level kind, or undefined when
 * client-node (Kubernetes 1.34 API) has none. client-node names models
 * `<Version><Kind>` (`V1Deployment`, `V2HorizontalPodAutoscaler`) and adds a
 * group prefix where two groups share a version and kind (`CoreV1Event`,
 * `EventsV1Event`); the prefixed name is preferred when it exists.
 */
export function clientNodeTypeFor(group: string, version: string, kind: string): string | undefined {
    const types = clientNodeTypes();
    const groupPrefix = group === "" ? "Core" : capitalize(group.split(".")[0] ?? "");
    const candidates = [`${groupPrefix}${capitalize(version)}${kind}`, `${capitalize(version)}${kind}`];
    return candidates.find((name) => types.has(name));
}

/** Removes `| null` / `| undefined` from a type expression. */
function stripNullable(type: string): string {
    let t = type;
    for (const suffix of NULLABLE_SUFFIXES) {
        if (t.endsWith(suffix)) {
            t = t.slice(0, -suffix.length);
        }
    }
    return t;
}

/** Edit distance, used only to suggest the intended field name. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
        }
        previous = current;
    }
    return previous[b.length] ?? 0;
}

/** The closest known field name, if it is close enough to be a likely typo. */
function suggestion(field: string, known: Iterable<string>): string | undefined {
    let best: string | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (const candidate of known) {
        const d = editDistance(field.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(field.length / 4)) ? best : undefined;
}

/** Findings for keys of `value` that are not fields of `typeName`. */
function unknownFields(
    typeName: string,
    value: Record<string, unknown>,
    fields: ReadonlyMap<string, Attribute>,
    path: PathSegment[],
): Finding[] {
    const findings: Finding[] = [];
    for (const key of Object.keys(value)) {
        if (value[key] === undefined || fields.has(key)) {
            continue;
        }
        const hint = suggestion(key, fields.keys());
        const didYouMean = hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`;
        findings.push({
            path: [...path, key],
            message: `unknown field ${JSON.stringify(key)} in ${typeName}${didYouMean}`,
        });
    }
    return findings;
}

/**
 * Walks `value` as client-node type `type`, reporting unknown fields and
 * calling `visit` on every typed mapping. Values of the wrong shape (a string
 * where an object is expected, ...) are not reported here: the JSON schema
 * validation reports those, and reporting twice would only add noise.
 */
export function walkTyped(value: unknown, type: string, path: PathSegment[], visit: TypedObjectVisitor): Finding[] {
    const t = stripNullable(type);
    if (value === undefined || value === null || LEAF_TYPES.has(t)) {
        return [];
    }
    if (t.startsWith(ARRAY_PREFIX) && t.endsWith(ARRAY_SUFFIX)) {
        const itemType = t.slice(ARRAY_PREFIX.length, -ARRAY_SUFFIX.length);
        return Array.isArray(value) ? value.flatMap((item, i) => walkTyped(item, itemType, [...path, i], visit)) : [];
    }
    if (t.startsWith(MAP_PREFIX) && t.endsWith(MAP_SUFFIX)) {
        const valueType = t.slice(MAP_PREFIX.length, -MAP_SUFFIX.length);
        return isRecord(value)
            ? Object.entries(value).flatMap(([k, v]) => walkTyped(v, valueType, [...path, k], visit))
            : [];
    }
    const fields = clientNodeTypes().get(t);
    if (fields === undefined || !isRecord(value)) {
        return [];
    }
    const findings = unknownFields(t, value, fields, path);
    for (const [key, child] of Object.entries(value)) {
        const attribute = fields.get(key);
        if (attribute !== undefined) {
            findings.push(...walkTyped(child, attribute.type, [...path, key], visit));
        }
    }
    findings.push(...visit(t, value, path));
    return findings;
}
