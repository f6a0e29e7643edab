/**
 * Names the program derives from configured names (object names, label values, flow ids), made
 * valid by construction. Shared by `stacks/` (the flow table, the resolver) and `components/`.
 *
 * Kubernetes' own limits (k8s.io/apimachinery pkg/util/validation): a DNS-1123 label and a label
 * value are at most 63 characters; a DNS-1123 subdomain at most 253. A derived name that would be
 * longer is shortened the way Kubernetes controllers shorten generated names: a readable prefix and
 * a stable hash of the whole name, so the same config always gives the same name and two different
 * long names stay different.
 */
import { createHash } from "crypto";

/** Longest DNS-1123 label, and longest label value. */
export const DNS_LABEL_MAX = 63;
/** Longest DNS-1123 subdomain (most object names, host names). */
export const DNS_SUBDOMAIN_MAX = 253;
/** Length of the hash suffix of a shortened name. */
const NAME_HASH_LENGTH = 10;

/** A stable, lower-case hex digest of a name (the first `length` characters of its SHA-256). */
export function nameHash(name: string, length = NAME_HASH_LENGTH): string {
    return createHash("sha256").update(name).digest("hex").slice(0, length);
}

/**
 * `name` when it has at most `max` characters; otherwise its first characters, `-`, and the hash of
 * the whole name, `max` characters in all. A name made of DNS-label characters stays one (the cut
 * never leaves a trailing `-` or `.`, and the hash ends it alphanumeric).
 */
export function boundedName(name: string, max: number = DNS_LABEL_MAX): string {
    if (name.length <= max) return name;
    if (max < NAME_HASH_LENGTH + 2) throw new Error(`boundedName: ${max} leaves no room for a prefix and a hash`);
    const prefix = name.slice(0, max - NAME_HASH_LENGTH - 1).replace(/[-_.]+$/, "");
    return `${prefix}-${nameHash(name)}`;
}

/** The Kubernetes name (and instance label) of an agent. */
export function agentInstance(name: string): string {
    return `agent-${name}`;
}

/** The Kubernetes name (and instance label) of an MCP server. */
export function mcpInstance(name: string): string {
    return `mcp-${name}`;
}

/** Fixed instance names of the singleton components. */
export const INSTANCES = {
    gateway: "gateway",
    sandbox: "sandbox",
    extauth: "extauth",
    envoyInjector: "envoy-injector",
    keycloak: "keycloak",
    qdrant: "qdrant",
    mongodb: "mongodb",
    postgresql: "postgresql",
} as const;
