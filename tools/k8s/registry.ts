/**
 * The lookup from apiVersion + kind to everything the validator knows about
 * a kind: which package's schema validates it, whether it is cluster-scoped,
 * and which client-node type lists its fields. Built once per process from
 * the model packages' exports (no per-kind hardcoding beyond scope).
 */
import * as kubernetesModels from "kubernetes-models";
import * as certManagerModels from "@kubernetes-models/cert-manager";
import * as gatewayApiModels from "@kubernetes-models/gateway-api";
import * as prometheusOperatorModels from "@kubernetes-models/prometheus-operator";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { clientNodeTypeFor } from "./fields";
import { loadOpenShiftKinds, OPENSHIFT_SPEC_PACKAGE } from "./openshift";
import { isRecord } from "./paths";
import { type SchemaError, schemaErrorsOf } from "./schema-errors";

/** How unknown fields of a kind are detected. */
type FieldCheck =
    /** Whole object walked against this @kubernetes/client-node model's field list. */
    | { by: "client-node"; rootType: string }
    /** The kind's JSON schema sets additionalProperties: false (OpenShift); metadata walked via client-node. */
    | { by: "schema" }
    /** The schema allows unknown fields (kubernetes-models CRD packages); only metadata is checked. */
    | { by: "metadata-only" };

/** Everything known about one apiVersion/kind. */
export interface KindInfo {
    group: string;
    version: string;
    kind: string;
    /** Package whose schema validates the kind. */
    source: string;
    clusterScoped: boolean;
    fields: FieldCheck;
    /** JSON-schema errors for the whole object (empty when valid). */
    schemaErrors(object: Record<string, unknown>): SchemaError[];
}

/** Result of a lookup: the kind, or why it cannot be validated. */
type Lookup = { found: KindInfo } | { problem: string };

/** A kubernetes-models model constructor: instances validate themselves against the JSON schema. */
type ModelConstructor = new (data: Record<string, unknown>) => { validate(): void };

/** A top-level kubernetes-models model class (generated with static apiVersion and kind). */
interface ModelClass extends ModelConstructor {
    readonly apiVersion: string;
    readonly kind: string;
}

/**
 * Cluster-scoped kinds, as `group/Kind` (core group empty). Scope is not in
 * kubernetes-models or the client-node models, so it is listed here; every
 * other model kind is namespaced. OpenShift scopes come from the OpenAPI paths.
 */
const CLUSTER_SCOPED = new Set([
    "/Namespace",
    "/Node",
    "/PersistentVolume",
    "/ComponentStatus",
    "admissionregistration.k8s.io/MutatingWebhookConfiguration",
    "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
    "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
    "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
    "admissionregistration.k8s.io/MutatingAdmissionPolicy",
    "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
    "apiextensions.k8s.io/CustomResourceDefinition",
    "apiregistration.k8s.io/APIService",
    "authentication.k8s.io/TokenReview",
    "authentication.k8s.io/SelfSubjectReview",
    "authorization.k8s.io/SelfSubjectAccessReview",
    "authorization.k8s.io/SelfSubjectRulesReview",
    "authorization.k8s.io/SubjectAccessReview",
    "certificates.k8s.io/CertificateSigningRequest",
    "certificates.k8s.io/ClusterTrustBundle",
    "flowcontrol.apiserver.k8s.io/FlowSchema",
    "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
    "networking.k8s.io/IngressClass",
    "networking.k8s.io/IPAddress",
    "networking.k8s.io/ServiceCIDR",
    "node.k8s.io/RuntimeClass",
    "policy/PodSecurityPolicy",
    "extensions/PodSecurityPolicy",
    "rbac.authorization.k8s.io/ClusterRole",
    "rbac.authorization.k8s.io/ClusterRoleBinding",
    "scheduling.k8s.io/PriorityClass",
    "storage.k8s.io/StorageClass",
    "storage.k8s.io/VolumeAttachment",
    "storage.k8s.io/CSIDriver",
    "storage.k8s.io/CSINode",
    "storage.k8s.io/VolumeAttributesClass",
    "cert-manager.io/ClusterIssuer",
    "certmanager.k8s.io/ClusterIssuer",
    "awspca.cert-manager.io/AWSPCAClusterIssuer",
    "trust.cert-manager.io/Bundle",
    "policy.cert-manager.io/CertificateRequestPolicy",
    "gateway.networking.k8s.io/GatewayClass",
]);

/** The model packages searched for kinds; `builtIn` marks the Kubernetes API itself. */
const MODEL_PACKAGES: ReadonlyArray<{ name: string; exports: unknown; builtIn: boolean }> = [
    { name: "kubernetes-models", exports: kubernetesModels, builtIn: true },
    { name: "@kubernetes-models/cert-manager", exports: certManagerModels, builtIn: false },
    { name: "@kubernetes-models/gateway-api", exports: gatewayApiModels, builtIn: false },
    { name: "@kubernetes-models/prometheus-operator", exports: prometheusOperatorModels, builtIn: false },
];

/** Module namespaces nest group -> version -> class; nothing is deeper than this. */
const MAX_EXPORT_DEPTH = 4;

/** Splits `apps/v1` into group `apps` and version `v1`; `v1` into group "" and `v1`. */
function splitApiVersion(apiVersion: string): { group: string; version: string } {
    const slash = apiVersion.indexOf("/");
    return slash < 0
        ? { group: "", version: apiVersion }
        : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Narrows a module export to a model class. */
function isModelClass(value: unknown): value is ModelClass {
    if (typeof value !== "function") {
        return false;
    }
    const candidate = value as { apiVersion?: unknown; kind?: unknown; prototype?: { validate?: unknown } };
    return (
        typeof candidate.apiVersion === "string" &&
        typeof candidate.kind === "string" &&
        typeof candidate.prototype?.validate === "function"
    );
}

/** Collects model classes reachable from a module namespace, skipping `*List` kinds (not objects one applies). */
function collectModelClasses(
    exports: unknown,
    depth = 0,
    out = new Map<string, ModelClass>(),
): Map<string, ModelClass> {
    if (!isRecord(exports) || depth > MAX_EXPORT_DEPTH) {
        return out;
    }
    for (const value of Object.values(exports)) {
        if (isModelClass(value)) {
            if (!value.kind.endsWith("List")) {
                out.set(`${value.apiVersion}/${value.kind}`, value);
            }
        } else if (isRecord(value)) {
            collectModelClasses(value, depth + 1, out);
        }
    }
    return out;
}

/** Runs a kubernetes-models model's validate() and returns its schema errors. */
function modelSchemaErrors(model: ModelConstructor, object: Record<string, unknown>): SchemaError[] {
    try {
        new model(object).validate();
        return [];
    } catch (thrown) {
        const errors = schemaErrorsOf(thrown);
        if (errors === undefined) {
            throw thrown;
        }
        return errors;
    }
}

/** The apimachinery ObjectMeta model, narrowed to a model constructor. */
function objectMetaModel(): ModelConstructor {
    const model: unknown = ObjectMeta;
    const prototype =
        typeof model === "function" ? (model as { prototype?: { validate?: unknown } }).prototype : undefined;
    if (typeof prototype?.validate !== "function") {
        throw new Error("@kubernetes-models/apimachinery ObjectMeta is not a model class");
    }
    return model as ModelConstructor;
}

/** ObjectMeta schema errors, reported under `/metadata` (for kinds whose own schema skips metadata). */
function metadataSchemaErrors(object: Record<string, unknown>): SchemaError[] {
    const metadata = object.metadata;
    if (!isRecord(metadata)) {
        return [];
    }
    const errors = modelSchemaErrors(objectMetaModel(), metadata);
    return errors.map((e) => ({ ...e, instancePath: `/metadata${e.instancePath}` }));
}

/** Registry entries for the model packages, plus the problems of model kinds client-node does not know. */
function modelPackageKinds(): { kinds: KindInfo[]; problems: Map<string, string> } {
    const kinds: KindInfo[] = [];
    const problems = new Map<string, string>();
    for (const pkg of MODEL_PACKAGES) {
        for (const [key, model] of collectModelClasses(pkg.exports)) {
            const { group, version } = splitApiVersion(model.apiVersion);
            const rootType = pkg.builtIn ? clientNodeTypeFor(group, version, model.kind) : undefined;
            if (pkg.builtIn && rootType === undefined) {
                problems.set(
                    key,
                    `${model.apiVersion} ${model.kind} is in kubernetes-models but not in the Kubernetes 1.34 API of ` +
                        "@kubernetes/client-node 1.4.0 (removed or deprecated API version): use a served apiVersion",
                );
                continue;
            }
            kinds.push({
                group,
                version,
                kind: model.kind,
                source: pkg.name,
                clusterScoped: CLUSTER_SCOPED.has(`${group}/${model.kind}`),
                fields: rootType === undefined ? { by: "metadata-only" } : { by: "client-node", rootType },
                schemaErrors: (object) => modelSchemaErrors(model, object),
            });
        }
    }
    return { kinds, problems };
}

/** Registry entries for the OpenShift kinds. */
function openShiftKinds(): KindInfo[] {
    return loadOpenShiftKinds().map((k) => ({
        group: k.group,
        version: k.version,
        kind: k.kind,
        source: OPENSHIFT_SPEC_PACKAGE,
        clusterScoped: k.clusterScoped,
        fields: { by: "schema" },
        schemaErrors: (object) => [...metadataSchemaErrors(object), ...k.validate(object)],
    }));
}

/** apiVersion/kind -> kind info or problem. */
interface Registry {
    lookup(apiVersion: string, kind: string): Lookup;
    /** All known kinds, for reporting and tests. */
    kinds(): ReadonlyArray<KindInfo>;
}

let registry: Registry | undefined;

/** The process-wide registry, built on first use. */
export function getRegistry(): Registry {
    if (registry === undefined) {
        const { kinds: modelKinds, problems } = modelPackageKinds();
        const all = [...modelKinds, ...openShiftKinds()];
        const byKey = new Map<string, KindInfo>();
        for (const info of all) {
            const apiVersion = info.group === "" ? info.version : `${info.group}/${info.version}`;
            if (!byKey.has(`${apiVersion}/${info.kind}`)) {
                byKey.set(`${apiVersion}/${info.kind}`, info);
            }
        }
        const sources = [...MODEL_PACKAGES.map((p) => p.name), OPENSHIFT_SPEC_PACKAGE].join(", ");
        registry = {
            lookup(apiVersion, kind) {
                const key = `${apiVersion}/${kind}`;
                const found = byKey.get(key);
                if (found !== undefined) {
                    return { found };
                }
                return {
                    problem:
                        problems.get(key) ??
                        `unknown apiVersion/kind ${JSON.stringify(apiVersion)} ${JSON.stringify(kind)}: ` +
                            `no schema for it in ${sources}`,
                };
            },
            kinds: () => [...byKey.values()],
        };
    }
    return registry;
}
