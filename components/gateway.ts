/**
 * `gateway`: the HTTP entry — the official Envoy image configured entirely by the program
 * (components/gatewayEnvoy.ts: JWT authentication against Keycloak, a route per agent, CORS, a rate
 * limit, a body limit, security headers, an access log without credentials) — plus the optional chat
 * UI (the user's image) it serves at `/`, and its exposure (see `Exposure`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_STATS_PORT } from "../stacks/flows";
import { DEFAULT_RESOURCES, GatewaySpec, Namespaces } from "../stacks/resolve";
import { configMapEnv, secretEnv } from "./env";
import { Exposure } from "./exposure";
import {
    AGENT_PATH_PREFIX,
    CHAT_UI_INSTANCE,
    GATEWAY_HEALTH_PATH,
    gatewayEnvoyArgs,
    gatewayEnvoyConfig,
} from "./gatewayEnvoy";
import { INSTANCES } from "./names";
import { HardenedWorkload, HardenedWorkloadArgs, checksum, injectedScaling } from "./workload";
import { recommendedLabels } from "../lib/labels";

/** Where the Envoy config is mounted in the gateway container. */
export const GATEWAY_CONFIG_DIR = "/etc/agentstack-gateway";
/** Key (file name) of the Envoy config in its ConfigMap. */
export const GATEWAY_CONFIG_KEY = "envoy.yaml";

export interface GatewayArgs {
    /** Resources the workloads wait for (the platform passes the injection webhook). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** The resolved gateway spec. */
    readonly spec: GatewaySpec;
    /** Namespaces of the platform (the gateway lives in `gateway`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** The agents it routes to: name and port. */
    readonly agents: ReadonlyArray<{ readonly name: string; readonly port: number }>;
    /** Envoy's --log-level (debug, info, warning, error). Default "info". */
    readonly logLevel?: string;
    /**
     * The gateway's OIDC client at Keycloak: `issuer` (the realm's public URL) and `clientId` (the
     * audience every token must carry) configure Envoy's JWT check; the chat UI gets all three.
     */
    readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: pulumi.Output<string> };
    /** Envoy's metrics listener on GATEWAY_STATS_PORT (agentstack:monitoring; never a Service port). Default off. */
    readonly metrics?: boolean;
}

/** The env the chat UI receives (non-secret; `OIDC_CLIENT_SECRET` comes from a Secret). */
function chatUiSettings(args: Pick<GatewayArgs, "spec" | "agents" | "oidc">): Record<string, string> {
    return {
        PORT: String(args.spec.chatUi?.port ?? 8080),
        PUBLIC_URL: `https://${args.spec.hostname}`,
        OIDC_ISSUER: args.oidc.issuer,
        OIDC_CLIENT_ID: args.oidc.clientId,
        AGENTS: args.agents.map((a) => a.name).join(","),
        AGENTS_PATH_PREFIX: AGENT_PATH_PREFIX,
    };
}

/** The gateway's Envoy workload (creates nothing): the config ConfigMap mounted, HPA with memory, the sidecar label. */
export function gatewayWorkloadArgs(
    args: GatewayArgs,
    envoyConfig: unknown,
    configMapName: pulumi.Input<string>,
): HardenedWorkloadArgs {
    const s = args.spec;
    return {
        component: "gateway",
        instance: INSTANCES.gateway,
        namespace: args.namespace,
        ...injectedScaling(s, args.dependsOn),
        hpaMemory: true,
        configChecksum: checksum(envoyConfig),
        // The Service carries the gateway port only; the metrics port is scraped per pod.
        servicePorts: [{ name: "http", port: s.port }],
        volumes: [{ name: "envoy-config", configMap: { name: configMapName } }],
        containers: [
            {
                name: "gateway",
                image: s.image,
                args: gatewayEnvoyArgs(`${GATEWAY_CONFIG_DIR}/${GATEWAY_CONFIG_KEY}`, args.logLevel ?? "info"),
                ports: [
                    { name: "http", containerPort: s.port },
                    ...(args.metrics ? [{ name: "metrics", containerPort: GATEWAY_STATS_PORT }] : []),
                ],
                resources: s.resources,
                probes: { liveness: GATEWAY_HEALTH_PATH, readiness: GATEWAY_HEALTH_PATH },
                volumeMounts: [{ name: "envoy-config", mountPath: GATEWAY_CONFIG_DIR, readOnly: true }],
            },
        ],
    };
}

/** The chat UI's workload (creates nothing): settings and the OIDC client secret by reference. */
export function chatUiWorkloadArgs(
    args: GatewayArgs,
    ui: NonNullable<GatewaySpec["chatUi"]>,
    settings: Record<string, string>,
    refs: { readonly configMap: pulumi.Input<string>; readonly oidcSecret: pulumi.Input<string> },
): HardenedWorkloadArgs {
    const s = args.spec;
    return {
        component: "gateway",
        instance: CHAT_UI_INSTANCE,
        namespace: args.namespace,
        ...injectedScaling(s, args.dependsOn),
        configChecksum: checksum(settings),
        containers: [
            {
                name: "chat-ui",
                image: ui.image,
                ports: [{ name: "http", containerPort: ui.port }],
                env: [
                    ...configMapEnv(refs.configMap, settings),
                    secretEnv("OIDC_CLIENT_SECRET", refs.oidcSecret, "client-secret"),
                ],
                resources: ui.resources ?? DEFAULT_RESOURCES.gateway,
                probes: { liveness: ui.healthPath, readiness: ui.healthPath },
            },
        ],
    };
}

/** Creates the chat UI below `parent`: its settings ConfigMap, its OIDC client Secret and its workload. */
function createChatUi(
    name: string,
    args: GatewayArgs,
    ui: NonNullable<GatewaySpec["chatUi"]>,
    parent: pulumi.Resource,
): void {
    const uiLabels = recommendedLabels("gateway", CHAT_UI_INSTANCE);
    const settings = chatUiSettings(args);
    const uiConfig = new k8s.core.v1.ConfigMap(
        `${name}-chat-ui-config`,
        {
            metadata: { name: `${CHAT_UI_INSTANCE}-config`, namespace: args.namespace, labels: uiLabels },
            data: settings,
        },
        { parent },
    );
    const oidc = new k8s.core.v1.Secret(
        `${name}-chat-ui-oidc`,
        {
            metadata: { name: `${CHAT_UI_INSTANCE}-oidc`, namespace: args.namespace, labels: uiLabels },
            type: "Opaque",
            stringData: { "client-secret": pulumi.secret(args.oidc.clientSecret) },
        },
        { parent },
    );
    new HardenedWorkload(
        `${name}-chat-ui`,
        chatUiWorkloadArgs(args, ui, settings, { configMap: uiConfig.metadata.name, oidcSecret: oidc.metadata.name }),
        { parent },
    );
}

/** Creates the gateway's children below `parent`: the Envoy config, the workload, the chat UI (if any) and the exposure. */
function createGateway(
    name: string,
    args: GatewayArgs,
    parent: pulumi.Resource,
): { url: pulumi.Output<string>; serviceName: pulumi.Output<string>; tlsSecretName: string } {
    const s = args.spec;
    const instance = INSTANCES.gateway;
    const labels = recommendedLabels("gateway", instance);
    const envoyConfig = gatewayEnvoyConfig({
        spec: s,
        namespaces: args.namespaces,
        agents: args.agents,
        issuer: args.oidc.issuer,
        audience: args.oidc.clientId,
        stats: args.metrics ?? false,
    });
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-envoy`,
        {
            metadata: { name: `${instance}-envoy`, namespace: args.namespace, labels },
            data: { [GATEWAY_CONFIG_KEY]: JSON.stringify(envoyConfig, null, 2) },
        },
        { parent },
    );
    const workload = new HardenedWorkload(
        `${name}-workload`,
        gatewayWorkloadArgs(args, envoyConfig, cm.metadata.name),
        { parent },
    );
    if (s.chatUi) createChatUi(name, args, s.chatUi, parent);
    const exposure = new Exposure(
        `${name}-exposure`,
        {
            hostname: s.hostname,
            namespace: args.namespace,
            service: { name: instance, port: s.port },
            settings: s,
            labels,
        },
        { parent },
    );
    return { url: exposure.url, serviceName: workload.serviceName, tlsSecretName: exposure.tlsSecretName };
}

export class Gateway extends pulumi.ComponentResource {
    /** The public URL. */
    public readonly url: pulumi.Output<string>;
    /** Service name. */
    public readonly serviceName: pulumi.Output<string>;
    /** Name of the TLS Secret the exposure uses. */
    public readonly tlsSecretName: string;

    constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:gateway:Gateway", name, {}, opts);
        const out = createGateway(name, args, this);
        this.tlsSecretName = out.tlsSecretName;
        this.serviceName = out.serviceName;
        this.url = out.url;
        this.registerOutputs({ url: this.url, serviceName: this.serviceName });
    }
}
