/**
 * The `agentstack` realm as a pure function, in keycloak-config-cli's import format (Keycloak's realm
 * representation): an OIDC client for the gateway, a client-credentials client per agent, and an
 * audience (client scope) per MCP server. An agent may request only the audiences of the servers it
 * declares, so a token minted for one MCP server is refused by every other. The JSON holds client
 * secrets: it only ever lives in a Secret.
 *
 * Keycloak's standard client scopes are never declared here: keycloak-config-cli creates a realm without
 * the document's `clientScopes` (Keycloak then creates its built-in scopes, `basic` with the `sub` mapper
 * among them) and adds this document's scopes afterwards. The document only *references* the standard
 * scopes (realm defaults, client defaults), and keycloak-config-cli fails the sync if one is missing.
 */
import { REALM, agentInstance, envName, mcpInstance } from "./names";

interface RealmArgs {
    /** Public URL of the gateway (redirect URIs). */
    readonly gatewayUrl: string;
    /** Browser origins allowed by CORS. */
    readonly webOrigins: readonly string[];
    /** Gateway client secret. */
    readonly gatewayClientSecret: string;
    /** Agents: name, declared MCP servers, client secret. */
    readonly agents: ReadonlyArray<{
        readonly name: string;
        readonly mcpServers: readonly string[];
        readonly clientSecret: string;
    }>;
    /** MCP servers that verify RS256 tokens (each gets an audience scope). */
    readonly mcpServers: readonly string[];
}

/** Client id of the gateway. */
export const GATEWAY_CLIENT_ID = "gateway";

/**
 * Keycloak 26's standard OIDC client scopes that every new client gets by default (the realm's
 * "default default" scopes, created with the realm): `basic` carries `sub` and `auth_time`, `acr` the
 * authentication level, `profile` and `email` the user claims, `roles` the role claims and audiences,
 * `web-origins` the allowed origins.
 */
export const STANDARD_DEFAULT_SCOPES = ["basic", "acr", "profile", "email", "roles", "web-origins"] as const;

/** The scopes the gateway asks for at login (`openid` is the OIDC marker, not a client scope). */
export const GATEWAY_SCOPES = ["openid", "profile", "email"] as const;

/** Scopes of an agent's own tokens besides the audiences it requests: `sub` only. */
export const AGENT_DEFAULT_SCOPES = ["basic"] as const;

/** The client scope an agent requests to get a token for one MCP server (`aud` = the server's instance name). */
export function audienceScope(server: string): string {
    return mcpInstance(server);
}

/** Env var naming the scope an agent requests for one server: `MCP_<SERVER>_AUTH_SCOPE`. */
export function scopeEnvName(server: string): string {
    return `MCP_${envName(server)}_AUTH_SCOPE`;
}

/** The realm representation (Keycloak's import format, as keycloak-config-cli reads it). */
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
        defaultDefaultClientScopes: [...STANDARD_DEFAULT_SCOPES],
        clientScopes: a.mcpServers.map((m) => ({
            name: audienceScope(m),
            description: `Audience of the MCP server ${m}`,
            protocol: "openid-connect",
            attributes: { "include.in.token.scope": "true", "display.on.consent.screen": "false" },
            protocolMappers: [
                {
                    name: `audience-${mcpInstance(m)}`,
                    protocol: "openid-connect",
                    protocolMapper: "oidc-audience-mapper",
                    consentRequired: false,
                    config: {
                        "included.custom.audience": mcpInstance(m),
                        "access.token.claim": "true",
                        "id.token.claim": "false",
                    },
                },
            ],
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
                defaultClientScopes: [...STANDARD_DEFAULT_SCOPES],
                optionalClientScopes: [],
                // The gateway's Envoy accepts only tokens whose `aud` names the gateway client: Keycloak
                // puts a client into `aud` only through an audience mapper.
                protocolMappers: [
                    {
                        name: "audience-gateway",
                        protocol: "openid-connect",
                        protocolMapper: "oidc-audience-mapper",
                        consentRequired: false,
                        config: {
                            "included.client.audience": GATEWAY_CLIENT_ID,
                            "access.token.claim": "true",
                            "id.token.claim": "false",
                        },
                    },
                ],
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
                fullScopeAllowed: false,
                defaultClientScopes: [...AGENT_DEFAULT_SCOPES],
                optionalClientScopes: ag.mcpServers.filter((m) => rs256.has(m)).map(audienceScope),
            })),
        ],
    };
}
