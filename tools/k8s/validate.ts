/**
 * Strict offline validation of Kubernetes objects (plain objects, as they
 * would be written to YAML), built from packages made for the purpose:
 *
 *  1. schema and value formats: the JSON schemas of `kubernetes-models`,
 *     `@kubernetes-models/cert-manager`, `@kubernetes-models/gateway-api`,
 *     and the OpenShift OpenAPI document shipped by `openshift-rest-client`;
 *  2. unknown fields: the typed field lists (`attributeTypeMap`) of
 *     `@kubernetes/client-node` for built-in kinds, `additionalProperties:
 *     false` for OpenShift kinds. LIMITATION: the cert-manager and Gateway
 *     API model schemas allow additional properties, so for those CRD kinds
 *     only `metadata` is checked for unknown fields;
 *  3. name, label and annotation syntax and metadata.namespace presence, by
 *     the rules the API server applies (see ./names.ts and ./rules.ts).
 *
 * An apiVersion/kind that none of these packages knows is itself an issue.
 */
import { walkTyped } from "./fields";
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, pathSegmentNameErrors } from "./names";
import { type Finding, type PathSegment, formatPath, isRecord } from "./paths";
import { type KindInfo, getRegistry } from "./registry";
import { syntaxFindings } from "./rules";
import { schemaFindings } from "./schema-errors";

/** One problem with one object. */
export interface ValidationIssue {
    /** The object's kind (as written; `<missing>` when absent). */
    kind: string;
    /** The object's metadata.namespace, when it has one. */
    namespace?: string;
    /** The object's metadata.name (`<missing>` when absent). */
    name: string;
    /** Field path inside the object, e.g. `spec.template.spec.containers[0].name`. */
    path: string;
    message: string;
}

/** Longest CronJob name: the controller appends an 11-character suffix to Job names. */
const CRONJOB_NAME_MAX = 52;
const MISSING = "<missing>";
const RBAC_GROUP = "rbac.authorization.k8s.io";

/** The rule the API server applies to metadata.name of a kind. */
function nameErrors(info: KindInfo, name: string): string[] {
    if (info.group === "" && info.kind === "Namespace") {
        return dns1123LabelErrors(name);
    }
    if (info.group === "" && info.kind === "Service") {
        return dns1035LabelErrors(name);
    }
    if (info.group === RBAC_GROUP) {
        // Role, ClusterRole and bindings allow any path segment ("system:controller:foo").
        return pathSegmentNameErrors(name);
    }
    const errors = dns1123SubdomainErrors(name);
    if (info.group === "batch" && info.kind === "CronJob" && name.length > CRONJOB_NAME_MAX) {
        errors.push(`CronJob name ${JSON.stringify(name)} must be no more than ${CRONJOB_NAME_MAX} characters`);
    }
    return errors;
}

/** Findings at `path` for each message. */
function at(path: PathSegment[], messages: ReadonlyArray<string>): Finding[] {
    return messages.map((message) => ({ path, message }));
}

/** metadata.name / generateName / namespace rules for a top-level object. */
function metadataFindings(info: KindInfo, object: Record<string, unknown>): Finding[] {
    const metadata = object.metadata;
    if (!isRecord(metadata)) {
        return metadata === undefined ? at(["metadata"], ["metadata is required"]) : [];
    }
    const findings: Finding[] = [];
    const { name, generateName, namespace } = metadata;
    if (typeof name === "string" && name.length > 0) {
        findings.push(...at(["metadata", "name"], nameErrors(info, name)));
    } else if (name === undefined && (typeof generateName !== "string" || generateName.length === 0)) {
        findings.push(...at(["metadata", "name"], ["metadata.name is required"]));
    } else if (name === "") {
        findings.push(...at(["metadata", "name"], ["metadata.name must not be empty"]));
    }
    const hasNamespace = typeof namespace === "string" && namespace.length > 0;
    if (info.clusterScoped && namespace !== undefined) {
        const message = `${info.kind} is cluster-scoped: metadata.namespace must not be set`;
        findings.push(...at(["metadata", "namespace"], [message]));
    } else if (!info.clusterScoped && !hasNamespace) {
        findings.push(
            ...at(["metadata", "namespace"], [`metadata.namespace is required: ${info.kind} is a namespaced kind`]),
        );
    } else if (hasNamespace) {
        findings.push(...at(["metadata", "namespace"], dns1123LabelErrors(namespace)));
    }
    return findings;
}

/** Unknown-field and nested syntax findings. */
function fieldFindings(info: KindInfo, object: Record<string, unknown>): Finding[] {
    if (info.fields.by === "client-node") {
        return walkTyped(object, info.fields.rootType, [], syntaxFindings);
    }
    // CRD and OpenShift kinds: their metadata is still a Kubernetes ObjectMeta.
    return walkTyped(object.metadata, "V1ObjectMeta", ["metadata"], syntaxFindings);
}

/** apiVersion/kind presence; returns the pair when both are non-empty strings. */
function typeMeta(object: Record<string, unknown>): { apiVersion: string; kind: string } | Finding[] {
    const { apiVersion, kind } = object;
    const findings: Finding[] = [];
    if (typeof apiVersion !== "string" || apiVersion.length === 0) {
        findings.push({ path: ["apiVersion"], message: "apiVersion is required and must be a non-empty string" });
    }
    if (typeof kind !== "string" || kind.length === 0) {
        findings.push({ path: ["kind"], message: "kind is required and must be a non-empty string" });
    }
    return typeof apiVersion === "string" && typeof kind === "string" && findings.length === 0
        ? { apiVersion, kind }
        : findings;
}

/** All findings for one object. */
function objectFindings(object: Record<string, unknown>): Finding[] {
    const meta = typeMeta(object);
    if (Array.isArray(meta)) {
        return meta;
    }
    const lookup = getRegistry().lookup(meta.apiVersion, meta.kind);
    if ("problem" in lookup) {
        return [{ path: ["kind"], message: lookup.problem }];
    }
    const info = lookup.found;
    return [
        ...schemaFindings(info.schemaErrors(object), object),
        ...fieldFindings(info, object),
        ...metadataFindings(info, object),
    ];
}

/** The identifying part of an issue: kind, namespace, name. */
function identityOf(object: Record<string, unknown>): Pick<ValidationIssue, "kind" | "namespace" | "name"> {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const identity: Pick<ValidationIssue, "kind" | "namespace" | "name"> = {
        kind: typeof object.kind === "string" && object.kind.length > 0 ? object.kind : MISSING,
        name: typeof metadata.name === "string" && metadata.name.length > 0 ? metadata.name : MISSING,
    };
    if (typeof metadata.namespace === "string" && metadata.namespace.length > 0) {
        identity.namespace = metadata.namespace;
    }
    return identity;
}

/** Validates one object; never throws for bad input. */
function validateObject(object: unknown): ValidationIssue[] {
    if (!isRecord(object)) {
        return [{ kind: MISSING, name: MISSING, path: "", message: "object must be a mapping" }];
    }
    const identity = identityOf(object);
    const seen = new Set<string>();
    const issues: ValidationIssue[] = [];
    for (const finding of objectFindings(object)) {
        const path = formatPath(finding.path);
        const key = `${path}\u0000${finding.message}`;
        if (!seen.has(key)) {
            seen.add(key);
            issues.push({ ...identity, path, message: finding.message });
        }
    }
    return issues;
}

/**
 * Validates plain Kubernetes objects (as they would be written to YAML).
 * Returns [] when all are valid; otherwise one issue per problem, in object
 * order. Lookups are built once per process, on the first call.
 */
export function validateObjects(objects: ReadonlyArray<Record<string, unknown>>): ValidationIssue[] {
    return objects.flatMap((object) => validateObject(object));
}
