/**
 * Turns JSON-schema (Ajv) errors, as thrown by kubernetes-models'
 * `Model#validate()` or returned by an Ajv validator, into findings with
 * readable paths and one message per field.
 */
import { type Finding, isRecord, pointerToPath } from "./paths";

/** The part of an Ajv `ErrorObject` this module reads. */
export interface SchemaError {
    instancePath: string;
    keyword: string;
    params: Record<string, unknown>;
    message?: string;
}

/** Narrows one element of an Ajv `errors` array. */
function isSchemaError(value: unknown): value is SchemaError {
    return (
        isRecord(value) &&
        typeof value.instancePath === "string" &&
        typeof value.keyword === "string" &&
        isRecord(value.params) &&
        (value.message === undefined || typeof value.message === "string")
    );
}

/**
 * Extracts the Ajv errors from something thrown by a model's `validate()`
 * (an Ajv `ValidationError` with an `errors` array). Returns undefined when
 * the thrown value is not a schema validation error.
 */
export function schemaErrorsOf(thrown: unknown): SchemaError[] | undefined {
    if (!isRecord(thrown) || !Array.isArray(thrown.errors)) {
        return undefined;
    }
    return thrown.errors.filter(isSchemaError);
}

/** Keywords that only say "one of the alternatives failed"; their branches carry the detail. */
const COMBINATOR_KEYWORDS = new Set(["oneOf", "anyOf"]);

/** Message for a single error that needs no grouping. */
function messageFor(error: SchemaError): string {
    const p = error.params;
    switch (error.keyword) {
        case "enum":
            return Array.isArray(p.allowedValues)
                ? `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
                : (error.message ?? "must be one of the allowed values");
        case "format":
            return `must match format ${JSON.stringify(p.format)}`;
        default:
            return error.message ?? `fails schema keyword "${error.keyword}"`;
    }
}

/** Collapses the errors reported for one field into messages. */
function messagesForField(errors: ReadonlyArray<SchemaError>): string[] {
    const hasFormat = errors.some((e) => e.keyword === "format");
    const detailed = errors.filter((e) => !COMBINATOR_KEYWORDS.has(e.keyword));
    const relevant = detailed.length > 0 ? detailed : errors;
    const types = [...new Set(relevant.filter((e) => e.keyword === "type").map((e) => String(e.params.type)))];
    const messages: string[] = [];
    // A failed format means the value had an acceptable type for that branch:
    // the alternative type errors of an int-or-string / number-or-quantity are noise then.
    if (types.length > 0 && !hasFormat) {
        messages.push(`must be ${types.join(" or ")}`);
    }
    for (const error of relevant) {
        if (error.keyword !== "type") {
            messages.push(messageFor(error));
        }
    }
    return [...new Set(messages)];
}

/** Path (as a pointer) that an error is about; `required`/`additionalProperties` point at the child. */
function pointerOf(error: SchemaError): string {
    const escape = (s: string): string => s.replace(/~/g, "~0").replace(/\//g, "~1");
    if (error.keyword === "required" && typeof error.params.missingProperty === "string") {
        return `${error.instancePath}/${escape(error.params.missingProperty)}`;
    }
    if (error.keyword === "additionalProperties" && typeof error.params.additionalProperty === "string") {
        return `${error.instancePath}/${escape(error.params.additionalProperty)}`;
    }
    return error.instancePath;
}

/** Rewrites the child-pointing keywords into their final message. */
function normalize(error: SchemaError): SchemaError {
    if (error.keyword === "required") {
        return { ...error, message: "required field is missing" };
    }
    if (error.keyword === "additionalProperties") {
        const field = String(error.params.additionalProperty);
        return { ...error, message: `unknown field ${JSON.stringify(field)}` };
    }
    return error;
}

/**
 * Converts schema errors into findings, one or more messages per field path,
 * in the order the fields were first reported. `data` is the validated value,
 * used to tell array indexes from object keys.
 */
export function schemaFindings(errors: ReadonlyArray<SchemaError>, data: unknown): Finding[] {
    const byPointer = new Map<string, SchemaError[]>();
    for (const error of errors) {
        const pointer = pointerOf(error);
        const group = byPointer.get(pointer) ?? [];
        group.push(normalize(error));
        byPointer.set(pointer, group);
    }
    const findings: Finding[] = [];
    for (const [pointer, group] of byPointer) {
        const path = pointerToPath(pointer, data);
        for (const message of messagesForField(group)) {
            findings.push({ path, message });
        }
    }
    return findings;
}
