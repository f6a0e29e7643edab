/**
 * `extauth`: the external-authorization service every Envoy sidecar asks (ext_authz over gRPC). It runs
 * the Open Policy Agent Envoy plugin with a policy and data the program writes: each workload behind a
 * sidecar may reach exactly the `host:port` pairs the flow table gives it; everything else is denied.
 * Its console decision log masks every header, path, query and body value.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EXTAUTH_DIAGNOSTIC_PORT, EXTAUTH_GRPC_PORT } from "../stacks/flows";
import { ZeroTrustSpec } from "../stacks/identity";
import { INSTANCES } from "./names";
import { HardenedWorkload, HardenedWorkloadArgs, checksum, fixedWorkload } from "./workload";

/**
 * The authorization policy (Rego v1). It decides on the pod's identity (the `source` context extension
 * its sidecar sends) and the authority of the request — the CONNECT target `host:port`, or a plain
 * request's Host — and nothing else: a plain lookup into the data document, deny by default.
 */
export const EXTAUTH_POLICY = `package agentstack.authz

import rego.v1

default allow := false

allow if data.agentstack.allowed[input.attributes.contextExtensions.source][lower(input.attributes.request.http.host)]
`;

/**
 * Decision-log masking (OPA's default mask path, system.log.mask): the console decision log keeps the
 * decision (source, authority, method, result) but never a header (Authorization, Proxy-Authorization,
 * Cookie, ...), path, query or body value.
 */
const EXTAUTH_LOG_MASK = `package system.log

import rego.v1

${["/input/attributes/request/http/headers", "/input/attributes/request/http/headerMap", "/input/attributes/request/http/path", "/input/attributes/request/http/query", "/input/attributes/request/http/fragment", "/input/attributes/request/http/body", "/input/attributes/request/http/rawBody", "/input/parsed_path", "/input/parsed_query", "/input/parsed_body", "/input/truncated_body"].map((p) => `mask contains "${p}"`).join("\n")}
`;
import { recommendedLabels } from "../lib/labels";

/** The policy's data document: for each source, the set of authorities it may reach. */
function extauthData(allowed: Readonly<Record<string, readonly string[]>>): string {
    const sets = Object.fromEntries(
        Object.entries(allowed).map(([src, auths]) => [src, Object.fromEntries(auths.map((a) => [a, true]))]),
    );
    return `${JSON.stringify({ agentstack: { allowed: sets } }, null, 2)}\n`;
}

interface ExtAuthArgs {
    /** Zero-trust settings (replicas, PDB, anti-affinity, image). */
    readonly zeroTrust: ZeroTrustSpec;
    /** Namespace (the system zone's Namespace name output). */
    readonly namespace: pulumi.Input<string>;
    /** Authorities (`host:port`) each sidecar-carrying workload (by ExtAuth source) may reach: `extAuthzAllowed` of the flow table. */
    readonly allowed: Readonly<Record<string, readonly string[]>>;
}

/** ExtAuth's workload (creates nothing): OPA with the Envoy plugin, the policy ConfigMap mounted read-only, the API on loopback. */
export function extauthWorkloadArgs(
    args: ExtAuthArgs,
    data: Record<string, string>,
    configMapName: pulumi.Input<string>,
): HardenedWorkloadArgs {
    const e = args.zeroTrust.extauth;
    return {
        ...fixedWorkload("extauth", INSTANCES.extauth, args.namespace, e),
        configChecksum: checksum(data),
        servicePorts: [{ name: "grpc", port: EXTAUTH_GRPC_PORT }],
        volumes: [{ name: "policy", configMap: { name: configMapName } }],
        containers: [
            {
                name: "extauth",
                image: e.image,
                args: [
                    "run",
                    "--server",
                    "--addr=127.0.0.1:8181",
                    // /health (probes) and /metrics (Prometheus) only; the API stays on loopback.
                    `--diagnostic-addr=0.0.0.0:${EXTAUTH_DIAGNOSTIC_PORT}`,
                    `--set=plugins.envoy_ext_authz_grpc.addr=:${EXTAUTH_GRPC_PORT}`,
                    "--set=plugins.envoy_ext_authz_grpc.path=agentstack/authz/allow",
                    // The plugin's own metrics (opa-envoy-plugin README): the grpc_request_duration_seconds
                    // histogram of Check calls and error_counter{reason}, on the diagnostic /metrics.
                    "--set=plugins.envoy_ext_authz_grpc.enable-performance-metrics=true",
                    "--set=decision_logs.console=true",
                    "--ignore=.*",
                    "/policy",
                ],
                ports: [
                    { name: "grpc", containerPort: EXTAUTH_GRPC_PORT },
                    { name: "diag", containerPort: EXTAUTH_DIAGNOSTIC_PORT },
                ],
                resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                probes: {
                    livenessProbe: {
                        httpGet: { path: "/health", port: "diag" },
                        periodSeconds: 10,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                    readinessProbe: {
                        httpGet: { path: "/health?plugins", port: "diag" },
                        periodSeconds: 5,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                },
                volumeMounts: [{ name: "policy", mountPath: "/policy", readOnly: true }],
            },
        ],
    };
}

/** Creates ExtAuth's children below `parent`: the policy ConfigMap (the Rego and the allowed-flows data) and the workload. */
function createExtAuth(
    name: string,
    args: ExtAuthArgs,
    parent: pulumi.Resource,
): { serviceName: pulumi.Output<string> } {
    const instance = INSTANCES.extauth;
    const labels = recommendedLabels("extauth", instance);
    const data = {
        "policy.rego": EXTAUTH_POLICY,
        "mask.rego": EXTAUTH_LOG_MASK,
        "data.json": extauthData(args.allowed),
    };
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-policy`,
        {
            metadata: { name: `${instance}-policy`, namespace: args.namespace, labels },
            data,
        },
        { parent },
    );
    const workload = new HardenedWorkload(`${name}-workload`, extauthWorkloadArgs(args, data, cm.metadata.name), {
        parent,
    });
    return { serviceName: workload.serviceName };
}

export class ExtAuth extends pulumi.ComponentResource {
    /** Service name. */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: ExtAuthArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:zerotrust:ExtAuth", name, {}, opts);
        this.serviceName = createExtAuth(name, args, this).serviceName;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
