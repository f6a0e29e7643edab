/**
 * The `agentstack` realm Keycloak imports on start, as a pure function: an OIDC client for the gateway,
 * a client-credentials client per agent, and an audience (client scope) per MCP server. An agent may
 * request only the audiences of the servers it declares, so a token minted for one MCP server is
 * refused by every other. The JSON holds client secrets: it only ever lives in a Secret.
 */
import { REALM, agentInstance, mcpInstance } from "./names";

export interface RealmArgs {
    /** Public URL of the gateway (redirect URIs). */
    readonly gatewayUrl: string;
    /** Browser origins allowed by CORS. */
    readonly webOrigins: readonly string[];
    /** Gateway client secret. */
    readonly gatewayClientSecret: string;
    /** Agents: name, declared MCP servers, client secret. */
    readonly agents: ReadonlyArray<{ readonly name: string; readonly mcpServers: readonly string[]; readonly clientSecret: string }>;
    /** MCP servers that verify RS256 tokens (each gets an audience scope). */
    readonly mcpServers: readonly string[];
}

/** Client id of the gateway. */
export const GATEWAY_CLIENT_ID = "gateway";

/** The realm representation (Keycloak's import format). */
export function realmRepresentation(a: RealmArgs): Record<string, unknown> {
    const rs256 = new Set(a.mcpServers);
    return {
        realm: REALM,
        enabled: true,
        sslRequired: "external",
        registrationAllowed: false,
        resetPasswordAllowed: false,
        bruteForceProtected: true,
        accessTokenLifespan: 300,
        defaultSignatureAlgorithm: "RS256",
        clientScopes: a.mcpServers.map((m) => ({
            name: mcpInstance(m),
            description: `Audience of the MCP server ${m}`,
            protocol: "openid-connect",
            attributes: { "include.in.token.scope": "true", "display.on.consent.screen": "false" },
            protocolMappers: [{
                name: `audience-${mcpInstance(m)}`,
                protocol: "openid-connect",
                protocolMapper: "oidc-audience-mapper",
                consentRequired: false,
                config: { "included.custom.audience": mcpInstance(m), "access.token.claim": "true", "id.token.claim": "false" },
            }],
        })),
        clients: [
            {
                clientId: GATEWAY_CLIENT_ID,
                protocol: "openid-connect",
                publicClient: false,
                secret: a.gatewayClientSecret,
                standardFlowEnabled: true,
                implicitFlowEnabled: false,
                directAccessGrantsEnabled: false,
                serviceAccountsEnabled: false,
                redirectUris: [`${a.gatewayUrl}/*`],
                webOrigins: [a.gatewayUrl, ...a.webOrigins],
                attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": `${a.gatewayUrl}/*` },
            },
            ...a.agents.map((ag) => ({
                clientId: agentInstance(ag.name),
                protocol: "openid-connect",
                publicClient: false,
                secret: ag.clientSecret,
                standardFlowEnabled: false,
                implicitFlowEnabled: false,
                directAccessGrantsEnabled: false,
                serviceAccountsEnabled: true,
                defaultClientScopes: [],
                optionalClientScopes: ag.mcpServers.filter((m) => rs256.has(m)).map(mcpInstance),
            })),
        ],
    };
}
