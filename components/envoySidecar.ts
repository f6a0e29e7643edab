/**
 * The Envoy sidecar the injector adds, described by the program as data (so the policy pack checks it
 * like any other container): a hardened container, the volumes it needs, the env added to the app
 * containers, and the Envoy bootstrap — an outbound HTTP proxy on 127.0.0.1:15001 whose every request
 * is checked by ExtAuth (ext_authz over gRPC), failing closed from level 2.
 */
import * as k8s from "@pulumi/kubernetes";
import { ZeroTrustSpec } from "../stacks/identity";
import { EXTAUTH_GRPC_PORT } from "../stacks/flows";
import { containerSecurityContext } from "./workload";

/** Placeholder the injector replaces with the pod's `app.kubernetes.io/instance` label. */
export const SOURCE_PLACEHOLDER = "{{SOURCE}}";
/** Outbound proxy port of the sidecar (loopback only). */
export const ENVOY_OUTBOUND_PORT = 15001;
/** uid of the distroless Envoy image (nonroot). */
export const ENVOY_UID = 65532;

const type = (t: string) => `type.googleapis.com/${t}`;

/** The Envoy bootstrap (JSON is YAML, so it is written as JSON). */
export function envoyBootstrap(zt: ZeroTrustSpec, extauthHost: string, routeTimeoutSeconds: number): Record<string, unknown> {
    const dnsCache = { name: "dns_cache", dns_lookup_family: "V4_ONLY" };
    return {
        admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
        static_resources: {
            listeners: [{
                name: "outbound",
                address: { socket_address: { address: "127.0.0.1", port_value: ENVOY_OUTBOUND_PORT } },
                filter_chains: [{
                    filters: [{
                        name: "envoy.filters.network.http_connection_manager",
                        typed_config: {
                            "@type": type("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
                            stat_prefix: "outbound",
                            route_config: {
                                name: "outbound",
                                virtual_hosts: [{
                                    name: "all",
                                    domains: ["*"],
                                    routes: [{
                                        match: { prefix: "/" },
                                        route: { cluster: "dynamic_forward_proxy_cluster", timeout: `${routeTimeoutSeconds}s` },
                                        typed_per_filter_config: {
                                            "envoy.filters.http.ext_authz": {
                                                "@type": type("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"),
                                                check_settings: { context_extensions: { source: SOURCE_PLACEHOLDER } },
                                            },
                                        },
                                    }],
                                }],
                            },
                            http_filters: [
                                {
                                    name: "envoy.filters.http.ext_authz",
                                    typed_config: {
                                        "@type": type("envoy.extensions.filters.http.ext_authz.v3.ExtAuthz"),
                                        transport_api_version: "V3",
                                        failure_mode_allow: zt.envoy.failOpen,
                                        grpc_service: { envoy_grpc: { cluster_name: "extauth" }, timeout: `${zt.envoy.timeoutMs / 1000}s` },
                                    },
                                },
                                { name: "envoy.filters.http.dynamic_forward_proxy", typed_config: { "@type": type("envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig"), dns_cache_config: dnsCache } },
                                { name: "envoy.filters.http.router", typed_config: { "@type": type("envoy.extensions.filters.http.router.v3.Router") } },
                            ],
                        },
                    }],
                }],
            }],
            clusters: [
                {
                    name: "extauth",
                    type: "STRICT_DNS",
                    connect_timeout: "1s",
                    typed_extension_protocol_options: {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                            "@type": type("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
                            explicit_http_config: { http2_protocol_options: {} },
                        },
                    },
                    load_assignment: {
                        cluster_name: "extauth",
                        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: extauthHost, port_value: EXTAUTH_GRPC_PORT } } } }] }],
                    },
                },
                {
                    name: "dynamic_forward_proxy_cluster",
                    lb_policy: "CLUSTER_PROVIDED",
                    cluster_type: {
                        name: "envoy.clusters.dynamic_forward_proxy",
                        typed_config: { "@type": type("envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig"), dns_cache_config: dnsCache },
                    },
                },
            ],
        },
    };
}

/** The sidecar container: hardened like every other container; the bootstrap is passed inline. */
export function envoySidecarContainer(zt: ZeroTrustSpec, bootstrap: Record<string, unknown>): k8s.types.input.core.v1.Container {
    return {
        name: "envoy",
        image: zt.envoy.image,
        imagePullPolicy: "IfNotPresent",
        args: ["--config-yaml", JSON.stringify(bootstrap), "--log-level", "warn"],
        ports: [{ name: "envoy-outbound", containerPort: ENVOY_OUTBOUND_PORT, protocol: "TCP" }],
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        livenessProbe: { tcpSocket: { port: ENVOY_OUTBOUND_PORT }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { tcpSocket: { port: ENVOY_OUTBOUND_PORT }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
        securityContext: containerSecurityContext(ENVOY_UID),
        volumeMounts: [{ name: "envoy-tmp", mountPath: "/tmp" }],
    };
}

/** Volumes the injector adds with the sidecar. */
export const SIDECAR_VOLUMES: k8s.types.input.core.v1.Volume[] = [{ name: "envoy-tmp", emptyDir: { sizeLimit: "32Mi" } }];

/** Env the injector adds to every app container: outbound HTTP goes through the sidecar. */
export const APP_PROXY_ENV: k8s.types.input.core.v1.EnvVar[] = [
    { name: "HTTP_PROXY", value: `http://127.0.0.1:${ENVOY_OUTBOUND_PORT}` },
    { name: "http_proxy", value: `http://127.0.0.1:${ENVOY_OUTBOUND_PORT}` },
    { name: "NO_PROXY", value: "127.0.0.1,localhost" },
];
