/**
 * Object names and in-cluster addresses, derived in one place so every component, the flow table and
 * the tests agree on them.
 */
import { INSTANCES, mcpInstance } from "../lib/names";
import { KEYCLOAK_HTTP_PORT } from "../stacks/flows";
import { Namespaces } from "../stacks/resolve";

// The instance names live in lib/ so that the flow table (stacks/) derives the same names.
export { INSTANCES, agentInstance, mcpInstance } from "../lib/names";

/** The cluster DNS name of a Service. */
export function serviceHost(name: string, namespace: string): string {
    return `${name}.${namespace}.svc.cluster.local`;
}

/** The URL of an MCP server, as agents call it. */
export function mcpUrl(ns: Namespaces, server: string, port: number): string {
    return `http://${serviceHost(mcpInstance(server), ns.mcp)}:${port}/mcp`;
}

/** The URL of the sandbox, as agents call it. */
export function sandboxUrl(ns: Namespaces, port: number): string {
    return `http://${serviceHost(INSTANCES.sandbox, ns.sandbox)}:${port}`;
}

/** The platform realm. */
export const REALM = "agentstack";

/** Keycloak's in-cluster base URL. */
export function keycloakUrl(ns: Namespaces): string {
    return `http://${serviceHost(INSTANCES.keycloak, ns.identity)}:${KEYCLOAK_HTTP_PORT}`;
}

/** The realm's issuer: Keycloak's public URL (tokens carry it, whichever URL minted them). */
export function keycloakIssuer(hostname: string): string {
    return `https://${hostname}/realms/${REALM}`;
}

/** The realm's JWKS, fetched in-cluster. */
export function keycloakJwksUri(ns: Namespaces): string {
    return `${keycloakUrl(ns)}/realms/${REALM}/protocol/openid-connect/certs`;
}

/** The realm's token endpoint, called in-cluster. */
export function keycloakTokenUrl(ns: Namespaces): string {
    return `${keycloakUrl(ns)}/realms/${REALM}/protocol/openid-connect/token`;
}

/** Env-var-safe form of a name: `web-search` -> `WEB_SEARCH`. */
export function envName(name: string): string {
    return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
