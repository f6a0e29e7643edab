/**
 * MCP authentication decisions, as pure functions: the env an MCP server verifies tokens with, and
 * (level 1) the HS256 bearer token an agent presents. From level 2 the identity component supplies
 * RS256 tokens through Keycloak; this module only names the endpoints.
 */
import { createHmac } from "crypto";
import { Namespaces } from "../stacks/resolve";
import { keycloakIssuer, keycloakJwksUri, mcpInstance } from "./names";

/** Issuer of the level-1 HS256 tokens minted by the program. */
const HS256_ISSUER = "agentstack";

/** Non-secret MCP_AUTH_JWT_* settings of one server (the HS256 key itself comes from a Secret). */
export function mcpAuthSettings(
    alg: "HS256" | "RS256",
    server: string,
    ns: Namespaces,
    keycloakHostname: string,
): Record<string, string> {
    const audience = mcpInstance(server);
    if (alg === "HS256") {
        return { MCP_AUTH_JWT_ALG: "HS256", MCP_AUTH_JWT_ISSUER: HS256_ISSUER, MCP_AUTH_JWT_AUDIENCE: audience };
    }
    return {
        MCP_AUTH_JWT_ALG: "RS256",
        MCP_AUTH_JWT_JWKS_URI: keycloakJwksUri(ns),
        MCP_AUTH_JWT_ISSUER: keycloakIssuer(keycloakHostname),
        MCP_AUTH_JWT_AUDIENCE: audience,
    };
}

function b64url(s: string | Buffer): string {
    return Buffer.from(s).toString("base64url");
}

/**
 * An HS256 JWT for one agent and one MCP server (audience = the server, so a token for one server is
 * refused by another). No `iat`/`exp`: the token is as long-lived as the generated key, which is
 * acceptable only at level 1 (best effort); rotating the key (replacing the RandomPassword) rotates it.
 */
export function mintHs256Token(key: string, agent: string, server: string): string {
    const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const payload = b64url(JSON.stringify({ iss: HS256_ISSUER, sub: agent, aud: mcpInstance(server) }));
    const sig = createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url");
    return `${header}.${payload}.${sig}`;
}
