/**
 * The Envoy sidecar the injector adds, described by the program as data (so the policy pack checks it
 * like any other container): a native sidecar (an init container with `restartPolicy: Always`, so the
 * kubelet starts it before and stops it after the application), the volumes it needs, the env added to
 * the application containers, and the Envoy bootstrap:
 *
 * - an explicit forward proxy on 127.0.0.1:15001 for plain HTTP (absolute URLs, `HTTP_PROXY`) and for
 *   HTTPS and other TCP through `CONNECT` (`HTTPS_PROXY`); every request, the CONNECT included, is
 *   checked by ExtAuth (ext_authz over gRPC) with the pod's identity as context, failing closed from
 *   level 2; ExtAuth decides on the authority (host and port);
 * - a health listener on the pod IP (port 15021) that serves only `/ready` (Envoy's health-check
 *   filter: 200 while Envoy serves, 503 while it drains) — the kubelet can reach it, nothing else is
 *   exposed on it;
 * - no admin interface on any TCP address (on loopback it would be reachable through the proxy
 *   itself); with monitoring on, the admin server listens on a Unix socket in the sidecar's own
 *   volume and a stats listener on the pod IP (port 15090) passes only `GET /stats/prometheus` to it
 *   (components/envoyStats.ts).
 */
import { ROUTER_FILTER, httpListener, typeUrl } from "./envoyConfig";
import * as k8s from "@pulumi/kubernetes";
import { ENVOY_HEALTH_PORT, ENVOY_OUTBOUND_PORT, ENVOY_STATS_PORT, EXTAUTH_GRPC_PORT } from "../stacks/flows";
import { ZeroTrustSpec } from "../stacks/identity";
import { envoyStatsResources } from "./envoyStats";
import { containerSecurityContext } from "./workload";

/** Placeholder the injector replaces with `<namespace>/<app.kubernetes.io/instance>` of the pod. */
const SOURCE_PLACEHOLDER = "{{SOURCE}}";
export { ENVOY_HEALTH_PORT, ENVOY_OUTBOUND_PORT, ENVOY_STATS_PORT };
/**
 * uid/gid of the Envoy process: the `envoy` user of the official image, and never the uid of an
 * application container (65532 or the user's), so a later traffic redirect (iptables/CNI) can exclude it.
 */
export const ENVOY_UID = 101;

/** The Envoy bootstrap (JSON is YAML, so it is written as JSON). `stats`: the metrics listener (monitoring on). Default off. */
export function envoyBootstrap(
    zt: ZeroTrustSpec,
    extauthHost: string,
    routeTimeoutSeconds: number,
    opts: { readonly stats?: boolean } = {},
): Record<string, unknown> {
    const stats = opts.stats ? envoyStatsResources(ENVOY_STATS_PORT) : undefined;
    const dnsCache = { name: "dns_cache", dns_lookup_family: "V4_PREFERRED" };
    const upstream = { cluster: "dynamic_forward_proxy_cluster" };
    return {
        node: { id: SOURCE_PLACEHOLDER, cluster: "agentstack-sidecar" },
        ...(stats ? { admin: stats.admin } : {}),
        static_resources: {
            listeners: [
                httpListener("outbound", "127.0.0.1", ENVOY_OUTBOUND_PORT, {
                    stat_prefix: "outbound",
                    // HTTP_PROXY clients send absolute URLs; HTTPS_PROXY clients send CONNECT host:port.
                    http_protocol_options: { allow_absolute_url: true },
                    upgrade_configs: [{ upgrade_type: "CONNECT" }],
                    route_config: {
                        name: "outbound",
                        virtual_hosts: [
                            {
                                name: "all",
                                domains: ["*"],
                                // The identity ExtAuth decides on, filled in per pod by the injector.
                                typed_per_filter_config: {
                                    "envoy.filters.http.ext_authz": {
                                        "@type": typeUrl("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"),
                                        check_settings: { context_extensions: { source: SOURCE_PLACEHOLDER } },
                                    },
                                },
                                routes: [
                                    // CONNECT is terminated here and its payload (TLS, gRPC, ...) tunnelled to host:port.
                                    {
                                        match: { connect_matcher: {} },
                                        route: {
                                            ...upstream,
                                            upgrade_configs: [{ upgrade_type: "CONNECT", connect_config: {} }],
                                        },
                                    },
                                    {
                                        match: { prefix: "/" },
                                        route: { ...upstream, timeout: `${routeTimeoutSeconds}s` },
                                    },
                                ],
                            },
                        ],
                    },
                    http_filters: [
                        {
                            name: "envoy.filters.http.ext_authz",
                            typed_config: {
                                "@type": typeUrl("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"),
                                transport_api_version: "V3",
                                failure_mode_allow: zt.envoy.failOpen,
                                grpc_service: {
                                    envoy_grpc: { cluster_name: "extauth" },
                                    timeout: `${zt.envoy.timeoutMs / 1000}s`,
                                },
                            },
                        },
                        {
                            name: "envoy.filters.http.dynamic_forward_proxy",
                            typed_config: {
                                "@type": typeUrl("envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig"),
                                dns_cache_config: dnsCache,
                            },
                        },
                        ROUTER_FILTER,
                    ],
                }),
                httpListener("health", "0.0.0.0", ENVOY_HEALTH_PORT, {
                    stat_prefix: "health",
                    route_config: {
                        name: "health",
                        virtual_hosts: [
                            {
                                name: "health",
                                domains: ["*"],
                                routes: [{ match: { prefix: "/" }, direct_response: { status: 404 } }],
                            },
                        ],
                    },
                    http_filters: [
                        {
                            name: "envoy.filters.http.health_check",
                            typed_config: {
                                "@type": typeUrl("envoy.extensions.filters.http.health_check.v3.HealthCheck"),
                                pass_through_mode: false,
                                headers: [{ name: ":path", string_match: { exact: "/ready" } }],
                            },
                        },
                        ROUTER_FILTER,
                    ],
                }),
                ...(stats ? [stats.listener] : []),
            ],
            clusters: [
                ...(stats ? [stats.cluster] : []),
                {
                    name: "extauth",
                    type: "STRICT_DNS",
                    connect_timeout: "1s",
                    typed_extension_protocol_options: {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                            "@type": typeUrl("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
                            explicit_http_config: { http2_protocol_options: {} },
                        },
                    },
                    load_assignment: {
                        cluster_name: "extauth",
                        endpoints: [
                            {
                                lb_endpoints: [
                                    {
                                        endpoint: {
                                            address: {
                                                socket_address: { address: extauthHost, port_value: EXTAUTH_GRPC_PORT },
                                            },
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                },
                {
                    name: "dynamic_forward_proxy_cluster",
                    connect_timeout: "5s",
                    lb_policy: "CLUSTER_PROVIDED",
                    cluster_type: {
                        name: "envoy.clusters.dynamic_forward_proxy",
                        typed_config: {
                            "@type": typeUrl("envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig"),
                            dns_cache_config: dnsCache,
                        },
                    },
                },
            ],
        },
    };
}

/** The sidecar container: a native sidecar, hardened like every other container; the bootstrap is passed inline. */
export function envoySidecarContainer(
    zt: ZeroTrustSpec,
    bootstrap: Record<string, unknown>,
): k8s.types.input.core.v1.Container {
    const health = { httpGet: { path: "/ready", port: ENVOY_HEALTH_PORT } };
    return {
        name: "envoy",
        image: zt.envoy.image,
        imagePullPolicy: "IfNotPresent",
        restartPolicy: "Always",
        // No hot restart: a second Envoy in the pod (the gateway's) would collide on its abstract sockets.
        args: ["--config-yaml", JSON.stringify(bootstrap), "--disable-hot-restart", "--log-level", "warn"],
        ports: [
            { name: "envoy-health", containerPort: ENVOY_HEALTH_PORT, protocol: "TCP" },
            ...(hasStatsListener(bootstrap)
                ? [{ name: "envoy-stats", containerPort: ENVOY_STATS_PORT, protocol: "TCP" }]
                : []),
        ],
        resources: { requests: { cpu: "20m", memory: "48Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        startupProbe: { ...health, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 },
        livenessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { ...health, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
        securityContext: containerSecurityContext(ENVOY_UID),
        volumeMounts: [{ name: "envoy-tmp", mountPath: "/tmp" }],
    };
}

/** Whether a bootstrap has the stats listener (then the container declares its port for the PodMonitor). */
function hasStatsListener(bootstrap: Record<string, unknown>): boolean {
    const listeners = ((bootstrap["static_resources"] as Record<string, unknown> | undefined)?.["listeners"] ??
        []) as Record<string, unknown>[];
    return listeners.some((l) => l["name"] === "stats");
}

/** Volumes the injector adds with the sidecar. */
export const SIDECAR_VOLUMES: k8s.types.input.core.v1.Volume[] = [
    { name: "envoy-tmp", emptyDir: { sizeLimit: "32Mi" } },
];

const PROXY_URL = `http://127.0.0.1:${ENVOY_OUTBOUND_PORT}`;
/**
 * Env the injector adds to (or overwrites in) every application container: outbound HTTP and HTTPS
 * (and gRPC, whose clients read the same variables) go through the sidecar. Both spellings, because
 * clients differ in which they read.
 */
export const APP_PROXY_ENV: k8s.types.input.core.v1.EnvVar[] = [
    { name: "HTTP_PROXY", value: PROXY_URL },
    { name: "http_proxy", value: PROXY_URL },
    { name: "HTTPS_PROXY", value: PROXY_URL },
    { name: "https_proxy", value: PROXY_URL },
    { name: "NO_PROXY", value: "127.0.0.1,localhost" },
    { name: "no_proxy", value: "127.0.0.1,localhost" },
];
