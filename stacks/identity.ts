/**
 * Resolution of the zero-trust and identity settings: the level's ExtAuth / injector / Keycloak rows
 * merged with the overrides, and every override that would weaken the level rejected.
 */
import { Resources, ZeroTrustConfig, KeycloakConfig } from "./schema";
import { AntiAffinity, LevelProfile } from "./levels";

/** Adds a config issue at a path below `agentstack:`. */
export type AddIssue = (path: (string | number)[], message: string) => void;

/** A fixed-size workload after overrides. */
export interface FixedSpec {
    readonly replicas: number;
    /** PodDisruptionBudget minAvailable; undefined = no PDB. */
    readonly pdbMinAvailable?: number;
    readonly antiAffinity: AntiAffinity;
}

export interface ZeroTrustSpec {
    readonly extauth: FixedSpec & { readonly image: string };
    readonly injector: FixedSpec & {
        readonly image: string;
        readonly failurePolicy: "Ignore" | "Fail";
        readonly reinvocationPolicy: "Never" | "IfNeeded";
        readonly timeoutSeconds: number;
        readonly tls:
            | { readonly mode: "program"; readonly validityHours: number; readonly earlyRenewalHours: number }
            | { readonly mode: "cert-manager"; readonly issuer: { readonly name: string; readonly kind: "Issuer" | "ClusterIssuer" } };
    };
    readonly envoy: { readonly image: string; readonly failOpen: boolean; readonly timeoutMs: number };
}

export interface KeycloakSpec extends FixedSpec {
    readonly image: string;
    /** Public host name (browser login). */
    readonly hostname: string;
    /** `start` (production) rather than `start-dev`. */
    readonly production: boolean;
    /** Distributed caches over jdbc-ping (replicas >= 2). */
    readonly clustering: boolean;
    readonly resources: Resources;
    readonly admin: { readonly kind: "generated" } | { readonly kind: "secretRef"; readonly name: string; readonly usernameKey: string; readonly passwordKey: string };
}

/** Keycloak's own sizing guidance: ~1250 MB base memory, CPU for login throughput. */
export const KEYCLOAK_RESOURCES: Resources = { requests: { cpu: "500m", memory: "1250Mi" }, limits: { cpu: "2", memory: "2Gi" } };

/** The PDB a fixed workload keeps: the level's, only with >= 2 replicas, and always below the replica count. */
function fixedPdb(profile: LevelProfile, replicas: number, row?: number): number | undefined {
    if (!profile.pdbs || replicas < 2) return undefined;
    return Math.min(row ?? profile.pdbMinAvailable, replicas - 1);
}

/** A replica override checked against the level's minimum. */
function replicasOf(base: number, override: number | undefined, path: (string | number)[], lvl: string, add: AddIssue): number {
    if (override !== undefined && override < base) {
        add(path, `${override} is below the ${lvl} minimum of ${base}: remove the override or set it to at least ${base}`);
    }
    return override ?? base;
}

export function resolveZeroTrust(cfg: ZeroTrustConfig, profile: LevelProfile, add: AddIssue): ZeroTrustSpec {
    const lvl = `level ${profile.level}`;
    const extReplicas = replicasOf(profile.extauth.replicas, cfg.extauthReplicas, ["zeroTrust", "extauthReplicas"], lvl, add);
    const injReplicas = replicasOf(profile.envoyInjector.replicas, cfg.injectorReplicas, ["zeroTrust", "injectorReplicas"], lvl, add);
    const failurePolicy = cfg.failurePolicy ?? profile.envoyInjector.failurePolicy;
    if (failurePolicy === "Ignore" && profile.envoyInjector.failurePolicy === "Fail") {
        add(["zeroTrust", "failurePolicy"], `Ignore is not allowed at ${lvl}: pods could start without their Envoy sidecar whenever the webhook is down, which breaks the zero-trust guarantee. Remove the override`);
    }
    if (failurePolicy === "Fail" && injReplicas < 2) {
        add(["zeroTrust", "failurePolicy"], `Fail with ${injReplicas} injector replica would block every pod creation in the injected namespaces whenever that one pod is down (node drain, rollout, crash) — a cluster-wide outage of the platform. Set agentstack:zeroTrust.injectorReplicas to 2 or more, or keep failurePolicy Ignore (level 1 only)`);
    }
    let tls: ZeroTrustSpec["injector"]["tls"] = { mode: "program", validityHours: cfg.webhookTls.validityHours, earlyRenewalHours: cfg.webhookTls.earlyRenewalHours };
    const issuer = cfg.webhookTls.certManagerIssuer;
    if (issuer) {
        if (issuer.name.trim() === "") add(["zeroTrust", "webhookTls", "certManagerIssuer", "name"], "is empty: name the cert-manager Issuer or ClusterIssuer, or remove certManagerIssuer to let the program make the webhook's certificate");
        else tls = { mode: "cert-manager", issuer };
    }
    if (cfg.webhookTls.earlyRenewalHours >= cfg.webhookTls.validityHours) {
        add(["zeroTrust", "webhookTls", "earlyRenewalHours"], `must be below validityHours (${cfg.webhookTls.validityHours}), or every pulumi up would replace the certificate`);
    }
    return {
        extauth: { replicas: extReplicas, ...optionalPdb(fixedPdb(profile, extReplicas, profile.extauth.pdbMinAvailable)), antiAffinity: extReplicas >= 2 ? profile.extauth.antiAffinity : "none", image: cfg.images.extauth },
        injector: {
            replicas: injReplicas,
            ...optionalPdb(fixedPdb(profile, injReplicas, profile.envoyInjector.pdbMinAvailable)),
            antiAffinity: injReplicas >= 2 ? profile.envoyInjector.antiAffinity : "none",
            image: cfg.images.envoyInjector,
            failurePolicy,
            reinvocationPolicy: cfg.reinvocationPolicy,
            timeoutSeconds: cfg.webhookTimeoutSeconds,
            tls,
        },
        envoy: { image: cfg.images.envoy, failOpen: profile.extAuthzFailOpen, timeoutMs: cfg.extAuthzTimeoutMs },
    };
}

export function resolveKeycloak(cfg: KeycloakConfig, profile: LevelProfile, gatewayHostname: string, add: AddIssue): KeycloakSpec {
    const replicas = replicasOf(profile.keycloak.replicas, cfg.replicas, ["keycloak", "replicas"], `level ${profile.level}`, add);
    return {
        image: cfg.image,
        replicas,
        ...optionalPdb(fixedPdb(profile, replicas, profile.keycloak.pdbMinAvailable)),
        antiAffinity: replicas >= 2 ? profile.keycloak.antiAffinity : "none",
        hostname: cfg.hostname ?? `auth.${gatewayHostname}`,
        production: profile.level >= 2,
        clustering: replicas >= 2,
        resources: cfg.resources ?? KEYCLOAK_RESOURCES,
        admin: cfg.adminSecretRef ? { kind: "secretRef", ...cfg.adminSecretRef } : { kind: "generated" },
    };
}

function optionalPdb(pdbMinAvailable: number | undefined): { pdbMinAvailable?: number } {
    return pdbMinAvailable === undefined ? {} : { pdbMinAvailable };
}
