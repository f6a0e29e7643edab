/**
 * Envoy's metrics without an admin interface anyone can reach: the admin server listens only on a
 * Unix domain socket in the Envoy container's own /tmp volume (mode 0600, owned by Envoy's uid; no
 * other container mounts that volume, and a socket is not reachable through the proxy), and a
 * dedicated listener on the pod IP has exactly one route — `GET /stats/prometheus`, the admin
 * endpoint that renders the stats in the Prometheus text format — to a static cluster whose only
 * endpoint is that socket. Every other path gets 404; nothing of the admin API (config dump,
 * /quitquitquit, runtime changes, ...) is reachable. The NetworkPolicies let only the Prometheus pods
 * reach the listener.
 *
 * Fields, Envoy v3 API: `Bootstrap.admin.address` is a `config.core.v3.Address`, whose `pipe`
 * (`Pipe.path`, `Pipe.mode` ≤ 0777) is a Unix socket; a cluster endpoint's address may be a pipe as
 * well (`type: STATIC`); `RouteMatch.path` is an exact match on the path without its query string.
 * Checked against Envoy's protos by tools/envoy/validate.ts (test/envoy-validate.test.ts).
 */

import { ROUTER_FILTER, httpListener } from "./envoyConfig";

/** The admin endpoint the stats listener forwards to (Envoy's Prometheus exposition). */
export const ENVOY_STATS_PATH = "/stats/prometheus";
/** The admin socket, inside the Envoy container's /tmp emptyDir. */
const ENVOY_ADMIN_SOCKET = "/tmp/envoy-admin.sock";
/** Mode of the admin socket: Envoy's own uid only. */
const ENVOY_ADMIN_SOCKET_MODE = 0o600;
/** Name of the cluster that reaches the admin socket. */
const ENVOY_ADMIN_CLUSTER = "envoy_admin";
/** Name of the stats listener. */
const ENVOY_STATS_LISTENER = "stats";

/** The bootstrap pieces of the stats listener: the admin block, the listener and the cluster. */
export function envoyStatsResources(port: number): {
    admin: Record<string, unknown>;
    listener: Record<string, unknown>;
    cluster: Record<string, unknown>;
} {
    return {
        admin: { address: { pipe: { path: ENVOY_ADMIN_SOCKET, mode: ENVOY_ADMIN_SOCKET_MODE } } },
        listener: httpListener(ENVOY_STATS_LISTENER, "0.0.0.0", port, {
            stat_prefix: ENVOY_STATS_LISTENER,
            route_config: {
                name: ENVOY_STATS_LISTENER,
                virtual_hosts: [
                    {
                        name: ENVOY_STATS_LISTENER,
                        domains: ["*"],
                        routes: [
                            {
                                match: {
                                    path: ENVOY_STATS_PATH,
                                    headers: [{ name: ":method", string_match: { exact: "GET" } }],
                                },
                                route: { cluster: ENVOY_ADMIN_CLUSTER, timeout: "10s" },
                            },
                            { match: { prefix: "/" }, direct_response: { status: 404 } },
                        ],
                    },
                ],
            },
            http_filters: [ROUTER_FILTER],
        }),
        cluster: {
            name: ENVOY_ADMIN_CLUSTER,
            type: "STATIC",
            connect_timeout: "1s",
            load_assignment: {
                cluster_name: ENVOY_ADMIN_CLUSTER,
                endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: ENVOY_ADMIN_SOCKET } } } }] }],
            },
        },
    };
}
