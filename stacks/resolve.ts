/**
 * Turns the raw `agentstack:*` config map into one resolved, validated platform spec: schema defaults
 * applied, the level's profile merged with the per-component overrides, and every override that would
 * break the level's guarantees or an invariant rejected. Pure: no Pulumi runtime needed.
 */
import { ConfigError, ConfigIssue, CONFIG_NAMESPACE, configKey } from "./errors";
import { ENVOY_RESERVED_PORTS, Flow, GATEWAY_STATS_PORT, flowIdCollisions, flowTable } from "./flows";
import { hostnameProblem } from "../lib/syntax";
import { DataStoresSpec, resolveDataStores } from "./dataStores";
import { levelAvailability, replicasOverride } from "./fixed";
import { KeycloakSpec, ZeroTrustSpec, resolveKeycloak, resolveZeroTrust } from "./identity";
import { Availability, LevelProfile, SecurityLevel, levelProfile } from "./levels";
import {
    ClusterConfig,
    McpServerConfig,
    Resources,
    SECRET_KEYS,
    SecretRef,
    StackConfig,
    stackConfigSchema,
} from "./schema";

/** Where a secret comes from: a Pulumi secret config key, or a key of an existing Kubernetes Secret. */
type SecretSource =
    { readonly kind: "config"; readonly key: string } | { readonly kind: "secretRef"; readonly ref: SecretRef };

/** HPA bounds of a workload, after overrides. */
interface Scale {
    readonly min: number;
    readonly max: number;
}

/** The namespaces of the trust zones. */
export interface Namespaces {
    /** Gateway (the HTTP entry). Injected. */
    readonly gateway: string;
    /** Agents. Injected. */
    readonly agents: string;
    /** MCP servers. Injected. */
    readonly mcp: string;
    /** The code sandbox: untrusted code, never injected, no egress. */
    readonly sandbox: string;
    /** ExtAuth and the Envoy injector. */
    readonly system: string;
    /** Keycloak and its PostgreSQL. */
    readonly identity: string;
    /** Qdrant and MongoDB. */
    readonly data: string;
}

/** MCP JWT authentication of one server. */
type McpAuthSpec = { readonly alg: "HS256" } | { readonly alg: "RS256" };

/** An agent; its availability (anti-affinity, PDB) follows from its HPA minimum and the level. */
export interface AgentSpec extends Availability {
    readonly name: string;
    readonly image: string;
    readonly mcpServers: readonly string[];
    readonly scale: Scale;
    readonly port: number;
    readonly resources: Resources;
    readonly logLevel: string;
    readonly securityMode: "observe" | "enforce";
    readonly toolInspection: boolean;
    readonly apiKey: SecretSource;
}

export interface McpServerSpec extends Availability {
    readonly name: string;
    readonly image: string;
    readonly port: number;
    readonly scale: Scale;
    readonly resources: Resources;
    readonly egress: McpServerConfig["egress"];
    readonly auth: McpAuthSpec;
}

export interface GatewaySpec
    extends Omit<StackConfig["gateway"], "minReplicas" | "maxReplicas" | "image" | "resources" | "tls">, Availability {
    readonly image: string;
    readonly scale: Scale;
    readonly resources: Resources;
    readonly tls:
        | { readonly mode: "self-signed" }
        | {
              readonly mode: "cert-manager";
              readonly issuer: { readonly name: string; readonly kind: "Issuer" | "ClusterIssuer" };
          }
        | { readonly mode: "secret"; readonly secretName: string };
}

export interface SandboxSpec extends Availability {
    readonly image: string;
    readonly runtimeClassName?: string;
    readonly port: number;
    readonly replicas: number;
    readonly resources: Resources;
    readonly tmpSizeLimit: string;
}

/** Observability (`agentstack:monitoring`, docs/observability.md), resolved against the level. */
interface MonitoringSpec {
    /** ServiceMonitors/PodMonitors, the PrometheusRule, the exporters and the scrape flows exist. */
    readonly enabled: boolean;
    /** The Prometheus pods that scrape: their namespace and pod labels. */
    readonly prometheus: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> };
    /** Labels on every monitor and rule object (the Prometheus's selectors). */
    readonly resourceLabels: Readonly<Record<string, string>>;
    /** Extra labels on every alert. */
    readonly alertLabels: Readonly<Record<string, string>>;
    readonly scrapeInterval: string;
    /** Retention the platform needs of the metrics and log stores, in days. */
    readonly retention: { readonly metricsDays: number; readonly logsDays: number };
}

/** The resolved platform: everything the components need, nothing left to default. */
export interface PlatformSpec {
    readonly level: SecurityLevel;
    readonly profile: LevelProfile;
    readonly namespaces: Namespaces;
    readonly logLevel: string;
    readonly llm: { readonly endpoint: string; readonly model: string; readonly egressCidrs: readonly string[] };
    readonly cluster: ClusterConfig;
    readonly agents: readonly AgentSpec[];
    readonly mcpServers: readonly McpServerSpec[];
    readonly gateway: GatewaySpec;
    readonly sandbox: SandboxSpec;
    readonly zeroTrust: ZeroTrustSpec;
    readonly keycloak: KeycloakSpec;
    readonly network: StackConfig["network"];
    readonly dataStores: DataStoresSpec;
    readonly monitoring: MonitoringSpec;
}

/** The namespace of every trust zone for a prefix (`agentstack` → `agentstack-gateway`, ...). */
export function namespacesFor(prefix: string): Namespaces {
    const zones: (keyof Namespaces)[] = ["gateway", "agents", "mcp", "sandbox", "system", "identity", "data"];
    return Object.fromEntries(zones.map((z) => [z, `${prefix}-${z}`])) as unknown as Namespaces;
}

/** Default requests/limits per workload (REQUIREMENTS: agents 100m/256Mi, 500m/512Mi). */
export const DEFAULT_RESOURCES: Readonly<Record<"agent" | "mcpServer" | "gateway" | "sandbox", Resources>> = {
    agent: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    mcpServer: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    gateway: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
    sandbox: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
};

/** The raw config as Pulumi hands it to a program: full keys to string values, plus the secret keys. */
export interface RawConfig {
    /** e.g. `{ "agentstack:securityLevel": "2", "agentstack:agents": "[...]" }` (other namespaces are ignored). */
    readonly values: Readonly<Record<string, string>>;
    /** Full keys that were set with `--secret`. */
    readonly secretKeys: readonly string[];
}

/** Parses a config value the way `pulumi.Config.getObject` does (JSON), falling back to the plain string. */
function parseValue(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

/**
 * Whether a top-level key's schema is a text value. The engine hands every top-level scalar to the
 * program as a string — `namespacePrefix: "123"` and `namespacePrefix: 123` both arrive as "123"
 * (pulumi/pulumi sdk/go/common/resource/config/value.go: a scalar is unmarshalled as a string first)
 * — and a program reads a text key with `config.get`, which returns that string as is. Only
 * non-text keys are parsed (`getNumber`/`getObject`: a number or JSON).
 */
function isTextKey(key: string): boolean {
    let s = (stackConfigSchema.shape as Record<string, unknown>)[key] as
        { def?: { type?: string; innerType?: unknown } } | undefined;
    while (s?.def && (s.def.type === "default" || s.def.type === "optional")) s = s.def.innerType as typeof s;
    return s?.def?.type === "string" || s?.def?.type === "enum";
}

/** A resolved platform: the spec and its flow table (stacks/flows.ts), each computed once. */
export interface ResolvedPlatform {
    readonly spec: PlatformSpec;
    /** `flowTable(spec)`: computed while checking the config, handed on to whoever needs it. */
    readonly flows: readonly Flow[];
}

/** Checks and resolves the configuration; throws a ConfigError listing every problem. */
export function resolvePlatformSpec(raw: RawConfig): PlatformSpec {
    return resolvePlatform(raw).spec;
}

/** Checks and resolves the configuration, and returns the spec with its flow table; throws a ConfigError listing every problem. */
export function resolvePlatform(raw: RawConfig): ResolvedPlatform {
    const issues: ConfigIssue[] = [];
    const obj: Record<string, unknown> = {};
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [fullKey, value] of Object.entries(raw.values)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        const isSecretKey = (SECRET_KEYS as readonly string[]).includes(key);
        obj[key] = isSecretKey || isTextKey(key) ? value : parseValue(value);
        if (isSecretKey && !raw.secretKeys.includes(fullKey)) {
            issues.push({
                key: fullKey,
                message: `is secret material but was set in plain text. Remove it (pulumi config rm ${fullKey}) and set it with: pulumi config set --secret ${fullKey} <value>`,
            });
        }
    }
    const parsed = stackConfigSchema.safeParse(obj);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            if (issue.code === "unrecognized_keys") {
                for (const k of issue.keys) {
                    issues.push({
                        key: configKey([...issue.path, k]),
                        message: `is not a known setting: remove it or fix its spelling (see the config reference in README.md)`,
                    });
                }
            } else {
                const where = issue.path.length === 0 ? `${CONFIG_NAMESPACE}:<root>` : configKey(issue.path);
                issues.push({ key: where, message: issue.message });
            }
        }
        throw new ConfigError(issues);
    }
    const spec = applyLevel(parsed.data, issues);
    if (issues.length > 0) throw new ConfigError(issues);
    // Two configured names that combine into the same derived name (a flow id names NetworkPolicies
    // and labels them) would make two objects one: refuse, naming the keys that produce it.
    const flows = flowTable(spec);
    for (const group of flowIdCollisions(flows)) {
        const keys = [...new Set(group.flatMap((f) => f.keys ?? []))];
        issues.push({
            key: keys[0] ?? configKey(["agents"]),
            message: `together with ${keys.slice(1).join(", ") || "another name"} gives two network flows the same name "${group[0]!.id}" (${group.map((f) => f.purpose).join("; ")}): rename one of them (a name containing "-to-" can combine with another into the same flow name)`,
        });
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return { spec, flows };
}

/** Merges the level profile with the overrides and checks every level rule and invariant. */
function applyLevel(cfg: StackConfig, issues: ConfigIssue[]): PlatformSpec {
    const profile = levelProfile(cfg.securityLevel);
    const lvl = `level ${profile.level}`;
    const add = (path: (string | number)[], message: string) => issues.push({ key: configKey(path), message });

    const scaleOf = (
        path: (string | number)[],
        base: { min: number; max: number },
        min?: number,
        max?: number,
    ): Scale => {
        const s = {
            min: replicasOverride(base.min, min, [...path, "minReplicas"], profile, add),
            max: max ?? Math.max(base.max, min ?? base.min),
        };
        if (s.max < s.min)
            add([...path, "maxReplicas"], `${s.max} is below minReplicas (${s.min}): set maxReplicas >= minReplicas`);
        return s;
    };
    /** An autoscaled workload's HPA bounds and the availability (anti-affinity, PDB) its minimum gets at this level. */
    const scaling = (path: (string | number)[], base: { min: number; max: number }, min?: number, max?: number) => {
        const scale = scaleOf(path, base, min, max);
        return { scale, ...levelAvailability(profile, scale.min) };
    };

    /** A user workload's image (agent, MCP server, sandbox): its own or the shared one; neither is an issue (and "" in the spec). */
    const userImage = (
        path: (string | number)[],
        what: string,
        own: string | undefined,
        shared: "agent" | "mcpServer" | "sandbox",
    ): string => {
        const image = own ?? cfg.images[shared];
        if (!image)
            add([...path, "image"], imageRequired(what, configKey([...path, "image"]), configKey(["images", shared])));
        return image ?? "";
    };

    /** What agents and MCP servers resolve alike: the image, the scaling from the level, the port, the resources. */
    const userWorkload = (
        path: (string | number)[],
        what: string,
        w: {
            readonly name: string;
            readonly image?: string;
            readonly port: number;
            readonly minReplicas?: number;
            readonly maxReplicas?: number;
            readonly resources?: Resources;
        },
        kind: "agent" | "mcpServer",
    ) => ({
        name: w.name,
        image: userImage(path, what, w.image, kind),
        port: w.port,
        ...scaling(path, profile[kind], w.minReplicas, w.maxReplicas),
        resources: w.resources ?? DEFAULT_RESOURCES[kind],
    });

    duplicates(cfg.agents.map((a) => a.name)).forEach((i) =>
        add(
            ["agents", i, "name"],
            `"${cfg.agents[i]!.name}" is used by more than one agent: agent names must be unique`,
        ),
    );
    duplicates(cfg.mcpServers.map((m) => m.name)).forEach((i) =>
        add(
            ["mcpServers", i, "name"],
            `"${cfg.mcpServers[i]!.name}" is used by more than one MCP server: MCP server names must be unique`,
        ),
    );
    const mcpNames = new Set(cfg.mcpServers.map((m) => m.name));

    // The LLM API key: fail closed without one.
    const platformKey: SecretSource | undefined =
        cfg.llmApiKey !== undefined
            ? { kind: "config", key: configKey(["llmApiKey"]) }
            : cfg.llm.apiKeySecretRef
              ? { kind: "secretRef", ref: cfg.llm.apiKeySecretRef }
              : undefined;
    if (cfg.llmApiKey !== undefined && cfg.llm.apiKeySecretRef) {
        add(
            ["llm", "apiKeySecretRef"],
            "and agentstack:llmApiKey are both set: keep exactly one source for the LLM API key",
        );
    }
    if (cfg.securityLevel >= 2 && new URL(cfg.llm.endpoint).protocol !== "https:") {
        add(
            ["llm", "endpoint"],
            `is http: at ${lvl} the LLM endpoint must be https (the API key and prompts cross the network): use an https:// URL`,
        );
    }
    if (cfg.securityLevel >= 2 && cfg.llm.egressCidrs.length === 0) {
        add(
            ["llm", "egressCidrs"],
            `is empty: at ${lvl} agents may reach only the LLM endpoint's addresses; list its CIDRs (e.g. ["203.0.113.0/24"])`,
        );
    }

    // Injected pods share their network namespace with the Envoy sidecar: its ports are taken.
    const reservedPort = (path: (string | number)[], p: number, what: string) => {
        if (ENVOY_RESERVED_PORTS.includes(p))
            add(
                path,
                `${p} is taken by the Envoy sidecar injected into ${what}'s pods (it binds ${ENVOY_RESERVED_PORTS.join(" and ")}): choose another port`,
            );
    };
    cfg.agents.forEach((a, i) => reservedPort(["agents", i, "port"], a.port, `agent "${a.name}"`));
    cfg.mcpServers.forEach((m, i) => reservedPort(["mcpServers", i, "port"], m.port, `MCP server "${m.name}"`));
    reservedPort(["gateway", "port"], cfg.gateway.port, "the gateway");
    if (cfg.gateway.port === GATEWAY_STATS_PORT) {
        add(
            ["gateway", "port"],
            `${GATEWAY_STATS_PORT} is the gateway Envoy's metrics listener (agentstack:monitoring): choose another port`,
        );
    }

    const agents: AgentSpec[] = cfg.agents.map((a, i) => {
        a.mcpServers.forEach((m, j) => {
            if (!mcpNames.has(m))
                add(
                    ["agents", i, "mcpServers", j],
                    `names the MCP server "${m}", which is not in agentstack:mcpServers: add it there or remove it here`,
                );
        });
        duplicates(a.mcpServers).forEach((j) =>
            add(["agents", i, "mcpServers", j], `lists "${a.mcpServers[j]}" twice`),
        );
        if (a.securityMode === "observe" && profile.agentSecurityMode === "enforce") {
            add(
                ["agents", i, "securityMode"],
                `"observe" is not allowed at ${lvl} (agents enforce from level 2): remove the override`,
            );
        }
        const basics = userWorkload(["agents", i], `agent "${a.name}"`, a, "agent");
        const apiKey: SecretSource | undefined = a.apiKeySecretRef
            ? { kind: "secretRef", ref: a.apiKeySecretRef }
            : platformKey;
        if (!apiKey) {
            add(
                ["agents", i, "apiKeySecretRef"],
                `agent "${a.name}" has no LLM API key: set agentstack:llm.apiKeySecretRef (an existing Secret) or run pulumi config set --secret agentstack:llmApiKey <key>`,
            );
        }
        return {
            ...basics,
            mcpServers: a.mcpServers,
            logLevel: a.logLevel ?? cfg.logLevel,
            securityMode: a.securityMode ?? profile.agentSecurityMode,
            toolInspection: a.toolInspection,
            apiKey: apiKey ?? { kind: "config", key: configKey(["llmApiKey"]) },
        };
    });

    const mcpServers: McpServerSpec[] = cfg.mcpServers.map((m, i) => {
        const alg = m.auth.alg ?? profile.mcpJwt.alg;
        if (alg === "HS256" && !profile.mcpJwt.hs256Allowed) {
            add(
                ["mcpServers", i, "auth", "alg"],
                `HS256 is not allowed at ${lvl}: MCP servers verify RS256 tokens against Keycloak's JWKS from level 2; remove the override`,
            );
        }
        const auth: McpAuthSpec = { alg };
        return {
            ...userWorkload(["mcpServers", i], `MCP server "${m.name}"`, m, "mcpServer"),
            egress: m.egress,
            auth,
        };
    });

    const g = cfg.gateway;
    const tlsMode = g.tls.mode ?? (profile.tls.selfSignedAllowed ? "self-signed" : undefined);
    let tls: GatewaySpec["tls"] = { mode: "self-signed" };
    if (tlsMode === undefined) {
        add(
            ["gateway", "tls", "mode"],
            `is required at ${lvl} (a CA-issued certificate): set it to cert-manager with gateway.tls.issuer, or to secret with gateway.tls.secretName`,
        );
    } else if (tlsMode === "self-signed" && !profile.tls.selfSignedAllowed) {
        add(
            ["gateway", "tls", "mode"],
            `self-signed is allowed only at level 1: use cert-manager (with gateway.tls.issuer) or secret (with gateway.tls.secretName)`,
        );
    } else if (tlsMode === "cert-manager") {
        if (!g.tls.issuer || g.tls.issuer.name.trim() === "") {
            add(
                ["gateway", "tls", "issuer"],
                "must name a cert-manager issuer when tls.mode is cert-manager, e.g. { name: letsencrypt-prod, kind: ClusterIssuer }",
            );
        } else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(g.tls.issuer.name)) {
            add(
                ["gateway", "tls", "issuer", "name"],
                "must be the Kubernetes name of a cert-manager Issuer or ClusterIssuer",
            );
        } else {
            tls = { mode: "cert-manager", issuer: g.tls.issuer };
        }
    } else if (tlsMode === "secret") {
        if (!g.tls.secretName)
            add(
                ["gateway", "tls", "secretName"],
                "must name an existing kubernetes.io/tls Secret when tls.mode is secret",
            );
        else tls = { mode: "secret", secretName: g.tls.secretName };
    }
    if (g.exposure === "httproute" && !g.gatewayRef) {
        add(
            ["gateway", "gatewayRef"],
            "is required when gateway.exposure is httproute: name the Gateway (name, namespace) the route attaches to",
        );
    }
    const { minReplicas, maxReplicas, image, resources, tls: _tls, ...gatewayRest } = g;
    void _tls;
    const gatewayScaled = scaling(["gateway"], profile.gateway, minReplicas, maxReplicas);
    const gateway: GatewaySpec = {
        ...gatewayRest,
        image: image ?? cfg.images.gateway,
        ...gatewayScaled,
        resources: resources ?? DEFAULT_RESOURCES.gateway,
        tls,
    };

    const sb = cfg.sandbox;
    const sandboxImage = userImage(["sandbox"], "the code sandbox", sb.image, "sandbox");
    const sandboxReplicas = replicasOverride(
        profile.sandbox.replicas,
        sb.replicas,
        ["sandbox", "replicas"],
        profile,
        add,
    );
    const sandbox: SandboxSpec = {
        image: sandboxImage,
        ...(sb.runtimeClassName ? { runtimeClassName: sb.runtimeClassName } : {}),
        port: sb.port,
        replicas: sandboxReplicas,
        ...levelAvailability(profile, sandboxReplicas),
        resources: sb.resources ?? DEFAULT_RESOURCES.sandbox,
        tmpSizeLimit: sb.tmpSizeLimit,
    };

    const zeroTrust = resolveZeroTrust(cfg.zeroTrust, profile, add);
    const keycloak = resolveKeycloak(cfg.keycloak, profile, gateway.hostname, add);
    if (keycloak.hostname === gateway.hostname) {
        add(
            ["keycloak", "hostname"],
            `is the gateway's host name "${gateway.hostname}": the login and the gateway are exposed separately and need different host names. Set it to another name (e.g. auth.${gateway.hostname}) or remove it for that default`,
        );
    } else if (cfg.keycloak.hostname === undefined) {
        const problem = hostnameProblem(keycloak.hostname);
        if (problem)
            add(
                ["gateway", "hostname"],
                `gives the default Keycloak host name "${keycloak.hostname}", which ${problem}. Shorten agentstack:gateway.hostname or set agentstack:keycloak.hostname`,
            );
    }
    const dataStores = resolveDataStores(
        { qdrant: cfg.qdrant, mongodb: cfg.mongodb, postgresql: cfg.postgresql },
        profile,
        cfg.cluster,
        add,
    );
    checkHardAntiAffinity(
        [
            {
                key: ["zeroTrust", "injectorReplicas"],
                name: "envoy-injector",
                replicas: zeroTrust.injector.replicas,
                antiAffinity: zeroTrust.injector.antiAffinity,
            },
            ...(["qdrant", "mongodb", "postgresql"] as const).flatMap((k) => {
                const d = dataStores[k];
                return d.mode === "in-cluster"
                    ? [{ key: [k, "replicas"], name: k, replicas: d.replicas, antiAffinity: d.antiAffinity }]
                    : [];
            }),
        ],
        profile.level,
        cfg.cluster,
        add,
    );

    return {
        level: cfg.securityLevel,
        profile,
        namespaces: namespacesFor(cfg.namespacePrefix),
        logLevel: cfg.logLevel,
        llm: { endpoint: cfg.llm.endpoint, model: cfg.llm.model, egressCidrs: cfg.llm.egressCidrs },
        cluster: cfg.cluster,
        agents,
        mcpServers,
        gateway,
        sandbox,
        zeroTrust,
        keycloak,
        network: cfg.network,
        dataStores,
        monitoring: resolveMonitoring(cfg.monitoring, profile),
    };
}

/** The monitoring settings with the level's defaults (on from level 2; retention per docs/observability.md). */
function resolveMonitoring(m: StackConfig["monitoring"], profile: LevelProfile): MonitoringSpec {
    return {
        enabled: m.enabled ?? profile.monitoring.enabled,
        prometheus: { namespace: m.prometheus.namespace, podLabels: { ...m.prometheus.podLabels } },
        resourceLabels: { ...m.resourceLabels },
        alertLabels: { ...m.alertLabels },
        scrapeInterval: m.scrapeInterval,
        retention: {
            metricsDays: m.retention.metricsDays ?? profile.monitoring.metricsRetentionDays,
            logsDays: m.retention.logsDays ?? profile.monitoring.logRetentionDays,
        },
    };
}

/** The message for a user workload without an image: there is no default, and the contract is documented. */
function imageRequired(what: string, key: string, sharedKey: string): string {
    return `is required: ${what} runs your own program and agentstack has no default image for it. Set ${key} (or ${sharedKey} for all of them) to a pinned image that meets the contract in docs/images.md, e.g. registry.example.com/acme/app:1.0.0`;
}

/** Hard (required) anti-affinity schedules one pod per node: it needs at least as many nodes as replicas. */
function checkHardAntiAffinity(
    workloads: ReadonlyArray<{ key: string[]; name: string; replicas: number; antiAffinity: string }>,
    level: number,
    cluster: ClusterConfig,
    add: (path: (string | number)[], message: string) => void,
): void {
    for (const w of workloads) {
        if (w.antiAffinity === "required" && cluster.schedulableNodes < w.replicas) {
            add(
                ["cluster", "schedulableNodes"],
                `is ${cluster.schedulableNodes}, but at level ${level} ${w.name} runs ${w.replicas} replicas with required anti-affinity (one per node; set by agentstack:${w.key.join(".")} and the level): pods would stay Pending. Set it to the real number of schedulable nodes (at least ${w.replicas})`,
            );
            return;
        }
    }
}

/** Indexes of the entries that repeat an earlier one. */
function duplicates(names: readonly string[]): number[] {
    const seen = new Set<string>();
    const out: number[] = [];
    names.forEach((n, i) => {
        if (seen.has(n)) out.push(i);
        seen.add(n);
    });
    return out;
}
