/**
 * Which changes the Kubernetes provider applies in place and which make it REPLACE the object, and
 * which objects hold data (so that a replace or a removal loses it).
 *
 * The replace rules are the pinned provider's, as data: `forceNew` and `forceNewProperties` of
 * pulumi-kubernetes `provider/pkg/provider/diff.go`, applied the way `Diff` of
 * `provider/pkg/provider/provider.go` applies them (every changed leaf is matched against the paths,
 * `.metadata.name`/`.metadata.namespace` always; a delete-before-replace for a named object that keeps
 * its name), with the provider options the program sets (`enableConfigMapMutable`,
 * `enableSecretMutable`), the engine's `ignoreChanges` and `replaceOnChanges` (pulumi/pulumi
 * `pkg/resource/deploy/step_generator.go`: `applyReplaceOnChanges`, `processIgnoreChanges`) and its
 * provider-change check (`providerChanged` → the provider's `DiffConfig`). See PROVIDER_SOURCE for what
 * to re-check when @pulumi/kubernetes is upgraded.
 */
import { STATEFULSET_REPLACE_FIELDS, getPath } from "../../lib/objects";
import { FieldChange, InventoryEntry, KubeObject } from "./types";

/**
 * Where the table below comes from. `test/diff-rules.test.ts` fails when the installed
 * @pulumi/kubernetes is not `version`: on an upgrade, re-read these files at the new release and update
 * FORCE_NEW, forceNewPaths, providerConfigReplaces and this record together.
 */
export const PROVIDER_SOURCE = {
    package: "@pulumi/kubernetes",
    version: "4.34.2",
    repository: "github.com/pulumi/pulumi-kubernetes",
    /**
     * The snapshot read: the repository head of 2026-07-01 (no v4.34.x tag in it). diff.go was last
     * changed on 2026-02-18 (eaf47e883, a Go version bump), so it is the file of every release since.
     */
    commit: "94977969d64112b04e19945818a7d5d5f38f631d",
    files: [
        "provider/pkg/provider/diff.go (forceNew, forceNewProperties)",
        "provider/pkg/provider/provider.go (Diff, DiffConfig, Configure: enableConfigMapMutable / enableSecretMutable)",
        "provider/pkg/provider/diff_test.go (TestPatchToDiff: the ConfigMap/Secret mutable cases)",
        "provider/pkg/openapi/match.go (PatchPropertiesChanged: how a path matches)",
        "provider/pkg/clients/unstructured.go (normalizeSecret: stringData folded into data)",
    ],
} as const;

type Kinds = Readonly<Record<string, readonly string[]>>;

const labelSelector = (prefix: string) => [
    `${prefix}.matchExpressions`,
    `${prefix}.matchExpressions.key`,
    `${prefix}.matchExpressions.operator`,
    `${prefix}.matchExpressions.values`,
    `${prefix}.matchLabels`,
];
const containerFields = (...prefixes: string[]) =>
    prefixes.flatMap((p) =>
        [
            "args",
            "command",
            "env",
            "env.value",
            "image",
            "imagePullPolicy",
            "lifecycle",
            "livenessProbe",
            "ports",
            "readinessProbe",
            "resources",
            "securityContext",
            "stdin",
            "stdinOnce",
            "terminationMessagePath",
            "terminationMessagePolicy",
            "tty",
            "volumeDevices",
            "volumeMounts",
            "workingDir",
        ].map((f) => `${p}.${f}`),
    );

const STATEFUL_SET = [...STATEFULSET_REPLACE_FIELDS.map((f) => `.spec.${f}`), ...labelSelector(".spec.selector")];
const DEPLOYMENT = [".spec.selector", ...labelSelector(".spec.selector")];
const JOB = [
    ".spec.completions",
    ".spec.parallelism",
    ".spec.selector",
    ".spec.template",
    ...labelSelector(".spec.selector"),
];
const ROLE_BINDING = [".roleRef"];

const CORE: Readonly<Record<string, Kinds>> = {
    v1: {
        PersistentVolume: [
            "awsElasticBlockStore",
            "azureDisk",
            "azureFile",
            "cephfs",
            "cinder",
            "csi",
            "fc",
            "flexVolume",
            "flocker",
            "gcePersistentDisk",
            "glusterfs",
            "hostPath",
            "iscsi",
            "local",
            "nfs",
            "photonPersistentDisk",
            "portworxVolume",
            "quobyte",
            "rbd",
            "scaleIO",
            "storageos",
            "vsphereVolume",
        ].map((f) => `.spec.${f}`),
        PersistentVolumeClaim: [
            ".spec.accessModes",
            ".spec.selector",
            ".spec.storageClassName",
            ".spec.volumeName",
            ...labelSelector(".spec.selector"),
        ],
        Pod: [
            ...[
                "affinity",
                "automountServiceAccountToken",
                "dnsConfig",
                "dnsPolicy",
                "enableServiceLinks",
                "hostAliases",
                "hostIPC",
                "hostNetwork",
                "hostPID",
                "hostname",
                "imagePullSecrets",
                "nodeName",
                "nodeSelector",
                "overhead",
                "preemptionPolicy",
                "priority",
                "priorityClassName",
                "readinessGates",
                "restartPolicy",
                "runtimeClassName",
                "schedulerName",
                "securityContext",
                "serviceAccount",
                "serviceAccountName",
                "shareProcessNamespace",
                "subdomain",
                "terminationGracePeriodSeconds",
                "volumes",
            ].map((f) => `.spec.${f}`),
            ...containerFields(".spec.containers[*]", ".spec.initContainers[*]"),
        ],
        ResourceQuota: [".spec.scopes"],
        Secret: [".type"],
        Service: [".spec.clusterIP"],
    },
};

/** diff.go's `forceNew`: API group → version → kind → the paths whose change replaces the object. */
const FORCE_NEW: Readonly<Record<string, Readonly<Record<string, Kinds>>>> = {
    apps: {
        v1beta1: { StatefulSet: STATEFUL_SET },
        v1beta2: { DaemonSet: DEPLOYMENT, Deployment: DEPLOYMENT, StatefulSet: STATEFUL_SET },
        v1: { DaemonSet: DEPLOYMENT, Deployment: DEPLOYMENT, StatefulSet: STATEFUL_SET },
    },
    core: CORE,
    "": CORE,
    policy: { v1beta1: { PodDisruptionBudget: [".spec"] } },
    "rbac.authorization.k8s.io": {
        v1alpha1: { ClusterRoleBinding: ROLE_BINDING, RoleBinding: ROLE_BINDING },
        v1beta1: { ClusterRoleBinding: ROLE_BINDING, RoleBinding: ROLE_BINDING },
        v1: { ClusterRoleBinding: ROLE_BINDING, RoleBinding: ROLE_BINDING },
    },
    "storage.k8s.io": { v1: { StorageClass: [".parameters", ".provisioner"] } },
    batch: { v1beta1: { Job: JOB }, v1: { Job: JOB }, v2alpha1: { Job: JOB } },
};

/** The provider options that change its replace rules (kubernetes.Provider args; false when unset). */
interface ProviderOptions {
    readonly enableConfigMapMutable: boolean;
    readonly enableSecretMutable: boolean;
}

/** The default provider's (and an explicit provider's without these args). */
const DEFAULT_PROVIDER_OPTIONS: ProviderOptions = { enableConfigMapMutable: false, enableSecretMutable: false };

const truthy = (v: unknown) => v === true || v === "true";

/**
 * The options of the provider that manages a resource: the inputs of its explicit provider
 * (`options.provider`) in the same tree; without one the default provider, whose options come from
 * `kubernetes:` stack config and PULUMI_K8S_* variables — taken as unset (no stack file sets them;
 * test/diff-rules.test.ts checks that).
 */
export function providerOptionsOf(
    entry: InventoryEntry | undefined,
    resources: readonly InventoryEntry[],
): ProviderOptions {
    const urn = entry?.options["provider"];
    if (typeof urn !== "string") return DEFAULT_PROVIDER_OPTIONS;
    const p = resources.find((r) => r.urn === urn);
    if (!p) return DEFAULT_PROVIDER_OPTIONS;
    return {
        enableConfigMapMutable: truthy(p.inputs["enableConfigMapMutable"]),
        enableSecretMutable: truthy(p.inputs["enableSecretMutable"]),
    };
}

function groupVersion(obj: KubeObject): { group: string; version: string } {
    const api = String(obj["apiVersion"] ?? "");
    const i = api.indexOf("/");
    return i < 0 ? { group: "", version: api } : { group: api.slice(0, i), version: api.slice(i + 1) };
}

/**
 * diff.go's `forceNewProperties(newInputs)`: `.metadata.name` and `.metadata.namespace`, plus the
 * kind's paths — for a Secret `.type`, `.stringData`, `.data` unless the provider makes Secrets
 * mutable and this one is not `immutable: true`; for a ConfigMap `.binaryData`, `.data` on the same
 * terms. A Patch resource (type ending in `Patch`) is replaced only for its name and namespace.
 */
function forceNewPaths(after: KubeObject, opts: ProviderOptions, resourceType?: string): string[] {
    const props = [".metadata.name", ".metadata.namespace"];
    if (resourceType?.endsWith("Patch")) return props;
    const { group, version } = groupVersion(after);
    const kind = String(after["kind"]);
    const versions = FORCE_NEW[group];
    const kinds = versions?.[version];
    if (!kinds) return props;
    const immutable = after["immutable"] === true;
    const isCore = group === "" || group === "core";
    if (isCore && kind === "Secret" && (!opts.enableSecretMutable || immutable))
        return [...props, ".type", ".stringData", ".data"];
    if (kinds[kind]) return [...props, ...kinds[kind]!];
    if (isCore && kind === "ConfigMap" && (!opts.enableConfigMapMutable || immutable))
        return [...props, ".binaryData", ".data"];
    return props;
}

/** `.spec.containers[*].image` → ["spec", "containers", "*", "image"]. */
function parseForceNewPath(p: string): string[] {
    return p
        .replace(/\[\*\]/g, ".*")
        .split(".")
        .filter((s) => s !== "");
}

/** A change's path with list elements as indexes, as the provider's patch sees it. */
type IndexPath = readonly (string | number)[];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function nameOf(v: unknown): string | undefined {
    if (!isObj(v)) return undefined;
    if (typeof v["name"] === "string") return v["name"];
    const m = v["metadata"];
    return isObj(m) && typeof m["name"] === "string" ? m["name"] : undefined;
}

/**
 * The index path of a change (`[name=x]` → the element's index in the new object, else in the old one;
 * a `(order)` change is the list itself).
 */
function indexPath(c: FieldChange, after: unknown, before: unknown): IndexPath {
    const out: (string | number)[] = [];
    let a: unknown = after;
    let b: unknown = before;
    for (const s of c.segments) {
        let key: string | number = s;
        const named = /^\[name=(.*)\]$/.exec(s);
        const pos = /^\[(\d+)\]$/.exec(s);
        if (named) {
            const ia = Array.isArray(a) ? a.findIndex((e) => nameOf(e) === named[1]) : -1;
            const ib = Array.isArray(b) ? b.findIndex((e) => nameOf(e) === named[1]) : -1;
            key = ia >= 0 ? ia : ib >= 0 ? ib : 0;
            a = ia >= 0 ? (a as unknown[])[ia] : undefined;
            b = ib >= 0 ? (b as unknown[])[ib] : undefined;
        } else if (pos) {
            key = Number(pos[1]);
            a = Array.isArray(a) ? a[key] : undefined;
            b = Array.isArray(b) ? b[key] : undefined;
        } else {
            a = isObj(a) ? a[s] : undefined;
            b = isObj(b) ? b[s] : undefined;
        }
        out.push(key);
    }
    return out;
}

/** The value at an index path. */
function valueAt(obj: unknown, p: IndexPath): unknown {
    let cur = obj;
    for (const k of p) {
        if (typeof k === "number") cur = Array.isArray(cur) ? cur[k] : undefined;
        else cur = isObj(cur) ? cur[k] : undefined;
    }
    return cur;
}

/** True when the rest of a pattern resolves inside a value (jsonpath on the patch slice: `*` is any element). */
function resolves(v: unknown, rest: readonly string[]): boolean {
    if (rest.length === 0) return v !== undefined;
    const [h, ...t] = rest;
    if (h === "*") return Array.isArray(v) && v.some((e) => resolves(e, t));
    return isObj(v) && h! in v && resolves(v[h!], t);
}

/**
 * openapi.PatchPropertiesChanged on the slice `makePatchSlice(path, value)`: a force-new path matches
 * a change when it is a prefix of the change's path, or when the change's path is a prefix of it and
 * the changed value (absent for a delete) contains the rest.
 */
function forceNewMatches(pattern: readonly string[], path: IndexPath, value: unknown): boolean {
    const n = Math.min(pattern.length, path.length);
    for (let i = 0; i < n; i++) {
        const p = pattern[i]!;
        const k = path[i]!;
        if (p === "*" ? typeof k !== "number" : p !== k) return false;
    }
    if (pattern.length <= path.length) return true;
    return value !== undefined && resolves(value, pattern.slice(path.length));
}

/**
 * A Pulumi property path (`spec.replicas`, `metadata.annotations["a.b/c"]`, `spec.ports[0]`,
 * `data.*`, `spec.containers[*].image`) as segments; `*` matches any key or index.
 */
function parsePropertyPath(p: string): (string | number)[] {
    const out: (string | number)[] = [];
    const re = /\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*(\d+|\*)\s*\]|\.?([^.[\]]+)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(p)) !== null) {
        if (m[1] !== undefined) out.push(m[1].replace(/\\(.)/g, "$1"));
        else if (m[2] !== undefined) out.push(m[2] === "*" ? "*" : Number(m[2]));
        else if (m[3] !== undefined) out.push(m[3]);
    }
    return out;
}

/** resource.PropertyPath.Contains: `outer` is a prefix of `inner` (`*` matches anything). */
function pathContains(outer: readonly (string | number)[], inner: IndexPath): boolean {
    if (outer.length > inner.length) return false;
    return outer.every((o, i) => o === "*" || o === inner[i]);
}

/** How the provider and the engine decide one object's update. */
interface ReplaceDecision {
    /** Why it is replaced (empty: an in-place update). */
    readonly reasons: string[];
    /** The changes left after `ignoreChanges` (the engine never sends the ignored ones). */
    readonly changes: FieldChange[];
    /** How many changes `ignoreChanges` removed. */
    readonly ignored: number;
    /** True when the old object is deleted before the new one is created (the object is briefly gone). */
    readonly deleteFirst: boolean;
}

function describe(p: string, kind: string, opts: ProviderOptions, after: KubeObject): string {
    const field = p.replace(/^\./, "");
    if ((kind === "ConfigMap" || kind === "Secret") && /^(data|binaryData|stringData)$/.test(field)) {
        if (after["immutable"] === true)
            return `${field} of an immutable (immutable: true) ${kind} cannot change in place`;
        return `the provider replaces a ${kind} whose ${field} changes (its option enable${kind === "Secret" ? "Secret" : "ConfigMap"}Mutable is off)`;
    }
    if (field === "metadata.name" || field === "metadata.namespace") return `${field} is the object's identity`;
    void opts;
    return `${field} is a replace field of a ${kind} in the provider`;
}

/**
 * The provider's decision for one object: which changes remain after `ignoreChanges`, whether any of
 * them hits a force-new path or a `replaceOnChanges` path, and whether the replace deletes first.
 */
export function decideUpdate(args: {
    before: KubeObject;
    after: KubeObject;
    changes: readonly FieldChange[];
    entry?: InventoryEntry;
    providerOptions: ProviderOptions;
}): ReplaceDecision {
    const { before, after, entry, providerOptions } = args;
    const kind = String(after["kind"]);
    const ignore = (
        Array.isArray(entry?.options["ignoreChanges"]) ? (entry!.options["ignoreChanges"] as unknown[]) : []
    )
        .filter((x): x is string => typeof x === "string")
        .map(parsePropertyPath);
    const roc = (
        Array.isArray(entry?.options["replaceOnChanges"]) ? (entry!.options["replaceOnChanges"] as unknown[]) : []
    ).filter((x): x is string => typeof x === "string");
    const forceNew = forceNewPaths(after, providerOptions, entry?.type).map((p) => ({ p, segs: parseForceNewPath(p) }));
    const kept: FieldChange[] = [];
    const reasons = new Set<string>();
    for (const c of args.changes) {
        const ip = indexPath(c, after, before);
        if (ignore.some((g) => pathContains(g, ip))) continue;
        kept.push(c);
        // An `(order)` change carries the names; the provider's patch carries the new list.
        const value = c.path.endsWith(" (order)") ? valueAt(after, ip) : c.after;
        for (const f of forceNew)
            if (forceNewMatches(f.segs, ip, value)) reasons.add(describe(f.p, kind, providerOptions, after));
        for (const r of roc) {
            const rp = r === "*" ? ["*"] : parsePropertyPath(r);
            if (rp.length === 1 && rp[0] === "*" ? true : pathContains(rp, ip))
                reasons.add(`${c.path} is listed in the resource's replaceOnChanges option`);
        }
    }
    const list = [...reasons];
    // provider.go Diff: a named object that keeps its name and namespace is deleted before it is re-created.
    const named = typeof getPath(after, "metadata", "name") === "string";
    const deleteFirst = list.length > 0 && (entry?.options["deleteBeforeReplace"] === true || named);
    return { reasons: list, changes: kept, ignored: args.changes.length - kept.length, deleteFirst };
}

/**
 * The provider's `DiffConfig` when the provider of a resource changes (the engine's `providerChanged`):
 * the resources are replaced only when it reports a replacement — a changed `clusterIdentifier` (and
 * none at all while an unchanged one is set), a changed `renderYamlToDirectory`, or a change of
 * `kubeconfig`/`context`/`cluster` when both sides name a kubeconfig (the provider then compares their
 * active clusters, which cannot be read offline: reported as a replacement). An ambient kubeconfig
 * (none given) never causes one. Empty: no replacement.
 */
export function providerConfigReplaces(
    before: Record<string, unknown> | undefined,
    after: Record<string, unknown> | undefined,
): string[] {
    const b = before ?? {};
    const a = after ?? {};
    const same = (k: string) => JSON.stringify(b[k] ?? null) === JSON.stringify(a[k] ?? null);
    const has = (o: Record<string, unknown>, k: string) => o[k] !== undefined && o[k] !== null && o[k] !== "";
    if (has(b, "clusterIdentifier") && has(a, "clusterIdentifier")) {
        return same("clusterIdentifier") ? [] : ["the provider's clusterIdentifier changed"];
    }
    const out: string[] = [];
    if (!same("renderYamlToDirectory")) out.push("the provider's renderYamlToDirectory changed");
    if (has(b, "kubeconfig") && has(a, "kubeconfig") && !["kubeconfig", "context", "cluster"].every(same)) {
        out.push("the provider's kubeconfig/context/cluster changed and may name another cluster");
    }
    return out;
}

/**
 * Why deleting this object loses data, or undefined when it holds none: a StatefulSet with
 * volumeClaimTemplates, a PersistentVolumeClaim or PersistentVolume, or anything marked `protect`.
 */
export function holdsData(
    objects: readonly (KubeObject | undefined)[],
    entries: readonly (InventoryEntry | undefined)[],
): string | undefined {
    for (const o of objects) {
        if (!o) continue;
        const kind = o["kind"];
        const vct = getPath(o, "spec", "volumeClaimTemplates");
        if (kind === "StatefulSet" && Array.isArray(vct) && vct.length > 0)
            return "a StatefulSet with volumeClaimTemplates (its pods' volumes)";
        if (kind === "PersistentVolumeClaim") return "a PersistentVolumeClaim (its volume)";
        if (kind === "PersistentVolume") return "a PersistentVolume";
    }
    if (entries.some((e) => e?.options["protect"] === true)) return "a resource marked protect (declared to hold data)";
    return undefined;
}

/** True for a Job the provider may replace at `pulumi up` whatever the diff (`pulumi.com/replaceUnready: "true"`). */
export function replaceUnready(o: KubeObject | undefined): boolean {
    return o?.["kind"] === "Job" && getPath(o, "metadata", "annotations", "pulumi.com/replaceUnready") === "true";
}

/** Resource types whose every input change makes the provider generate a new value. */
export function isGenerated(type: string): boolean {
    return type.startsWith("random:") || type.startsWith("tls:");
}
