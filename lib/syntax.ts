/**
 * Syntax rules of values the config hands to Kubernetes or to DNS, shared by the config schema
 * (stacks/) and anything else that needs them. Each returns undefined when the value is valid, else
 * what is wrong (to be put after the config key in a message).
 *
 * Sources: k8s.io/apimachinery pkg/util/validation/validation.go — IsQualifiedName (label keys: an
 * optional DNS-1123 subdomain prefix of at most 253 characters and `/`, then a name of at most 63
 * characters matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`), IsValidLabelValue (at most 63
 * characters, empty or the same pattern), IsDNS1123Label / IsDNS1123Subdomain; RFC 1123 §2.1 / RFC
 * 1035 §2.3.4 for host names (each dot-separated label at most 63 characters, the whole at most 253).
 */
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX } from "./names";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;

/** Whether a string is a dotted-quad IPv4 address. */
function isIPv4(s: string): boolean {
    return IPV4.test(s);
}

/**
 * A DNS host name: lower-case letters, digits, '-' and '.', each label starting and ending
 * alphanumeric and at most 63 characters, at most 253 in all. `allowIp` also accepts an IPv4 address
 * (an external service may be addressed by one; a public host name may not: Ingress, HTTPRoute and
 * certificates need a DNS name).
 */
export function hostnameProblem(s: string, opts: { readonly allowIp?: boolean } = {}): string | undefined {
    if (isIPv4(s)) return opts.allowIp ? undefined : "is an IP address: give a DNS name such as agents.example.com";
    if (s.length > DNS_SUBDOMAIN_MAX)
        return `has ${s.length} characters; a DNS name has at most ${DNS_SUBDOMAIN_MAX}: shorten it`;
    if (!DNS1123_SUBDOMAIN.test(s)) {
        return "must be a DNS name such as agents.example.com: lower-case letters, digits, '-' and '.', each part starting and ending with a letter or digit";
    }
    const long = s.split(".").find((l) => l.length > DNS_LABEL_MAX);
    if (long)
        return `has the part "${long}" of ${long.length} characters; each dot-separated part of a DNS name has at most ${DNS_LABEL_MAX}: shorten it`;
    return undefined;
}

/** A label key (`[prefix/]name`), as IsQualifiedName checks it. */
export function labelKeyProblem(k: string): string | undefined {
    const parts = k.split("/");
    if (parts.length > 2)
        return `is not a label key: at most one '/' (an optional DNS prefix, '/', a name), e.g. app.kubernetes.io/name`;
    const name = parts[parts.length - 1]!;
    if (parts.length === 2) {
        const prefix = parts[0]!;
        if (prefix.length === 0) return "is not a label key: the prefix before '/' is empty";
        if (prefix.length > DNS_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix)) {
            return `is not a label key: the prefix "${prefix}" must be a lower-case DNS subdomain of at most ${DNS_SUBDOMAIN_MAX} characters, e.g. example.com`;
        }
    }
    if (name.length === 0) return "is not a label key: the name part is empty";
    if (name.length > DNS_LABEL_MAX)
        return `is not a label key: its name part has ${name.length} characters, at most ${DNS_LABEL_MAX} are allowed`;
    if (!QUALIFIED_NAME.test(name)) {
        return "is not a label key: the name part must be letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
    }
    return undefined;
}

/** A label value, as IsValidLabelValue checks it. */
export function labelValueProblem(v: string): string | undefined {
    if (v.length > DNS_LABEL_MAX)
        return `is not a label value: ${v.length} characters, at most ${DNS_LABEL_MAX} are allowed`;
    if (!LABEL_VALUE.test(v)) {
        return "is not a label value: letters, digits, '-', '_' or '.', starting and ending with a letter or digit (or empty)";
    }
    return undefined;
}
const BINARY_SUFFIX: Readonly<Record<string, number>> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

/**
 * The value of a Kubernetes quantity (k8s.io/apimachinery pkg/api/resource: a signed decimal number,
 * then a binary suffix Ki..Ei, a decimal suffix n, u, m, k, M, G, T, P, E, or a decimal exponent
 * e/E<n>), as a number: `500m` → 0.5, `1` → 1, `256Mi` → 268435456. Undefined when it is not one.
 */
export function quantityValue(q: string): number | undefined {
    const m = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+|[numkMGTPE]?)$/.exec(q);
    if (!m) return undefined;
    const n = Number(m[1]);
    const suffix = m[2]!;
    if (suffix in BINARY_SUFFIX) return n * BINARY_SUFFIX[suffix]!;
    if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
    return n * DECIMAL_SUFFIX[suffix]!;
}
