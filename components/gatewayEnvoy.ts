/**
 * The gateway's Envoy bootstrap, as data: the program is the gateway's only configuration. One
 * listener on the gateway port whose HTTP connection manager
 *
 * - answers the probe path itself (`health_check` filter, never the admin interface — there is none);
 * - applies CORS for the configured origins only, a local token-bucket rate limit and a request body
 *   limit before anything else;
 * - verifies Keycloak JWTs (`jwt_authn`: issuer = the realm's public URL, keys fetched in-cluster from
 *   the Keycloak Service, audience = the gateway client) on every agent route;
 * - routes `/agents/<name>/…` to that agent (prefix rewritten to `/`) with the LLM timeout, and `/` to
 *   the chat UI when one is configured;
 * - adds the security headers to every response and writes an access log without credentials.
 *
 * Field names follow the Envoy v3 API (envoy/config/bootstrap/v3/bootstrap.proto and the extension
 * protos named by each `@type`); tests check the result against those protos.
 */
import { CHAT_UI_INSTANCE, GATEWAY_STATS_PORT, KEYCLOAK_HTTP_PORT } from "../stacks/flows";
import { GatewaySpec, Namespaces } from "../stacks/resolve";
import { httpListener, typeUrl } from "./envoyConfig";
import { envoyStatsResources } from "./envoyStats";
import { INSTANCES, agentInstance, keycloakJwksUri, serviceHost } from "./names";

/** Path the gateway answers itself for the kubelet's probes (no JWT, no rate limit). */
export const GATEWAY_HEALTH_PATH = "/healthz";
/** Path prefix of an agent's routes: `/agents/<name>/`. */
export const AGENT_PATH_PREFIX = "/agents/";
/** Name of the JWT provider (Keycloak's realm). */
const JWT_PROVIDER = "keycloak";
/** Envoy cluster of Keycloak (JWKS). */
export const KEYCLOAK_CLUSTER = "keycloak";
/** Envoy cluster of the chat UI. */
export const CHAT_UI_CLUSTER = "chat-ui";
export { CHAT_UI_INSTANCE };
/** Worker threads: Envoy defaults to the node's CPU count, not the container's limit. */
const GATEWAY_CONCURRENCY = 2;

/** Response headers added to every response (overwriting an upstream's own value). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
};
/** CSP of the agent (API) routes: nothing may be loaded, nothing may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** CSP of the chat UI route when the UI sets none itself. */
const CHAT_UI_CSP = "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'";

/**
 * Access-log fields (JSON): what happened, never who proved it — no Authorization, no Cookie, no query
 * string (an OAuth `code` or a token may travel there).
 */
export const ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
    start_time: "%START_TIME%",
    method: "%REQ(:METHOD)%",
    path: "%REQ_WITHOUT_QUERY(:PATH)%",
    protocol: "%PROTOCOL%",
    status: "%RESPONSE_CODE%",
    response_flags: "%RESPONSE_FLAGS%",
    bytes_received: "%BYTES_RECEIVED%",
    bytes_sent: "%BYTES_SENT%",
    duration_ms: "%DURATION%",
    upstream_cluster: "%UPSTREAM_CLUSTER%",
    upstream_host: "%UPSTREAM_HOST%",
    client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
    request_id: "%REQ(X-REQUEST-ID)%",
    user_agent: "%REQ(USER-AGENT)%",
};

/** What the gateway config is derived from. */
interface GatewayEnvoyArgs {
    /** The resolved gateway spec (port, host name, CORS, rate limit, body limit, timeouts, chat UI). */
    readonly spec: Pick<
        GatewaySpec,
        | "port"
        | "hostname"
        | "corsOrigins"
        | "rateLimit"
        | "maxRequestBytes"
        | "llmRouteTimeoutSeconds"
        | "trustedProxyHops"
        | "chatUi"
    >;
    /** The platform's namespaces (agents, identity and gateway Services are addressed by them). */
    readonly namespaces: Namespaces;
    /** The agents it routes to. */
    readonly agents: ReadonlyArray<{ readonly name: string; readonly port: number }>;
    /** The JWT issuer: the realm's public URL (`https://<keycloak host>/realms/agentstack`). */
    readonly issuer: string;
    /** The audience a token must carry: the gateway's client id. */
    readonly audience: string;
    /** The metrics listener on GATEWAY_STATS_PORT (admin on a Unix socket only; components/envoyStats.ts). Default off. */
    readonly stats?: boolean;
}

/** Envoy cluster name of an agent. */
function agentCluster(name: string): string {
    return agentInstance(name);
}

/** A STRICT_DNS cluster to one in-cluster Service. */
function serviceCluster(name: string, host: string, port: number): Record<string, unknown> {
    return {
        name,
        type: "STRICT_DNS",
        connect_timeout: "2s",
        per_connection_buffer_limit_bytes: 32768,
        load_assignment: {
            cluster_name: name,
            endpoints: [
                { lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] },
            ],
        },
    };
}

/** Header options that set (overwrite) each header. */
function setHeaders(
    headers: Readonly<Record<string, string>>,
    action = "OVERWRITE_IF_EXISTS_OR_ADD",
): Record<string, unknown>[] {
    return Object.entries(headers).map(([key, value]) => ({ header: { key, value }, append_action: action }));
}

/** The JWT provider: Keycloak's realm, keys fetched in-cluster, the token stripped before forwarding. */
function jwtAuthentication(
    args: Pick<GatewayEnvoyArgs, "issuer" | "audience" | "namespaces">,
): Record<string, unknown> {
    const jwksUri = keycloakJwksUri(args.namespaces);
    return {
        "@type": typeUrl("envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"),
        providers: {
            [JWT_PROVIDER]: {
                issuer: args.issuer,
                audiences: [args.audience],
                require_expiration: true,
                remote_jwks: {
                    http_uri: { uri: jwksUri, cluster: KEYCLOAK_CLUSTER, timeout: "5s" },
                    cache_duration: "300s",
                    async_fetch: { failed_refetch_duration: "10s" },
                    retry_policy: { num_retries: 3 },
                },
                forward: false,
            },
        },
        // Every agent route needs a valid token; the chat UI (a public page that logs the user in
        // itself) and the probe path (answered before this filter) need none.
        rules: [{ match: { prefix: AGENT_PATH_PREFIX }, requires: { provider_name: JWT_PROVIDER } }],
        bypass_cors_preflight: true,
    };
}

/** The CORS policy of the virtual host: exactly the configured origins, or none at all. */
function corsPolicy(origins: readonly string[]): Record<string, unknown> | undefined {
    if (origins.length === 0) return undefined;
    return {
        "@type": typeUrl("envoy.extensions.filters.http.cors.v3.CorsPolicy"),
        allow_origin_string_match: origins.map((o) => ({ exact: o })),
        allow_methods: "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        allow_headers: "authorization, content-type, accept, x-request-id",
        expose_headers: "x-request-id",
        max_age: "600",
        allow_credentials: false,
    };
}

/** The routes: one per agent (prefix rewritten), then the chat UI at `/` if configured. */
function gatewayRoutes(args: Pick<GatewayEnvoyArgs, "spec" | "agents">): Record<string, unknown>[] {
    const timeout = `${args.spec.llmRouteTimeoutSeconds}s`;
    const routes: Record<string, unknown>[] = args.agents.map((a) => ({
        name: agentCluster(a.name),
        match: { prefix: `${AGENT_PATH_PREFIX}${a.name}/` },
        route: { cluster: agentCluster(a.name), prefix_rewrite: "/", timeout, idle_timeout: timeout },
        response_headers_to_add: setHeaders({ "content-security-policy": API_CSP }),
    }));
    if (args.spec.chatUi) {
        routes.push({
            name: CHAT_UI_CLUSTER,
            match: { prefix: "/" },
            route: { cluster: CHAT_UI_CLUSTER, timeout: "60s" },
            response_headers_to_add: setHeaders({ "content-security-policy": CHAT_UI_CSP }, "ADD_IF_ABSENT"),
        });
    }
    return routes;
}

/** The whole bootstrap. */
export function gatewayEnvoyConfig(args: GatewayEnvoyArgs): Record<string, unknown> {
    const s = args.spec;
    const timeout = `${s.llmRouteTimeoutSeconds}s`;
    const cors = corsPolicy(s.corsOrigins);
    const percent100 = (runtimeKey: string) => ({
        runtime_key: runtimeKey,
        default_value: { numerator: 100, denominator: "HUNDRED" },
    });
    const hcm = {
        stat_prefix: "gateway",
        codec_type: "AUTO",
        // Behind exactly `trustedProxyHops` proxies (the ingress controller / Gateway proxy): the client
        // address is the one they appended to X-Forwarded-For, not anything the client sent itself.
        use_remote_address: true,
        xff_num_trusted_hops: s.trustedProxyHops,
        normalize_path: true,
        merge_slashes: true,
        path_with_escaped_slashes_action: "UNESCAPE_AND_REDIRECT",
        strip_any_host_port: true,
        request_headers_timeout: "10s",
        stream_idle_timeout: timeout,
        common_http_protocol_options: { idle_timeout: "3600s", headers_with_underscores_action: "REJECT_REQUEST" },
        access_log: [
            {
                name: "envoy.access_loggers.stdout",
                typed_config: {
                    "@type": typeUrl("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"),
                    log_format: {
                        json_format: { ...ACCESS_LOG_FORMAT },
                        formatters: [
                            {
                                name: "envoy.formatter.req_without_query",
                                typed_config: {
                                    "@type": typeUrl("envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery"),
                                },
                            },
                        ],
                    },
                },
            },
        ],
        route_config: {
            name: "gateway",
            virtual_hosts: [
                {
                    name: "gateway",
                    domains: [s.hostname],
                    routes: gatewayRoutes(args),
                    response_headers_to_add: setHeaders(SECURITY_HEADERS),
                    response_headers_to_remove: ["x-powered-by"],
                    ...(cors ? { typed_per_filter_config: { "envoy.filters.http.cors": cors } } : {}),
                },
            ],
        },
        http_filters: [
            {
                name: "envoy.filters.http.health_check",
                typed_config: {
                    "@type": typeUrl("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
                    pass_through_mode: false,
                    headers: [{ name: ":path", string_match: { exact: GATEWAY_HEALTH_PATH } }],
                },
            },
            {
                name: "envoy.filters.http.cors",
                typed_config: { "@type": typeUrl("envoy.extensions.filters.http.cors.v3.Cors") },
            },
            {
                name: "envoy.filters.http.local_ratelimit",
                typed_config: {
                    "@type": typeUrl("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"),
                    stat_prefix: "gateway_rate_limit",
                    token_bucket: {
                        max_tokens: s.rateLimit.burst,
                        tokens_per_fill: s.rateLimit.requestsPerSecond,
                        fill_interval: "1s",
                    },
                    filter_enabled: percent100("gateway_rate_limit_enabled"),
                    filter_enforced: percent100("gateway_rate_limit_enforced"),
                },
            },
            {
                name: "envoy.filters.http.buffer",
                typed_config: {
                    "@type": typeUrl("envoy.extensions.filters.http.buffer.v3.Buffer"),
                    max_request_bytes: s.maxRequestBytes,
                },
            },
            { name: "envoy.filters.http.jwt_authn", typed_config: jwtAuthentication(args) },
            {
                name: "envoy.filters.http.router",
                typed_config: {
                    "@type": typeUrl("envoy.extensions.filters.http.router.v3.Router"),
                    suppress_envoy_headers: true,
                },
            },
        ],
    };
    const clusters = [
        ...args.agents.map((a) =>
            serviceCluster(agentCluster(a.name), serviceHost(agentInstance(a.name), args.namespaces.agents), a.port),
        ),
        serviceCluster(KEYCLOAK_CLUSTER, serviceHost(INSTANCES.keycloak, args.namespaces.identity), KEYCLOAK_HTTP_PORT),
        ...(s.chatUi
            ? [serviceCluster(CHAT_UI_CLUSTER, serviceHost(CHAT_UI_INSTANCE, args.namespaces.gateway), s.chatUi.port)]
            : []),
    ];
    const stats = args.stats ? envoyStatsResources(GATEWAY_STATS_PORT) : undefined;
    return {
        // No admin interface on any TCP address: the probes use the listener's own health path, and
        // with monitoring on the admin server listens only on a Unix socket behind the stats listener.
        ...(stats ? { admin: stats.admin } : {}),
        static_resources: {
            listeners: [
                httpListener("gateway", "0.0.0.0", s.port, hcm, { per_connection_buffer_limit_bytes: 32768 }),
                ...(stats ? [stats.listener] : []),
            ],
            clusters: [...clusters, ...(stats ? [stats.cluster] : [])],
        },
        overload_manager: {
            resource_monitors: [
                {
                    name: "envoy.resource_monitors.global_downstream_max_connections",
                    typed_config: {
                        "@type": typeUrl(
                            "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                        ),
                        max_active_downstream_connections: 10000,
                    },
                },
            ],
        },
    };
}

/** Envoy's command line: the config file, no hot restart (two Envoys share the pod), bounded workers. */
export function gatewayEnvoyArgs(configPath: string, logLevel: string): string[] {
    return [
        "-c",
        configPath,
        "--disable-hot-restart",
        "--concurrency",
        String(GATEWAY_CONCURRENCY),
        "--log-level",
        logLevel,
    ];
}
