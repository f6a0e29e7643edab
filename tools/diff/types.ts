/**
 * The data model of `npm run diff`: two synth output trees in, one stack diff out. Everything in
 * tools/diff/ except git.ts is pure (no git, no Pulumi runtime), so it can be tested on small trees.
 */

/** A Kubernetes object as synth writes it (secret values already redacted). */
export type KubeObject = Record<string, unknown>;

/** One entry of resources.json (see tools/harness/render.ts inventoryEntry). */
export interface InventoryEntry {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent?: string | null;
    readonly custom: boolean;
    readonly options: Record<string, unknown>;
    readonly inputs: Record<string, unknown>;
    /**
     * Keyed digests of a Secret's values by key (tools/harness/render.ts secretDigests), present only
     * in a render made by `npm run diff`, whose random key both sides share. Never a value, never shown.
     */
    readonly secretDigests?: Record<string, string>;
}

/** What one synth run wrote: the manifests and the resources.json inventory. */
export interface SynthTree {
    readonly objects: readonly KubeObject[];
    readonly resources: readonly InventoryEntry[];
}

/** One changed field. `before`/`after` are absent when the field did not exist on that side. */
export interface FieldChange {
    /** Readable path: `spec.template.spec.containers[name=agent].image`, `metadata.labels["app.kubernetes.io/name"]`. */
    readonly path: string;
    /** The path's segments: map keys as they are, array elements as `[name=x]` or `[3]`. */
    readonly segments: readonly string[];
    readonly before?: unknown;
    readonly after?: unknown;
    /** Set for a Secret value whose digest differs: the report says only that the value changed. */
    readonly secret?: "value changed";
}

type ObjectAction = "add" | "remove" | "update" | "replace";

/** What an object's and a resource's diff share. */
interface ChangeOf {
    readonly name: string;
    readonly action: ObjectAction;
    readonly changes: readonly FieldChange[];
    /** Why it is replaced (empty unless action is "replace"). */
    readonly replaceReasons: readonly string[];
    /** True when its Pulumi resource has `protect` on either side (`pulumi up` refuses to delete or replace it). */
    readonly protected: boolean;
}

/** How one Kubernetes object (keyed by kind/namespace/name) changes. */
export interface ObjectDiff extends ChangeOf {
    readonly id: string;
    readonly kind: string;
    readonly namespace?: string;
    /** Set when the operation destroys data (a replace or removal of something that holds data). */
    readonly dataLoss?: string;
    /** A replace that deletes the old object before creating the new one (the provider does for a named object). */
    readonly deleteFirst?: boolean;
    /** How many field changes the resource's `ignoreChanges` hides from the provider (not listed). */
    readonly ignored?: number;
    /** The old URN when the resource was renamed with an alias (the same object, no replace). */
    readonly renamedFrom?: string;
    /** A removal of a resource with `retainOnDelete`: the object stays in the cluster. */
    readonly retained?: boolean;
}

/** A Pulumi resource that is not a Kubernetes object (random, tls, providers), keyed by URN. */
export interface ResourceDiff extends ChangeOf {
    readonly urn: string;
    readonly type: string;
    /** Set when a generated value (password, key, certificate) changes. */
    readonly regenerated?: string;
}

/** A change of a resource option in resources.json (protect, retainOnDelete, ...). */
export interface OptionChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** The Kubernetes object id when the resource is one. */
    readonly object?: string;
    readonly option: string;
    readonly before: unknown;
    readonly after: unknown;
}

/** One policy violation, as `evaluateManifests` of tools/policy/run.ts returns it. */
export interface PolicyViolation {
    readonly policy: string;
    readonly level: number;
    readonly enforcement: "advisory" | "mandatory";
    readonly resource: { readonly kind: string; readonly namespace?: string; readonly name: string };
    readonly message: string;
}

/** Violations that appear or disappear between base and head. */
export interface PolicyDiff {
    /** False when the pack could not be evaluated; `note` says why. */
    readonly evaluated: boolean;
    readonly level?: 1 | 2 | 3;
    readonly levelSource?: string;
    readonly note?: string;
    /** Violations the change introduces. */
    readonly introduced: readonly PolicyViolation[];
    /** Violations the change resolves. */
    readonly resolved: readonly PolicyViolation[];
}

type WarningSeverity = "refuse" | "data-loss" | "replace" | "protect" | "regenerate" | "note";

/** A line for the top of the report. */
export interface DiffWarning {
    readonly severity: WarningSeverity;
    readonly subject: string;
    readonly message: string;
}

/** Where one side of the comparison came from. */
export interface SideInfo {
    /** The ref as given (`HEAD`, `main`, ...) or `working tree`. */
    readonly label: string;
    /** The commit it resolved to, if any. */
    readonly commit?: string;
    /** Why the side is empty, if it is (no tools/synth.ts, no stack file at that ref). */
    readonly emptyBecause?: string;
}

export interface StackDiffSummary {
    readonly added: number;
    readonly removed: number;
    readonly updated: number;
    readonly replaced: number;
    readonly dataLoss: number;
    readonly resources: number;
    readonly options: number;
    readonly policyIntroduced: number;
    readonly policyIntroducedMandatory: number;
    readonly policyResolved: number;
}

/** Everything `npm run diff` reports for one stack. */
export interface StackDiff {
    readonly stack: string;
    readonly base: SideInfo;
    readonly head: SideInfo;
    readonly objects: readonly ObjectDiff[];
    readonly resources: readonly ResourceDiff[];
    readonly options: readonly OptionChange[];
    readonly policy: PolicyDiff;
    readonly warnings: readonly DiffWarning[];
    readonly summary: StackDiffSummary;
    /** True when nothing at all differs (objects, resources, options, policy verdicts). */
    readonly noChanges: boolean;
}
