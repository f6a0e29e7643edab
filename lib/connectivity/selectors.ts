/**
 * Kubernetes label selectors (metav1.LabelSelector): `matchLabels` and
 * `matchExpressions` with the operators In, NotIn, Exists and DoesNotExist.
 * All requirements are ANDed; the empty selector `{}` selects everything.
 */
import { asArray, asObject, asString, asStringMap, type WarnFn } from "../objects";

/** A set of labels (key to value). */
export type Labels = Readonly<Record<string, string>>;

/** Label selector operators accepted by the Kubernetes API. */
type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One `matchExpressions` requirement. */
interface SelectorRequirement {
    readonly key: string;
    readonly operator: SelectorOperator;
    readonly values: readonly string[];
}

/**
 * A parsed label selector. `invalid` marks a selector the API server would
 * reject (unknown operator, wrong `values` arity); such a selector selects
 * nothing, so the evaluator never reports a connection because of it.
 */
export interface LabelSelector {
    readonly matchLabels: Labels;
    readonly matchExpressions: readonly SelectorRequirement[];
    readonly invalid: boolean;
}

/** The empty selector: selects every object. */
export const SELECT_ALL: LabelSelector = Object.freeze({ matchLabels: {}, matchExpressions: [], invalid: false });

const OPERATORS: ReadonlySet<string> = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/**
 * Parses a raw selector. Returns `undefined` when the field is absent or null
 * (the caller decides what absence means), the parsed selector otherwise.
 */
export function parseLabelSelector(raw: unknown, where: string, warn: WarnFn): LabelSelector | undefined {
    if (raw === undefined || raw === null) return undefined;
    const o = asObject(raw);
    if (o === undefined) {
        warn(`${where}: selector is not an object; it selects nothing`);
        return { matchLabels: {}, matchExpressions: [], invalid: true };
    }
    let invalid = false;
    const matchLabels = asStringMap(o.matchLabels, `${where}.matchLabels`, warn);
    const matchExpressions: SelectorRequirement[] = [];
    const exprs = o.matchExpressions === undefined || o.matchExpressions === null ? [] : asArray(o.matchExpressions);
    if (exprs === undefined) {
        warn(`${where}.matchExpressions: not a list; the selector selects nothing`);
        invalid = true;
    }
    for (const [i, e] of (exprs ?? []).entries()) {
        const at = `${where}.matchExpressions[${i}]`;
        const eo = asObject(e);
        const key = asString(eo?.key);
        const operator = asString(eo?.operator);
        const rawValues = eo?.values === undefined || eo?.values === null ? [] : asArray(eo.values);
        if (key === undefined || operator === undefined || !OPERATORS.has(operator) || rawValues === undefined) {
            warn(`${at}: invalid requirement (key/operator/values); the selector selects nothing`);
            invalid = true;
            continue;
        }
        const values = rawValues.map((v) => String(v));
        const needsValues = operator === "In" || operator === "NotIn";
        if (needsValues !== values.length > 0) {
            warn(
                `${at}: operator ${operator} ${needsValues ? "requires a non-empty" : "must have an empty"} values list; the selector selects nothing`,
            );
            invalid = true;
            continue;
        }
        matchExpressions.push({ key, operator: operator as SelectorOperator, values });
    }
    return { matchLabels, matchExpressions, invalid };
}

/** True when `labels` satisfy every requirement of `selector`. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
    if (selector.invalid) return false;
    for (const [k, v] of Object.entries(selector.matchLabels)) {
        if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false;
    }
    for (const req of selector.matchExpressions) {
        const has = Object.prototype.hasOwnProperty.call(labels, req.key);
        switch (req.operator) {
            case "In":
                if (!has || !req.values.includes(labels[req.key] as string)) return false;
                break;
            case "NotIn":
                if (has && req.values.includes(labels[req.key] as string)) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
        }
    }
    return true;
}
