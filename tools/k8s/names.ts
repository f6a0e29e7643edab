/**
 * Syntax rules for Kubernetes names, label keys/values, annotation keys and
 * port names, as enforced by the Kubernetes API server
 * (k8s.io/apimachinery/pkg/util/validation). Each function returns a list of
 * human-readable problems; an empty list means the value is valid.
 */

const DNS1123_LABEL_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const DNS1035_LABEL_MAX = 63;
const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const IANA_SVC_NAME_MAX = 15;
const CONFIG_MAP_KEY_MAX = 253;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[-a-z0-9]+$/;
const HAS_LETTER = /[a-z]/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/** Quotes a value for inclusion in a message. */
function quote(value: string): string {
    return JSON.stringify(value);
}

/** Problems with `value` as an RFC 1123 label (Namespace names, container names, volume names, namespaces). */
export function dns1123LabelErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > DNS1123_LABEL_MAX) {
        errors.push(`${quote(value)} must be no more than ${DNS1123_LABEL_MAX} characters (DNS-1123 label)`);
    }
    if (!DNS1123_LABEL.test(value)) {
        errors.push(
            `${quote(value)} is not a valid DNS-1123 label: lower case alphanumeric characters or '-', ` +
                "starting and ending with an alphanumeric character",
        );
    }
    return errors;
}

/** Problems with `value` as an RFC 1123 subdomain (the default rule for metadata.name). */
export function dns1123SubdomainErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > DNS1123_SUBDOMAIN_MAX) {
        errors.push(`${quote(value)} must be no more than ${DNS1123_SUBDOMAIN_MAX} characters (DNS-1123 subdomain)`);
    }
    if (!DNS1123_SUBDOMAIN.test(value)) {
        errors.push(
            `${quote(value)} is not a valid DNS-1123 subdomain: lower case alphanumeric characters, '-' or '.', ` +
                "starting and ending with an alphanumeric character",
        );
    }
    return errors;
}

/** Problems with `value` as an RFC 1035 label (Service names). */
export function dns1035LabelErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > DNS1035_LABEL_MAX) {
        errors.push(`${quote(value)} must be no more than ${DNS1035_LABEL_MAX} characters (DNS-1035 label)`);
    }
    if (!DNS1035_LABEL.test(value)) {
        errors.push(
            `${quote(value)} is not a valid DNS-1035 label: lower case alphanumeric characters or '-', ` +
                "starting with a letter and ending with an alphanumeric character",
        );
    }
    return errors;
}

/** Problems with `value` as a name usable as a single URL path segment (RBAC object names). */
export function pathSegmentNameErrors(value: string): string[] {
    if (value === "." || value === "..") {
        return [`${quote(value)} may not be '.' or '..' (path segment name)`];
    }
    const bad = ["/", "%"].filter((c) => value.includes(c));
    return bad.length > 0 ? [`${quote(value)} may not contain ${bad.map(quote).join(" or ")} (path segment name)`] : [];
}

/**
 * Problems with `value` as a qualified name: an optional DNS-1123 subdomain
 * prefix and '/', then a name of at most 63 characters. Used for label keys,
 * annotation keys and label-selector keys.
 */
export function qualifiedNameErrors(value: string): string[] {
    const parts = value.split("/");
    if (parts.length > 2) {
        return [`${quote(value)} is not a qualified name: at most one '/' separating an optional prefix and a name`];
    }
    const [prefix, name] = parts.length === 2 ? [parts[0] ?? "", parts[1] ?? ""] : [undefined, parts[0] ?? ""];
    const errors: string[] = [];
    if (prefix !== undefined) {
        if (prefix.length === 0) {
            errors.push(`${quote(value)} has an empty prefix before '/'`);
        } else {
            errors.push(...dns1123SubdomainErrors(prefix).map((e) => `prefix of ${quote(value)}: ${e}`));
        }
    }
    if (name.length === 0) {
        errors.push(`${quote(value)} has an empty name part`);
    } else {
        if (name.length > QUALIFIED_NAME_MAX) {
            errors.push(`name part of ${quote(value)} must be no more than ${QUALIFIED_NAME_MAX} characters`);
        }
        if (!QUALIFIED_NAME_PART.test(name)) {
            errors.push(
                `name part of ${quote(value)} must consist of alphanumeric characters, '-', '_' or '.', ` +
                    "and must start and end with an alphanumeric character",
            );
        }
    }
    return errors;
}

/** Problems with `value` as a label value (empty, or at most 63 characters of the qualified-name charset). */
export function labelValueErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > LABEL_VALUE_MAX) {
        errors.push(`label value ${quote(value)} must be no more than ${LABEL_VALUE_MAX} characters`);
    }
    if (!LABEL_VALUE.test(value)) {
        errors.push(
            `label value ${quote(value)} must be empty or consist of alphanumeric characters, '-', '_' or '.', ` +
                "starting and ending with an alphanumeric character",
        );
    }
    return errors;
}

/** Problems with `value` as an IANA_SVC_NAME (container port names and named target ports). */
export function ianaSvcNameErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > IANA_SVC_NAME_MAX) {
        errors.push(`port name ${quote(value)} must be no more than ${IANA_SVC_NAME_MAX} characters (IANA_SVC_NAME)`);
    }
    if (!IANA_SVC_NAME.test(value)) {
        errors.push(
            `port name ${quote(value)} must contain only lower case alphanumeric characters or '-' (IANA_SVC_NAME)`,
        );
    }
    if (value.includes("--")) {
        errors.push(`port name ${quote(value)} must not contain consecutive hyphens (IANA_SVC_NAME)`);
    }
    if (value.startsWith("-") || value.endsWith("-")) {
        errors.push(`port name ${quote(value)} must not begin or end with a hyphen (IANA_SVC_NAME)`);
    }
    if (!HAS_LETTER.test(value)) {
        errors.push(`port name ${quote(value)} must contain at least one letter (IANA_SVC_NAME)`);
    }
    return errors;
}

/** Problems with `value` as a fully qualified domain name of at least three segments (admission webhook names). */
export function fullyQualifiedNameErrors(value: string): string[] {
    const errors = dns1123SubdomainErrors(value);
    if (value.split(".").length < 3) {
        errors.push(`${quote(value)} should be a domain with at least three segments separated by dots`);
    }
    return errors;
}

/** Problems with `value` as a ConfigMap/Secret data key. */
export function configMapKeyErrors(value: string): string[] {
    const errors: string[] = [];
    if (value.length > CONFIG_MAP_KEY_MAX) {
        errors.push(`key ${quote(value)} must be no more than ${CONFIG_MAP_KEY_MAX} characters`);
    }
    if (!CONFIG_MAP_KEY.test(value)) {
        errors.push(`key ${quote(value)} must consist of alphanumeric characters, '-', '_' or '.'`);
    }
    if (value === "." || value === ".." || value.startsWith("..")) {
        errors.push(`key ${quote(value)} must not be '.' or '..' and must not start with '..'`);
    }
    return errors;
}
