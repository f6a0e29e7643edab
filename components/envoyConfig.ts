/**
 * The Envoy v3 config vocabulary every config of the program uses (the sidecar's bootstrap, its stats
 * listener, the gateway): type URLs, the router filter, and a listener whose one filter chain is an
 * HTTP connection manager. Key order is kept as Envoy's docs write it, so rendered configs are stable.
 */

/** `type.googleapis.com/<message>` of an Any. */
export const typeUrl = (message: string) => `type.googleapis.com/${message}`;

/** The terminal HTTP filter. */
export const ROUTER_FILTER = {
    name: "envoy.filters.http.router",
    typed_config: { "@type": typeUrl("envoy.extensions.filters.http.router.v3.Router") },
};

/** `@type` of the HTTP connection manager. */
const HCM_TYPE = typeUrl("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");

/** A listener on `address:port` whose single filter chain is an HTTP connection manager with the given settings. */
export function httpListener(
    name: string,
    address: string,
    port: number,
    hcm: Record<string, unknown>,
    listenerFields: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        name,
        address: { socket_address: { address, port_value: port } },
        ...listenerFields,
        filter_chains: [
            {
                filters: [
                    {
                        name: "envoy.filters.network.http_connection_manager",
                        typed_config: { "@type": HCM_TYPE, ...hcm },
                    },
                ],
            },
        ],
    };
}
