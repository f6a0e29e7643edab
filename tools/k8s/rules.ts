/**
 * Name and label syntax rules that the API server applies to nested fields,
 * keyed by the client-node type of the mapping they live in. Keying by type
 * (not by path) makes them apply wherever the type occurs: a V1PodSpec in a
 * Pod, a Deployment template or a CronJob job template alike.
 */
import {
    configMapKeyErrors,
    dns1123LabelErrors,
    fullyQualifiedNameErrors,
    ianaSvcNameErrors,
    labelValueErrors,
    qualifiedNameErrors,
} from "./names";
import { type Finding, type PathSegment, isRecord } from "./paths";

/** Total size limit of all annotations of one object (TotalAnnotationSizeLimitB). */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

type Rule = (value: Record<string, unknown>, path: PathSegment[]) => Finding[];

/** Applies a string check to `value[field]` when it is a string (other types are the schema's business). */
function checkString(
    value: Record<string, unknown>,
    field: string,
    path: PathSegment[],
    check: (s: string) => string[],
): Finding[] {
    const v = value[field];
    return typeof v === "string" ? check(v).map((message) => ({ path: [...path, field], message })) : [];
}

/** Label-map rules: every key a qualified name, every string value a label value. */
function checkLabelMap(value: Record<string, unknown>, field: string, path: PathSegment[]): Finding[] {
    const map = value[field];
    if (!isRecord(map)) {
        return [];
    }
    return Object.entries(map).flatMap(([key, v]) => {
        const at = [...path, field, key];
        const keyFindings = qualifiedNameErrors(key).map((m) => ({ path: at, message: `invalid label key: ${m}` }));
        const valueFindings =
            typeof v === "string" ? labelValueErrors(v).map((message) => ({ path: at, message })) : [];
        return [...keyFindings, ...valueFindings];
    });
}

/** Annotation rules: every key a qualified name, and the total size within the API server's limit. */
function checkAnnotations(value: Record<string, unknown>, path: PathSegment[]): Finding[] {
    const map = value.annotations;
    if (!isRecord(map)) {
        return [];
    }
    const findings: Finding[] = Object.keys(map).flatMap((key) =>
        qualifiedNameErrors(key).map((m) => ({
            path: [...path, "annotations", key],
            message: `invalid annotation key: ${m}`,
        })),
    );
    const size = Object.entries(map).reduce(
        (sum, [k, v]) => sum + Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0),
        0,
    );
    if (size > ANNOTATIONS_MAX_BYTES) {
        findings.push({
            path: [...path, "annotations"],
            message: `annotations total ${size} bytes, more than the limit of ${ANNOTATIONS_MAX_BYTES}`,
        });
    }
    return findings;
}

/** Data-key rules for ConfigMap and Secret maps. */
function checkDataKeys(value: Record<string, unknown>, fields: ReadonlyArray<string>, path: PathSegment[]): Finding[] {
    return fields.flatMap((field) => {
        const map = value[field];
        return isRecord(map)
            ? Object.keys(map).flatMap((key) =>
                  configMapKeyErrors(key).map((message) => ({ path: [...path, field, key], message })),
              )
            : [];
    });
}

const RULES: Readonly<Record<string, Rule>> = {
    V1ObjectMeta: (v, p) => [...checkLabelMap(v, "labels", p), ...checkAnnotations(v, p)],
    V1LabelSelector: (v, p) => checkLabelMap(v, "matchLabels", p),
    V1LabelSelectorRequirement: (v, p) => checkString(v, "key", p, qualifiedNameErrors),
    V1NodeSelectorRequirement: (v, p) => checkString(v, "key", p, qualifiedNameErrors),
    V1PodSpec: (v, p) => checkLabelMap(v, "nodeSelector", p),
    V1Container: (v, p) => checkString(v, "name", p, dns1123LabelErrors),
    V1EphemeralContainer: (v, p) => checkString(v, "name", p, dns1123LabelErrors),
    V1ContainerPort: (v, p) => checkString(v, "name", p, ianaSvcNameErrors),
    V1Volume: (v, p) => checkString(v, "name", p, dns1123LabelErrors),
    V1HTTPGetAction: (v, p) => checkString(v, "port", p, ianaSvcNameErrors),
    V1TCPSocketAction: (v, p) => checkString(v, "port", p, ianaSvcNameErrors),
    V1ServiceSpec: (v, p) => checkLabelMap(v, "selector", p),
    V1ServicePort: (v, p) => [
        ...checkString(v, "name", p, dns1123LabelErrors),
        ...checkString(v, "targetPort", p, ianaSvcNameErrors),
    ],
    V1ServiceBackendPort: (v, p) => checkString(v, "name", p, ianaSvcNameErrors),
    V1NetworkPolicyPort: (v, p) => checkString(v, "port", p, ianaSvcNameErrors),
    V1MutatingWebhook: (v, p) => checkString(v, "name", p, fullyQualifiedNameErrors),
    V1ValidatingWebhook: (v, p) => checkString(v, "name", p, fullyQualifiedNameErrors),
    V1ConfigMap: (v, p) => checkDataKeys(v, ["data", "binaryData"], p),
    V1Secret: (v, p) => checkDataKeys(v, ["data", "stringData"], p),
};

/** Syntax findings for one typed mapping (none when the type has no rule). */
export function syntaxFindings(typeName: string, value: Record<string, unknown>, path: PathSegment[]): Finding[] {
    const rule = RULES[typeName];
    return rule === undefined ? [] : rule(value, path);
}
