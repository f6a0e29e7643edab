/**
 * The security-level table of REQUIREMENTS.md, as data.
 *
 * Every component, every policy and every test reads its numbers from here, so a change to one row
 * moves the whole platform. Nothing in this file does anything: it only describes.
 */

/** The one knob: 1 = initial (dev), 2 = recommended, 3 = production. */
export type SecurityLevel = 1 | 2 | 3;
/** Pod anti-affinity strength: none, preferred (soft) or required (hard). */
export type AntiAffinity = "none" | "preferred" | "required";

/** How a workload stays available: decided once, in stacks/, for every workload; components only read it. */
export interface Availability {
    /** Pod anti-affinity. */
    readonly antiAffinity: AntiAffinity;
    /** PodDisruptionBudget minAvailable; undefined = no PDB. */
    readonly pdbMinAvailable?: number;
}

/** Replica bounds of a horizontally autoscaled workload. */
interface ScaleProfile {
    /** HPA minReplicas. */
    readonly min: number;
    /** HPA maxReplicas. */
    readonly max: number;
}

/** Replicas and disruption budget of a fixed-size workload. */
export interface FixedProfile {
    /** spec.replicas. */
    readonly replicas: number;
    /** PodDisruptionBudget minAvailable; undefined = no PDB. */
    readonly pdbMinAvailable?: number;
    /** Pod anti-affinity for this workload. */
    readonly antiAffinity: AntiAffinity;
}

/** Everything a security level decides. */
export interface LevelProfile {
    readonly level: SecurityLevel;
    /** Human name of the level. */
    readonly name: "initial" | "recommended" | "production";
    /** The zero-trust guarantee of the level (documentation and outputs). */
    readonly zeroTrust: "best-effort" | "guaranteed" | "guaranteed + high availability";
    /** ExtAuth replicas and PDB. */
    readonly extauth: FixedProfile;
    /** Envoy injector replicas, PDB, anti-affinity and the webhook's failurePolicy. */
    readonly envoyInjector: FixedProfile & { readonly failurePolicy: "Ignore" | "Fail" };
    /** Gateway HPA bounds. */
    readonly gateway: ScaleProfile;
    /** Agent HPA bounds (the table fixes the minimum; the maximum is this project's default). */
    readonly agent: ScaleProfile;
    /** MCP server HPA bounds (as for agents). */
    readonly mcpServer: ScaleProfile;
    /** Keycloak replicas; clustering is on exactly when replicas >= 2. */
    readonly keycloak: FixedProfile;
    /** Qdrant replicas and cluster mode. */
    readonly qdrant: FixedProfile & { readonly clusterMode: boolean };
    /** MongoDB replicas and anti-affinity (soft / soft / hard). */
    readonly mongodb: FixedProfile;
    /** PostgreSQL replicas. */
    readonly postgresql: FixedProfile;
    /** The sandbox's fixed replica count (it is never autoscaled: untrusted code, tight limits). */
    readonly sandbox: FixedProfile;
    /** Anti-affinity of every multi-replica workload not listed with its own value. */
    readonly antiAffinity: AntiAffinity;
    /** A PodDisruptionBudget for every multi-replica workload. */
    readonly pdbs: boolean;
    /** PDB minAvailable used for autoscaled workloads (always below the HPA minimum). */
    readonly pdbMinAvailable: number;
    /** NetworkPolicy mode: only the sandbox's own isolation, or default-deny plus the flow table. */
    readonly networkPolicies: "sandbox-only" | "default-deny";
    /** Agent SECURITY_MODE. */
    readonly agentSecurityMode: "observe" | "enforce";
    /** MCP JWT algorithm the level requires (HS256 is allowed only where this says so). */
    readonly mcpJwt: { readonly alg: "HS256" | "RS256"; readonly hs256Allowed: boolean };
    /** TLS on the exposure: whether a self-signed certificate is acceptable. */
    readonly tls: { readonly selfSignedAllowed: boolean };
    /** Image reference rules. */
    readonly images: { readonly forbidLatest: true; readonly digestAdvised: boolean };
    /** Pulumi `protect` on every data-store resource. */
    readonly protectData: boolean;
    /** Pod Security Admission labels on every namespace. */
    readonly podSecurity: {
        readonly enforce: "baseline" | "restricted";
        readonly warn: "restricted";
        readonly audit: "restricted";
    };
    /** ResourceQuota and LimitRange in every namespace. */
    readonly quotas: boolean;
    /** Envoy ext_authz failure_mode_allow (true = fail open). */
    readonly extAuthzFailOpen: boolean;
    /**
     * Observability (docs/observability.md): whether the platform plugs into the cluster's Prometheus
     * Operator by default, the retention it asks of the metrics and log stores (it runs neither), and
     * the severity of the alerts that mean "new pods cannot start" (the injector with failurePolicy Fail).
     */
    readonly monitoring: {
        readonly enabled: boolean;
        readonly metricsRetentionDays: number;
        readonly logRetentionDays: number;
        readonly admissionAlertSeverity: "warning" | "critical";
    };
}

const LEVEL_1: LevelProfile = {
    level: 1,
    name: "initial",
    zeroTrust: "best-effort",
    extauth: { replicas: 1, antiAffinity: "none" },
    envoyInjector: { replicas: 1, antiAffinity: "none", failurePolicy: "Ignore" },
    gateway: { min: 1, max: 5 },
    agent: { min: 1, max: 3 },
    mcpServer: { min: 1, max: 3 },
    keycloak: { replicas: 1, antiAffinity: "none" },
    qdrant: { replicas: 1, antiAffinity: "none", clusterMode: false },
    mongodb: { replicas: 1, antiAffinity: "preferred" },
    postgresql: { replicas: 1, antiAffinity: "none" },
    sandbox: { replicas: 1, antiAffinity: "none" },
    antiAffinity: "none",
    pdbs: false,
    pdbMinAvailable: 1,
    networkPolicies: "sandbox-only",
    agentSecurityMode: "observe",
    mcpJwt: { alg: "HS256", hs256Allowed: true },
    tls: { selfSignedAllowed: true },
    images: { forbidLatest: true, digestAdvised: false },
    protectData: false,
    podSecurity: { enforce: "baseline", warn: "restricted", audit: "restricted" },
    quotas: false,
    extAuthzFailOpen: true,
    monitoring: { enabled: false, metricsRetentionDays: 7, logRetentionDays: 7, admissionAlertSeverity: "warning" },
};

const LEVEL_2: LevelProfile = {
    level: 2,
    name: "recommended",
    zeroTrust: "guaranteed",
    extauth: { replicas: 2, pdbMinAvailable: 1, antiAffinity: "preferred" },
    envoyInjector: { replicas: 2, pdbMinAvailable: 1, antiAffinity: "preferred", failurePolicy: "Fail" },
    gateway: { min: 2, max: 5 },
    agent: { min: 2, max: 5 },
    mcpServer: { min: 2, max: 5 },
    keycloak: { replicas: 2, pdbMinAvailable: 1, antiAffinity: "preferred" },
    qdrant: { replicas: 1, antiAffinity: "preferred", clusterMode: false },
    mongodb: { replicas: 1, antiAffinity: "preferred" },
    postgresql: { replicas: 1, antiAffinity: "preferred" },
    sandbox: { replicas: 2, pdbMinAvailable: 1, antiAffinity: "preferred" },
    antiAffinity: "preferred",
    pdbs: true,
    pdbMinAvailable: 1,
    networkPolicies: "default-deny",
    agentSecurityMode: "enforce",
    mcpJwt: { alg: "RS256", hs256Allowed: false },
    tls: { selfSignedAllowed: false },
    images: { forbidLatest: true, digestAdvised: false },
    protectData: false,
    podSecurity: { enforce: "restricted", warn: "restricted", audit: "restricted" },
    quotas: true,
    extAuthzFailOpen: false,
    monitoring: { enabled: true, metricsRetentionDays: 30, logRetentionDays: 90, admissionAlertSeverity: "critical" },
};

/** Production: level 2 plus high availability, digests advised, data protected, longer retention. */
const LEVEL_3: LevelProfile = {
    ...LEVEL_2,
    level: 3,
    name: "production",
    zeroTrust: "guaranteed + high availability",
    extauth: { replicas: 3, pdbMinAvailable: 1, antiAffinity: "preferred" },
    envoyInjector: { replicas: 2, pdbMinAvailable: 1, antiAffinity: "required", failurePolicy: "Fail" },
    gateway: { min: 2, max: 10 },
    agent: { min: 2, max: 10 },
    mcpServer: { min: 2, max: 10 },
    keycloak: { replicas: 3, pdbMinAvailable: 1, antiAffinity: "preferred" },
    qdrant: { replicas: 3, pdbMinAvailable: 2, antiAffinity: "preferred", clusterMode: true },
    mongodb: { replicas: 3, pdbMinAvailable: 2, antiAffinity: "required" },
    images: { forbidLatest: true, digestAdvised: true },
    protectData: true,
    monitoring: { enabled: true, metricsRetentionDays: 90, logRetentionDays: 365, admissionAlertSeverity: "critical" },
};

/** The security-level table, keyed by level. */
export const LEVEL_TABLE: Readonly<Record<SecurityLevel, LevelProfile>> = { 1: LEVEL_1, 2: LEVEL_2, 3: LEVEL_3 };

/** The profile of one level. */
export function levelProfile(level: SecurityLevel): LevelProfile {
    return LEVEL_TABLE[level];
}
