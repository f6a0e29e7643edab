/**
 * Resolution of the zero-trust and identity settings: the level's ExtAuth / injector / Keycloak rows
 * merged with the overrides, and every override that would weaken the level rejected.
 */
import { Resources, ZeroTrustConfig, KeycloakConfig } from "./schema";
import { AddIssue, pdbMinAvailableFor, replicasOverride, rowAntiAffinity } from "./fixed";
import { AntiAffinity, LevelProfile } from "./levels";

export type { AddIssue };

/** A fixed-size workload after overrides. */
interface FixedSpec {
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
        /** Who makes the webhook's certificate: the program (@pulumi/tls) or cert-manager (a chain of its own). */
        readonly tls: {
            readonly mode: "program" | "cert-manager";
            readonly validityHours: number;
            readonly earlyRenewalHours: number;
        };
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
    readonly admin:
        | { readonly kind: "generated" }
        | {
              readonly kind: "secretRef";
              readonly name: string;
              readonly usernameKey: string;
              readonly passwordKey: string;
          };
    /** The reverse proxy's addresses: X-Forwarded-* headers are read only from these; empty = never read. */
    readonly proxyTrustedAddresses: readonly string[];
    /** Image of the realm sync Job (keycloak-config-cli built against Keycloak 26; see docs/decisions.md). */
    readonly realmSyncImage: string;
}

/** Keycloak's own sizing guidance: ~1250 MB base memory, CPU for login throughput. */
const KEYCLOAK_RESOURCES: Resources = {
    requests: { cpu: "500m", memory: "1250Mi" },
    limits: { cpu: "2", memory: "2Gi" },
};
/**
 * Level 1 (a single dev node): the same memory — Keycloak's sizing guide puts a Pod with its realm
 * caches at 1250 MB — and a quarter CPU, since CPU follows logins per second (none at idle); the
 * limit of 2 CPUs still covers the start-up. Sources in docs/resources.md.
 */
const LEVEL1_KEYCLOAK_RESOURCES: Resources = {
    requests: { cpu: "250m", memory: "1250Mi" },
    limits: KEYCLOAK_RESOURCES.limits,
};

export function resolveZeroTrust(cfg: ZeroTrustConfig, profile: LevelProfile, add: AddIssue): ZeroTrustSpec {
    const lvl = `level ${profile.level}`;
    const extReplicas = replicasOverride(
        profile.extauth.replicas,
        cfg.extauthReplicas,
        ["zeroTrust", "extauthReplicas"],
        profile,
        add,
    );
    const injReplicas = replicasOverride(
        profile.envoyInjector.replicas,
        cfg.injectorReplicas,
        ["zeroTrust", "injectorReplicas"],
        profile,
        add,
    );
    const failurePolicy = cfg.failurePolicy ?? profile.envoyInjector.failurePolicy;
    if (failurePolicy === "Ignore" && profile.envoyInjector.failurePolicy === "Fail") {
        add(
            ["zeroTrust", "failurePolicy"],
            `Ignore is not allowed at ${lvl}: pods could start without their Envoy sidecar whenever the webhook is down, which breaks the zero-trust guarantee. Remove the override`,
        );
    }
    if (failurePolicy === "Fail" && injReplicas < 2) {
        add(
            ["zeroTrust", "failurePolicy"],
            `Fail with ${injReplicas} injector replica would block every pod creation in the injected namespaces whenever that one pod is down (node drain, rollout, crash) — a cluster-wide outage of the platform. Set agentstack:zeroTrust.injectorReplicas to 2 or more, or keep failurePolicy Ignore (level 1 only)`,
        );
    }
    const tls: ZeroTrustSpec["injector"]["tls"] = {
        mode: cfg.webhookTls.provider,
        validityHours: cfg.webhookTls.validityHours,
        earlyRenewalHours: cfg.webhookTls.earlyRenewalHours,
    };
    if (cfg.webhookTls.certManagerIssuer !== undefined) {
        add(
            ["zeroTrust", "webhookTls", "certManagerIssuer"],
            "is no longer accepted: an outside issuer (ACME, say) gives no CA bundle for the webhook. Remove it and set agentstack:zeroTrust.webhookTls.provider to cert-manager: the program then builds the webhook's own CA chain with cert-manager",
        );
    }
    if (cfg.webhookTls.earlyRenewalHours >= cfg.webhookTls.validityHours) {
        add(
            ["zeroTrust", "webhookTls", "earlyRenewalHours"],
            `must be below validityHours (${cfg.webhookTls.validityHours}), or every pulumi up would replace the certificate`,
        );
    }
    return {
        extauth: {
            replicas: extReplicas,
            ...optionalPdb(pdbMinAvailableFor(profile, extReplicas, profile.extauth.pdbMinAvailable)),
            antiAffinity: rowAntiAffinity(profile.extauth, extReplicas),
            image: cfg.images.extauth,
        },
        injector: {
            replicas: injReplicas,
            ...optionalPdb(pdbMinAvailableFor(profile, injReplicas, profile.envoyInjector.pdbMinAvailable)),
            antiAffinity: rowAntiAffinity(profile.envoyInjector, injReplicas),
            image: cfg.images.envoyInjector,
            failurePolicy,
            reinvocationPolicy: cfg.reinvocationPolicy,
            timeoutSeconds: cfg.webhookTimeoutSeconds,
            tls,
        },
        envoy: { image: cfg.images.envoy, failOpen: profile.extAuthzFailOpen, timeoutMs: cfg.extAuthzTimeoutMs },
    };
}

export function resolveKeycloak(
    cfg: KeycloakConfig,
    profile: LevelProfile,
    gatewayHostname: string,
    add: AddIssue,
): KeycloakSpec {
    const replicas = replicasOverride(profile.keycloak.replicas, cfg.replicas, ["keycloak", "replicas"], profile, add);
    return {
        image: cfg.image,
        replicas,
        ...optionalPdb(pdbMinAvailableFor(profile, replicas, profile.keycloak.pdbMinAvailable)),
        antiAffinity: rowAntiAffinity(profile.keycloak, replicas),
        hostname: cfg.hostname ?? `auth.${gatewayHostname}`,
        production: profile.level >= 2,
        clustering: replicas >= 2,
        resources: cfg.resources ?? (profile.level === 1 ? LEVEL1_KEYCLOAK_RESOURCES : KEYCLOAK_RESOURCES),
        admin: cfg.adminSecretRef ? { kind: "secretRef", ...cfg.adminSecretRef } : { kind: "generated" },
        proxyTrustedAddresses: [...cfg.proxyTrustedAddresses],
        realmSyncImage: cfg.realmSyncImage,
    };
}

function optionalPdb(pdbMinAvailable: number | undefined): { pdbMinAvailable?: number } {
    return pdbMinAvailable === undefined ? {} : { pdbMinAvailable };
}
