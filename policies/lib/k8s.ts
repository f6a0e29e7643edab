/**
 * Kubernetes objects as the policies see them: the Pulumi type token parsed into group/version/kind,
 * the properties materialized (unknowns marked), identity for messages and exemptions, the pod
 * template of every workload kind, and every container of it — init, main, ephemeral — plus the
 * Envoy sidecar the injector adds, described by the sidecar-template ConfigMap.
 *
 * Pure: no side effects at import.
 */
import YAML from "yaml";
import { Unverifiable, at, isEngineProxy, isUnknown, list, materialize, peek, rec, strMap } from "./values";
import { matchesSelector, parseLabelSelector } from "../../lib/connectivity/selectors";
import { TEMPLATE_PATH } from "../../lib/connectivity/workloads";
import { SIDECAR_TEMPLATE_LABEL } from "../../lib/labels";

/** Data key of the sidecar container (YAML of one Container). */
const SIDECAR_KEY = "sidecar.yaml";
/** Data key of the Envoy bootstrap. */
const ENVOY_BOOTSTRAP_KEY = "envoy.yaml";

/** A parsed `kubernetes:<group>/<version>:<Kind>` token (core group = ""). */
interface K8sType {
    readonly group: string;
    readonly version: string;
    readonly kind: string;
}

/** Parses a Pulumi Kubernetes type token; undefined for anything else (providers, components, other packages). */
function parseType(type: string): K8sType | undefined {
    const m = /^kubernetes:([^:/]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    return { group: m[1] === "core" ? "" : m[1]!, version: m[2]!, kind: m[3]! };
}

/** The Pulumi type token of a Kubernetes apiVersion and kind (`apps/v1` + `Deployment` -> `kubernetes:apps/v1:Deployment`). */
export function typeToken(apiVersion: string, kind: string): string {
    const [group, version] = apiVersion.includes("/")
        ? (apiVersion.split("/", 2) as [string, string])
        : ["core", apiVersion];
    return `kubernetes:${group}/${version}:${kind}`;
}

const WORKLOAD_GROUPS: ReadonlySet<string> = new Set(["", "apps", "extensions", "batch"]);

/** Workload kinds whose pods are long-running servers (probes, replicas, PDBs apply). */
export const SERVING_KINDS: ReadonlySet<string> = new Set([
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
]);
/** Workload kinds whose replica count is a field (or an HPA target). */
export const SCALABLE_KINDS: ReadonlySet<string> = new Set([
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
]);

/** A Kubernetes object (one Pulumi resource) as the policies read it. */
export class K8sObject {
    readonly group: string;
    readonly version: string;
    readonly kind: string;
    /** Materialized properties: plain data with `UNKNOWN` markers. */
    readonly props: Record<string, unknown>;

    constructor(
        readonly type: string,
        t: K8sType,
        props: unknown,
        readonly urn: string | undefined,
        /** Pulumi `protect` option (false outside Pulumi). */
        readonly protect: boolean,
    ) {
        this.group = t.group;
        this.version = t.version;
        this.kind = t.kind;
        const m = materialize(props);
        this.props = m && typeof m === "object" && !Array.isArray(m) ? (m as Record<string, unknown>) : {};
    }

    /** metadata.name ("<unknown>" when unknown or absent: display only). */
    get name(): string {
        const v = peek(this.props, "metadata", "name");
        return typeof v === "string" ? v : "<unknown>";
    }

    /** metadata.namespace (undefined when cluster-scoped or unset). */
    get namespace(): string | undefined {
        const v = peek(this.props, "metadata", "namespace");
        return typeof v === "string" ? v : undefined;
    }

    /** The namespace, or `default` for a namespaced object without one. */
    get ns(): string {
        return this.namespace ?? "default";
    }

    /** `Kind/namespace/name` or `Kind/name`: the key of exemptions. */
    get id(): string {
        return this.namespace ? `${this.kind}/${this.namespace}/${this.name}` : `${this.kind}/${this.name}`;
    }

    /** `Deployment agentstack-agents/agent-coder`: how messages name it. */
    get display(): string {
        return this.namespace ? `${this.kind} ${this.namespace}/${this.name}` : `${this.kind} ${this.name}`;
    }

    /** metadata.labels (throws Unverifiable on unknown). */
    get labels(): Record<string, string> {
        return strMap(this.props, "metadata", "labels");
    }

    /** metadata.annotations (throws Unverifiable on unknown). */
    get annotations(): Record<string, string> {
        return strMap(this.props, "metadata", "annotations");
    }

    /** Labels without throwing (unknown entries dropped): for identification only. */
    get labelsLoose(): Record<string, string> {
        const m = peek(this.props, "metadata", "labels");
        const out: Record<string, string> = {};
        if (m && typeof m === "object" && !isUnknown(m)) {
            for (const [k, v] of Object.entries(m)) if (typeof v === "string" && !isUnknown(v)) out[k] = v;
        }
        return out;
    }

    is(kind: string, group?: string): boolean {
        return this.kind === kind && (group === undefined || this.group === group);
    }

    /** True for the workload kinds (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob). */
    get isWorkload(): boolean {
        return TEMPLATE_PATH[this.kind] !== undefined && WORKLOAD_GROUPS.has(this.group);
    }

    /** True for the sidecar-template ConfigMap. */
    get isSidecarTemplate(): boolean {
        return this.is("ConfigMap", "") && this.labelsLoose[SIDECAR_TEMPLATE_LABEL] === "true";
    }

    /** Path of the pod template (undefined for non-workloads). */
    get templatePath(): readonly string[] | undefined {
        return this.isWorkload ? TEMPLATE_PATH[this.kind] : undefined;
    }

    /** The pod template's spec (throws Unverifiable when unknown). */
    podSpec(): Record<string, unknown> | undefined {
        const p = this.templatePath;
        return p ? rec(this.props, ...p, "spec") : undefined;
    }

    /** The pod labels of a workload (the pod's own for a Pod). */
    podLabels(): Record<string, string> {
        const p = this.templatePath;
        return p ? strMap(this.props, ...p, "metadata", "labels") : {};
    }

    /** Pod labels without throwing (for identification). */
    podLabelsLoose(): Record<string, string> {
        try {
            return this.podLabels();
        } catch {
            return {};
        }
    }
}

/**
 * K8sObjects by the engine's props object they were built from. An engine that hands every policy the
 * same props object for a resource (the offline engine does; see tools/policy/engine.ts) gets one
 * materialized copy per resource instead of one per policy. Only the engine's proxied props are
 * cached: they are a fresh copy of the resource that nothing writes to, while plain objects (tests,
 * hand-made data) may change between calls. A K8sObject is never written to.
 */
const built = new WeakMap<object, K8sObject>();

/** Builds a K8sObject from a Pulumi type token and props; undefined for non-Kubernetes types. */
export function k8sObject(type: string, props: unknown, urn?: string, protect = false): K8sObject | undefined {
    const hit = props !== null && typeof props === "object" ? built.get(props) : undefined;
    if (hit && hit.type === type && hit.urn === urn && hit.protect === protect) return hit;
    const t = parseType(type);
    if (!t) return undefined;
    const obj = new K8sObject(type, t, props, urn, protect);
    if (isEngineProxy(props)) built.set(props, obj);
    return obj;
}

/**
 * Which kind of container: `sidecar` is a native sidecar (an init container with
 * `restartPolicy: Always`, which keeps running beside the main containers).
 */
export type ContainerRole = "init" | "sidecar" | "main" | "ephemeral" | "sidecar-template";

/** One container of a workload (or the injected sidecar), with what applies to it. */
export interface ContainerRef {
    readonly role: ContainerRole;
    /** Container name ("<unnamed>" when absent). */
    readonly name: string;
    /** The container object (materialized). */
    readonly container: Record<string, unknown>;
    /** The pod spec it runs in (undefined for the sidecar template: it is injected into many pods). */
    readonly podSpec?: Record<string, unknown>;
    /** The workload kind (or "ConfigMap" for the template). */
    readonly ownerKind: string;
    /** `init container "x"`, `sidecar container "x"`, `container "x"`, `ephemeral container "x"`, `injected sidecar "envoy" (...)`. */
    readonly label: string;
}

/** A sidecar template that is there but cannot be read as a container. */
export class TemplateError extends Error {}

/**
 * YAML documents parsed from template text, by text: every workload's check reads the one sidecar
 * template, parsed once. The parsed values are only read. A few entries (templates under test).
 */
const parsedTemplates = new Map<string, { value: unknown } | { error: Error }>();

function parseTemplate(text: string): unknown {
    let entry = parsedTemplates.get(text);
    if (!entry) {
        try {
            entry = { value: YAML.parse(text) };
        } catch (e) {
            entry = { error: e as Error };
        }
        if (parsedTemplates.size >= 16) parsedTemplates.delete(parsedTemplates.keys().next().value!);
        parsedTemplates.set(text, entry);
    }
    if ("error" in entry) throw entry.error;
    return entry.value;
}

/** The container described by a sidecar-template ConfigMap. Throws TemplateError or Unverifiable. */
export function sidecarContainer(obj: K8sObject): Record<string, unknown> {
    const text = at(obj.props, "data", SIDECAR_KEY);
    if (typeof text !== "string")
        throw new TemplateError(`has no data key "${SIDECAR_KEY}" holding the sidecar container`);
    let parsed: unknown;
    try {
        parsed = parseTemplate(text);
    } catch (e) {
        throw new TemplateError(`data key "${SIDECAR_KEY}" is not valid YAML (${(e as Error).message.split("\n")[0]})`);
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new TemplateError(`data key "${SIDECAR_KEY}" is not a YAML mapping (one Kubernetes Container)`);
    }
    return parsed as Record<string, unknown>;
}

/** The Envoy bootstrap of a sidecar-template ConfigMap, parsed. Throws TemplateError or Unverifiable. */
export function envoyBootstrap(obj: K8sObject): unknown {
    const text = at(obj.props, "data", ENVOY_BOOTSTRAP_KEY);
    if (typeof text !== "string")
        throw new TemplateError(`has no data key "${ENVOY_BOOTSTRAP_KEY}" holding the Envoy bootstrap`);
    try {
        return parseTemplate(text);
    } catch (e) {
        throw new TemplateError(
            `data key "${ENVOY_BOOTSTRAP_KEY}" is not valid YAML (${(e as Error).message.split("\n")[0]})`,
        );
    }
}

function nameOf(c: Record<string, unknown>): string {
    const n = peek(c, "name");
    return typeof n === "string" ? n : "<unnamed>";
}

/**
 * Every container of a workload: init (native sidecars as role `sidecar`), main and ephemeral containers; for the sidecar-template
 * ConfigMap, the injected sidecar. Throws Unverifiable when the pod spec itself is unknown, and
 * TemplateError for an unreadable template.
 */
export function containersOf(obj: K8sObject): ContainerRef[] {
    if (obj.isSidecarTemplate) {
        const c = sidecarContainer(obj);
        return [
            {
                role: "sidecar-template",
                name: nameOf(c),
                container: c,
                ownerKind: "ConfigMap",
                label: `injected sidecar "${nameOf(c)}" (data key ${SIDECAR_KEY} of the sidecar template)`,
            },
        ];
    }
    const spec = obj.podSpec();
    if (!spec) return [];
    const out: ContainerRef[] = [];
    const add = (role: ContainerRole, field: string, what: string) => {
        for (let i = 0; i < list(spec, field).length; i++) {
            const c = at(spec, field, i);
            if (!c || typeof c !== "object") throw new Unverifiable([field, i]);
            const container = c as Record<string, unknown>;
            const sidecar = role === "init" && at(container, "restartPolicy") === "Always";
            out.push({
                role: sidecar ? "sidecar" : role,
                name: nameOf(container),
                container,
                podSpec: spec,
                ownerKind: obj.kind,
                label: `${sidecar ? "sidecar container" : what} "${nameOf(container)}"`,
            });
        }
    };
    add("init", "initContainers", "init container");
    add("main", "containers", "container");
    add("ephemeral", "ephemeralContainers", "ephemeral container");
    return out;
}
/**
 * A label selector's matchLabels/matchExpressions against labels, with the Kubernetes semantics of the
 * connectivity evaluator (lib/connectivity/selectors.ts: a selector the API server would reject selects
 * nothing). Throws Unverifiable when a part of the selector is unknown during preview.
 */
export function selectorMatches(
    selector: Record<string, unknown> | undefined,
    labels: Record<string, string>,
): boolean {
    if (!selector) return false;
    strMap(selector, "matchLabels");
    list(selector, "matchExpressions").forEach((_, i) => {
        for (const field of ["key", "operator", "values"]) at(selector, "matchExpressions", i, field);
        list(selector, "matchExpressions", i, "values").forEach((_v, j) =>
            at(selector, "matchExpressions", i, "values", j),
        );
    });
    const parsed = parseLabelSelector(selector, "selector", () => undefined);
    return parsed !== undefined && matchesSelector(parsed, labels);
}

/** A Service `spec.selector` (plain map) against labels; an empty selector selects nothing (no endpoints). */
export function serviceSelects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    const entries = Object.entries(selector);
    return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Reads a Kubernetes quantity-free duration such as "300s", "5m", "1h30m", "120" (seconds) into seconds. */
export function durationSeconds(text: string, defaultUnit: "s" | "ms" = "s"): number | undefined {
    const t = text.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return defaultUnit === "ms" ? Number(t) / 1000 : Number(t);
    const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h|d)/g;
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(t); m; m = re.exec(t)) {
        const n = Number(m[1]);
        const unit = m[2]!;
        total +=
            unit === "us"
                ? n / 1e6
                : unit === "ms"
                  ? n / 1000
                  : unit === "s"
                    ? n
                    : unit === "m"
                      ? n * 60
                      : unit === "h"
                        ? n * 3600
                        : n * 86400;
        consumed += m[0].length;
    }
    return consumed === t.length && consumed > 0 ? total : undefined;
}
