/**
 * Issue 10 (point 4): every Envoy config the program emits is valid against Envoy's own v3 API protos
 * (from @grpc/grpc-js-xds, loaded with protobufjs), and the validator rejects each kind of mistake
 * with the exact JSON path.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { envoyConfigsIn } from "../tools/envoy/find";
import { envoyApi } from "../tools/envoy/protos";
import { validateEnvoyConfig } from "../tools/envoy/validate";
import { find, runStack, StackRun } from "./helpers";

const T = (name: string) => `type.googleapis.com/${name}`;
const HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const EXT_AUTHZ = "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz";

/** A small valid bootstrap: one HTTP listener (ext_authz + router) and two clusters. */
function minimal(): Record<string, any> {
    return {
        admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
        static_resources: {
            listeners: [
                {
                    name: "in",
                    address: { socket_address: { address: "0.0.0.0", port_value: 8080 } },
                    filter_chains: [
                        {
                            filters: [
                                {
                                    name: "envoy.filters.network.http_connection_manager",
                                    typed_config: {
                                        "@type": T(HCM),
                                        stat_prefix: "in",
                                        codec_type: "AUTO",
                                        route_config: {
                                            name: "local",
                                            virtual_hosts: [
                                                {
                                                    name: "all",
                                                    domains: ["*"],
                                                    routes: [
                                                        {
                                                            match: { prefix: "/" },
                                                            route: { cluster: "app", timeout: "120s" },
                                                        },
                                                    ],
                                                },
                                            ],
                                        },
                                        http_filters: [
                                            {
                                                name: "envoy.filters.http.ext_authz",
                                                typed_config: {
                                                    "@type": T(EXT_AUTHZ),
                                                    transport_api_version: "V3",
                                                    failure_mode_allow: false,
                                                    grpc_service: {
                                                        envoy_grpc: { cluster_name: "authz" },
                                                        timeout: "0.5s",
                                                    },
                                                },
                                            },
                                            {
                                                name: "envoy.filters.http.router",
                                                typed_config: {
                                                    "@type": T("envoy.extensions.filters.http.router.v3.Router"),
                                                },
                                            },
                                        ],
                                    },
                                },
                            ],
                        },
                    ],
                },
            ],
            clusters: [
                {
                    name: "app",
                    type: "STRICT_DNS",
                    connect_timeout: "1s",
                    lb_policy: "ROUND_ROBIN",
                    load_assignment: {
                        cluster_name: "app",
                        endpoints: [
                            {
                                lb_endpoints: [
                                    {
                                        endpoint: {
                                            address: { socket_address: { address: "app.svc", port_value: 80 } },
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                },
                {
                    name: "authz",
                    type: "STRICT_DNS",
                    connect_timeout: "1s",
                    typed_extension_protocol_options: {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                            "@type": T("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
                            explicit_http_config: { http2_protocol_options: {} },
                        },
                    },
                    load_assignment: {
                        cluster_name: "authz",
                        endpoints: [
                            {
                                lb_endpoints: [
                                    {
                                        endpoint: {
                                            address: { socket_address: { address: "authz.svc", port_value: 9191 } },
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                },
            ],
        },
    };
}

const HCM_PATH = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config";
const EXT_AUTHZ_PATH = `${HCM_PATH}.http_filters[0].typed_config`;
const ROUTE_PATH = `${HCM_PATH}.route_config.virtual_hosts[0].routes[0]`;

/** The errors of the minimal bootstrap after `change`. */
function errorsAfter(change: (b: Record<string, any>) => void): string[] {
    const b = minimal();
    change(b);
    return validateEnvoyConfig(b);
}
const hcm = (b: Record<string, any>) => b["static_resources"].listeners[0].filter_chains[0].filters[0].typed_config;

describe("the Envoy API", () => {
    it("loads every v3 envoy proto whose imports the package ships, so the filters the platform uses resolve", () => {
        const api = envoyApi();
        expect(api.loaded.length).toBeGreaterThan(360);
        expect([...api.skipped.keys()]).toEqual([
            "envoy/config/trace/v3/opencensus.proto",
            "envoy/config/trace/v3/trace.proto",
            "envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto",
            "envoy/service/metrics/v3/metrics_service.proto",
            "envoy/service/trace/v3/trace_service.proto",
        ]);
        for (const name of [
            HCM,
            EXT_AUTHZ,
            "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
            "envoy.extensions.filters.http.cors.v3.CorsPolicy",
            "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
            "envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig",
            "envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
            "envoy.extensions.filters.http.health_check.v3.HealthCheck",
        ]) {
            expect(api.root.lookupType(name).fullName).toBe(`.${name}`);
        }
    });

    it("refuses a root that is not a loaded message", () => {
        expect(() => validateEnvoyConfig({}, "envoy.config.nope.v3.Nothing")).toThrow(
            "envoy.config.nope.v3.Nothing is not a message of the loaded Envoy API",
        );
    });
});

describe("the program's Envoy configs", () => {
    const runs: Record<string, StackRun> = {};
    beforeAll(async () => {
        for (const stack of ["dev", "staging", "prod"]) runs[stack] = await runStack(stack);
    });

    it.each(["dev", "staging", "prod"])("%s: the sidecar bootstrap is valid against the Envoy API", (stack) => {
        const cm = find(runs[stack]!.manifests, "ConfigMap", "envoy-sidecar-template");
        const bootstrap = JSON.parse(cm["data"]["envoy.yaml"]);
        // not vacuous: it is a bootstrap with the ext_authz filter in it
        expect(JSON.stringify(bootstrap)).toContain(T(EXT_AUTHZ));
        expect(validateEnvoyConfig(bootstrap)).toEqual([]);
    });

    it.each(["dev", "staging", "prod"])(
        "%s: every Envoy config found in the manifests (ConfigMap values, --config-yaml args) is valid",
        (stack) => {
            const found = envoyConfigsIn(runs[stack]!.manifests);
            expect(found.map((f) => f.where)).toContain(
                'ConfigMap agentstack-system/envoy-sidecar-template data["envoy.yaml"]',
            );
            for (const f of found) expect(validateEnvoyConfig(f.config), f.where).toEqual([]);
        },
    );
});

describe("validateEnvoyConfig", () => {
    it("accepts the minimal bootstrap, and lowerCamel JSON names as well as proto names", () => {
        expect(validateEnvoyConfig(minimal())).toEqual([]);
        expect(
            errorsAfter((b) => {
                const h = hcm(b);
                h.statPrefix = h.stat_prefix;
                delete h.stat_prefix;
                h.codecType = "HTTP2";
                delete h.codec_type;
            }),
        ).toEqual([]);
    });

    it("finds nothing to complain about in an empty bootstrap or null (unset) fields, and rejects a non-object", () => {
        expect(validateEnvoyConfig({})).toEqual([]);
        expect(validateEnvoyConfig({ admin: null, static_resources: { listeners: null, clusters: [] } })).toEqual([]);
        expect(errorsAfter((b) => (b["static_resources"].clusters[0] = null))).toEqual([
            "static_resources.clusters[0]: null is not allowed here (expected envoy.config.cluster.v3.Cluster)",
        ]);
        expect(validateEnvoyConfig([])).toEqual([
            "(root): expected an object (envoy.config.bootstrap.v3.Bootstrap), got []",
        ]);
    });

    it("a misspelled field at the top level", () => {
        expect(
            errorsAfter((b) => {
                b["static_resource"] = b["static_resources"];
                delete b["static_resources"];
            }),
        ).toEqual([
            "static_resource: unknown field of envoy.config.bootstrap.v3.Bootstrap (did you mean static_resources?)",
        ]);
    });

    it("a misspelled field inside a typed_config", () => {
        expect(
            errorsAfter((b) => {
                const ea = hcm(b).http_filters[0].typed_config;
                ea.failure_mode_alow = ea.failure_mode_allow;
                delete ea.failure_mode_allow;
            }),
        ).toEqual([
            `${EXT_AUTHZ_PATH}.failure_mode_alow: unknown field of ${EXT_AUTHZ} (did you mean failure_mode_allow?)`,
        ]);
    });

    it("a field given under both of its names", () => {
        expect(errorsAfter((b) => (hcm(b).statPrefix = "x"))).toEqual([
            `${HCM_PATH}.statPrefix: field stat_prefix of ${HCM} is set twice (also as stat_prefix)`,
        ]);
    });

    it("an @type that resolves to no message, and an Any without @type", () => {
        expect(
            errorsAfter(
                (b) =>
                    (hcm(b).http_filters[1].typed_config["@type"] = T(
                        "envoy.extensions.filters.http.router.v3.Ruoter",
                    )),
            ),
        ).toEqual([
            `${HCM_PATH}.http_filters[1].typed_config.@type: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Ruoter" does not resolve to a message of the Envoy API (expected type.googleapis.com/<full message name>)`,
        ]);
        expect(errorsAfter((b) => delete hcm(b).http_filters[1].typed_config["@type"])).toEqual([
            `${HCM_PATH}.http_filters[1].typed_config: google.protobuf.Any without a string "@type"`,
        ]);
    });

    it("checks Any values in maps (typed_extension_protocol_options, typed_per_filter_config)", () => {
        const key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
        expect(
            errorsAfter(
                (b) =>
                    (b["static_resources"].clusters[1].typed_extension_protocol_options[
                        key
                    ].explicit_http_config.http2_protocol_option = {}),
            ),
        ).toEqual([
            `static_resources.clusters[1].typed_extension_protocol_options["${key}"].explicit_http_config.http2_protocol_option: unknown field of envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig (did you mean http2_protocol_options?)`,
        ]);
        expect(
            errorsAfter((b) => {
                hcm(b).route_config.virtual_hosts[0].routes[0].typed_per_filter_config = {
                    "envoy.filters.http.ext_authz": {
                        "@type": T("envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"),
                        check_settings: { context_extension: { source: "x" } },
                    },
                };
            }),
        ).toEqual([
            `${ROUTE_PATH}.typed_per_filter_config["envoy.filters.http.ext_authz"].check_settings.context_extension: unknown field of envoy.extensions.filters.http.ext_authz.v3.CheckSettings (did you mean context_extensions?)`,
        ]);
    });

    it("a bad enum name, an enum given as a number or in lower case", () => {
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].lb_policy = "ROUND_ROBBIN"))).toEqual([
            'static_resources.clusters[0].lb_policy: "ROUND_ROBBIN" is not a value of enum envoy.config.cluster.v3.Cluster.LbPolicy (one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG)',
        ]);
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].lb_policy = 1))).toEqual([
            "static_resources.clusters[0].lb_policy: enum envoy.config.cluster.v3.Cluster.LbPolicy given as the number 1: write the value's name",
        ]);
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].type = "strict_dns"))).toEqual([
            'static_resources.clusters[0].type: "strict_dns" is not the name of a value of enum envoy.config.cluster.v3.Cluster.DiscoveryType: Envoy matches enum names case-insensitively, but write STRICT_DNS',
        ]);
    });

    it("a bad duration: a bare number, a string without unit, and PGV bounds", () => {
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].connect_timeout = 5))).toEqual([
            'static_resources.clusters[0].connect_timeout: 5 is not a Duration (a JSON string of seconds ending in "s", e.g. "1.5s")',
        ]);
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].connect_timeout = "5"))).toEqual([
            'static_resources.clusters[0].connect_timeout: "5" is not a Duration (a JSON string of seconds ending in "s", e.g. "1.5s")',
        ]);
        expect(errorsAfter((b) => (hcm(b).route_config.virtual_hosts[0].routes[0].route.timeout = "1m"))).toEqual([
            `${ROUTE_PATH}.route.timeout: "1m" is not a Duration (a JSON string of seconds ending in "s", e.g. "1.5s")`,
        ]);
        // Cluster.connect_timeout has (validate.rules).duration.gt = {} (i.e. > 0)
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].connect_timeout = "0s"))).toEqual([
            'static_resources.clusters[0].connect_timeout: "0s" must be > 0s; (validate.rules).duration.gt',
        ]);
    });

    it("missing required fields: string min_len, message.required, a required oneof, repeated min_items", () => {
        expect(errorsAfter((b) => delete hcm(b).stat_prefix)).toEqual([
            `${HCM_PATH}.stat_prefix: missing; (validate.rules).string.min_len = 1`,
        ]);
        expect(errorsAfter((b) => delete b["static_resources"].clusters[0].name)).toEqual([
            "static_resources.clusters[0].name: missing; (validate.rules).string.min_len = 1",
        ]);
        expect(errorsAfter((b) => (hcm(b).stat_prefix = ""))).toEqual([
            `${HCM_PATH}.stat_prefix: "" has length 0; (validate.rules).string.min_len = 1`,
        ]);
        expect(errorsAfter((b) => delete hcm(b).route_config.virtual_hosts[0].routes[0].match)).toEqual([
            `${ROUTE_PATH}.match: missing; (validate.rules).message.required`,
        ]);
        expect(errorsAfter((b) => delete hcm(b).route_config)).toEqual([
            `${HCM_PATH}: oneof route_specifier of ${HCM} is required: set one of rds, route_config, scoped_routes`,
        ]);
        expect(errorsAfter((b) => (hcm(b).route_config.virtual_hosts[0].domains = []))).toEqual([
            `${HCM_PATH}.route_config.virtual_hosts[0].domains: has 0 items; (validate.rules).repeated.min_items = 1`,
        ]);
    });

    it("two members of one oneof", () => {
        expect(errorsAfter((b) => (hcm(b).rds = { route_config_name: "r", config_source: { ads: {} } }))).toEqual([
            `${HCM_PATH}: oneof route_specifier of ${HCM} has more than one member set: rds, route_config`,
        ]);
    });

    it("wrong scalar types and PGV numeric bounds", () => {
        const addr = "static_resources.listeners[0].address.socket_address.port_value";
        expect(
            errorsAfter((b) => (b["static_resources"].listeners[0].address.socket_address.port_value = "http")),
        ).toEqual([`${addr}: "http" is not an integer (uint32)`]);
        expect(errorsAfter((b) => (b["static_resources"].listeners[0].address.socket_address.port_value = -1))).toEqual(
            [`${addr}: -1 is not in the range of uint32`],
        );
        expect(
            errorsAfter((b) => (b["static_resources"].listeners[0].address.socket_address.port_value = 70000)),
        ).toEqual([`${addr}: 70000 must be <= 65535; (validate.rules).uint32.lte`]);
        expect(errorsAfter((b) => (hcm(b).http_filters[0].typed_config.failure_mode_allow = "false"))).toEqual([
            `${EXT_AUTHZ_PATH}.failure_mode_allow: "false" is not a bool (true or false)`,
        ]);
        expect(errorsAfter((b) => (hcm(b).route_config.virtual_hosts[0].domains = "*"))).toEqual([
            `${HCM_PATH}.route_config.virtual_hosts[0].domains: expected an array (repeated string), got "*"`,
        ]);
        // wrappers are bare scalars: Cluster.per_connection_buffer_limit_bytes is a UInt32Value
        expect(
            errorsAfter((b) => (b["static_resources"].clusters[0].per_connection_buffer_limit_bytes = { value: 1024 })),
        ).toEqual([
            'static_resources.clusters[0].per_connection_buffer_limit_bytes: {"value":1024} is not an integer (uint32)',
        ]);
        expect(
            errorsAfter((b) => (b["static_resources"].clusters[0].per_connection_buffer_limit_bytes = 1024)),
        ).toEqual([]);
    });

    it("deprecated fields are errors", () => {
        expect(errorsAfter((b) => (b["static_resources"].clusters[0].use_tcp_for_dns_lookups = true))).toEqual([
            "static_resources.clusters[0].use_tcp_for_dns_lookups: field use_tcp_for_dns_lookups of envoy.config.cluster.v3.Cluster is deprecated",
        ]);
    });

    it("a header name that PGV's HTTP_HEADER_NAME rule (loose, as Envoy sets it here) refuses", () => {
        expect(
            errorsAfter(
                (b) => (hcm(b).route_config.virtual_hosts[0].request_headers_to_remove = ["x-ok", "x-bad\r\nheader"]),
            ),
        ).toEqual([
            `${HCM_PATH}.route_config.virtual_hosts[0].request_headers_to_remove[1]: "x-bad\\r\\nheader" is not a valid HTTP header name; (validate.rules).repeated.items.string.well_known_regex = HTTP_HEADER_NAME (strict: false)`,
        ]);
    });
});

describe("envoyConfigsIn", () => {
    it("finds bootstraps in ConfigMap values and --config-yaml args (of pod templates and of containers described as data)", () => {
        const b = JSON.stringify(minimal());
        const objs = [
            {
                kind: "ConfigMap",
                metadata: { name: "gw", namespace: "n" },
                data: { "envoy.yaml": b, "other.yaml": "a: 1" },
            },
            {
                kind: "ConfigMap",
                metadata: { name: "tpl", namespace: "n" },
                data: { "sidecar.yaml": JSON.stringify({ name: "envoy", args: ["--config-yaml", b] }) },
            },
            {
                kind: "Deployment",
                metadata: { name: "d", namespace: "n" },
                spec: {
                    template: {
                        spec: {
                            initContainers: [{ name: "proxy", args: [`--config-yaml=${b}`] }],
                            containers: [{ name: "app", args: ["--x"] }],
                        },
                    },
                },
            },
        ];
        const found = envoyConfigsIn(objs);
        expect(found.map((f) => f.where)).toEqual([
            'ConfigMap n/gw data["envoy.yaml"]',
            'ConfigMap n/tpl data["sidecar.yaml"] container envoy --config-yaml',
            "Deployment n/d container proxy --config-yaml",
        ]);
        for (const f of found) expect(f.config).toEqual(minimal());
    });
});
