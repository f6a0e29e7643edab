/**
 * `gateway`: the HTTP entry (API gateway + chat UI) and its exposure (see `Exposure`): always TLS with
 * an HTTPS redirect, a timeout of at least 120 s for LLM calls, CORS restricted to the configured
 * origins (also enforced by the gateway itself), and rate limits.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LevelProfile } from "../stacks/levels";
import { GatewaySpec, Namespaces } from "../stacks/resolve";
import { configMapEnv, secretEnv } from "./env";
import { Exposure } from "./exposure";
import { INSTANCES, agentInstance, serviceHost } from "./names";
import { HardenedWorkload, SIDECAR_LABEL, checksum, recommendedLabels } from "./workload";

export interface GatewayArgs {
    /** Resources the workload waits for (the platform passes the injection webhook). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** The resolved gateway spec. */
    readonly spec: GatewaySpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespaces of the platform (the gateway lives in `gateway`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** The agents it routes to: name and port. */
    readonly agents: ReadonlyArray<{ readonly name: string; readonly port: number }>;
    /** LOG_LEVEL. Default "info". */
    readonly logLevel?: string;
    /** The gateway's OIDC client at Keycloak (user login). */
    readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: pulumi.Output<string> };
}

/** The gateway's non-secret settings (its ConfigMap). */
export function gatewaySettings(args: Pick<GatewayArgs, "spec" | "namespaces" | "agents" | "logLevel" | "oidc">): Record<string, string> {
    const s = args.spec;
    const agents = Object.fromEntries(args.agents.map((a) => [a.name, `http://${serviceHost(agentInstance(a.name), args.namespaces.agents)}:${a.port}`]));
    return {
        PORT: String(s.port),
        PUBLIC_URL: `https://${s.hostname}`,
        AGENT_URLS: JSON.stringify(agents),
        CORS_ALLOWED_ORIGINS: s.corsOrigins.join(","),
        RATE_LIMIT_RPS: String(s.rateLimit.requestsPerSecond),
        RATE_LIMIT_BURST: String(s.rateLimit.burst),
        UPSTREAM_TIMEOUT_SECONDS: String(s.llmRouteTimeoutSeconds),
        SECURITY_HEADERS: "strict",
        LOG_LEVEL: args.logLevel ?? "info",
        OIDC_ISSUER: args.oidc.issuer,
        OIDC_CLIENT_ID: args.oidc.clientId,
    };
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
        const s = args.spec;
        const ns = args.namespace;
        const instance = INSTANCES.gateway;
        const labels = recommendedLabels("gateway", instance);
        const settings = gatewaySettings(args);
        const cm = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: `${instance}-config`, namespace: ns, labels },
            data: settings,
        }, { parent: this });
        const oidc = new k8s.core.v1.Secret(`${name}-oidc`, {
            metadata: { name: `${instance}-oidc`, namespace: ns, labels },
            type: "Opaque",
            stringData: { "client-secret": pulumi.secret(args.oidc.clientSecret) },
        }, { parent: this });
        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "gateway",
            instance,
            namespace: ns,
            profile: args.profile,
            replicas: { min: s.scale.min, max: s.scale.max },
            hpaMemory: true,
            podLabels: { ...SIDECAR_LABEL },
            ...(args.dependsOn ? { childOptions: { dependsOn: args.dependsOn } } : {}),
            configChecksum: checksum(settings),
            containers: [{
                name: "gateway",
                image: s.image,
                ports: [{ name: "http", containerPort: s.port }],
                env: [...configMapEnv(cm.metadata.name, settings), secretEnv("OIDC_CLIENT_SECRET", oidc.metadata.name, "client-secret")],
                resources: s.resources,
                probes: { liveness: "/healthz", readiness: "/healthz" },
            }],
        }, { parent: this });

        const exposure = new Exposure(`${name}-exposure`, {
            hostname: s.hostname,
            namespace: ns,
            service: { name: instance, port: s.port },
            settings: s,
            labels,
        }, { parent: this });
        this.tlsSecretName = exposure.tlsSecretName;
        this.serviceName = workload.serviceName;
        this.url = exposure.url;
        this.registerOutputs({ url: this.url, serviceName: this.serviceName });
    }
}
