/** Field paths inside a Kubernetes object, and their display form. */

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number;

/** A problem found at a field path. */
export interface Finding {
    path: PathSegment[];
    message: string;
}

const SIMPLE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Formats a path the way kubectl reports fields:
 * `spec.template.spec.containers[0].name`, with keys that are not plain
 * identifiers quoted: `metadata.labels["app.kubernetes.io/name"]`.
 */
export function formatPath(path: ReadonlyArray<PathSegment>): string {
    let out = "";
    for (const segment of path) {
        if (typeof segment === "number") {
            out += `[${segment}]`;
        } else if (SIMPLE_KEY.test(segment)) {
            out += out.length === 0 ? segment : `.${segment}`;
        } else {
            out += `[${JSON.stringify(segment)}]`;
        }
    }
    return out;
}

/** True for a non-null, non-array object (a JSON/YAML mapping). */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Converts a JSON pointer (as used in Ajv's `instancePath`) into path
 * segments, turning a segment into an array index when the data at that
 * point is an array.
 */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
    if (pointer === "") {
        return [];
    }
    const raw = pointer
        .split("/")
        .slice(1)
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const path: PathSegment[] = [];
    let cursor: unknown = data;
    for (const segment of raw) {
        if (Array.isArray(cursor) && /^\d+$/.test(segment)) {
            const index = Number(segment);
            path.push(index);
            cursor = cursor[index];
        } else {
            path.push(segment);
            cursor = isRecord(cursor) ? cursor[segment] : undefined;
        }
    }
    return path;
}
