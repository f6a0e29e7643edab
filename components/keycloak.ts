/**
 * `keycloak`: the identity provider — OIDC for users (through the gateway), JWKS and client-credentials
 * tokens for the MCP servers. Production mode (`start`) from level 2 with hostname and proxy headers;
 * PostgreSQL as its database; clustering (distributed caches over the jdbc-ping stack, headless Service
 * with publishNotReadyAddresses) exactly when it runs two or more replicas; probes on the management
 * port 9000, which no Service exposes. Forwarded headers are read only from the configured proxy
 * addresses. The realm is not imported at start: a keycloak-config-cli Job applies it through the admin
 * API after Keycloak is ready, and is replaced (so it runs again) whenever the realm document changes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    KEYCLOAK_HTTP_PORT,
    KEYCLOAK_JGROUPS_PORTS,
    KEYCLOAK_MANAGEMENT_PORT,
    REALM_SYNC_INSTANCE,
} from "../stacks/flows";
import { KeycloakSpec } from "../stacks/identity";
import { GatewaySpec } from "../stacks/resolve";
import { configMapEnv, secretEnv } from "./env";
import { Exposure } from "./exposure";
import { INSTANCES, REALM } from "./names";
import { HardenedWorkload, HardenedWorkloadArgs, checksum, fixedWorkload, hardenedPodSpec } from "./workload";
import { CHECKSUM_ANNOTATION, recommendedLabels } from "../lib/labels";

/** uid of the Keycloak image. */
export const KEYCLOAK_UID = 1000;
/** Keycloak's management port (health, metrics): never a Service port; reached by the kubelet and, with monitoring on, the Prometheus pods only (stacks/flows.ts). */
export { KEYCLOAK_MANAGEMENT_PORT };

/** Keycloak's non-secret settings (its ConfigMap). */
export function keycloakSettings(spec: KeycloakSpec): Record<string, string> {
    return {
        KC_DB: "postgres",
        KC_HOSTNAME: `https://${spec.hostname}`,
        KC_HOSTNAME_BACKCHANNEL_DYNAMIC: "true",
        // X-Forwarded-* only from the ingress controller's addresses; none configured = never read
        // (KC_HOSTNAME is a full https URL, so Keycloak's own URLs never depend on those headers).
        ...(spec.proxyTrustedAddresses.length > 0
            ? { KC_PROXY_HEADERS: "xforwarded", KC_PROXY_TRUSTED_ADDRESSES: spec.proxyTrustedAddresses.join(",") }
            : {}),
        KC_HTTP_ENABLED: "true",
        KC_HTTP_PORT: String(KEYCLOAK_HTTP_PORT),
        KC_HTTP_MANAGEMENT_PORT: String(KEYCLOAK_MANAGEMENT_PORT),
        KC_HEALTH_ENABLED: "true",
        KC_METRICS_ENABLED: "true",
        KC_CACHE: spec.clustering ? "ispn" : "local",
        ...(spec.clustering ? { KC_CACHE_STACK: "jdbc-ping" } : {}),
        JAVA_OPTS_KC_HEAP: "-XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=50",
    };
}

/**
 * The command: production mode from level 2. No `--import-realm`: it imports only a realm that does not
 * exist yet (so later changes would never arrive) and, since the document declares client scopes,
 * Keycloak would skip creating its standard ones; the realm sync Job applies the realm instead.
 */
export function keycloakArgs(spec: KeycloakSpec): string[] {
    return [spec.production ? "start" : "start-dev"];
}

/** uid of the keycloak-config-cli image (its Dockerfile's `USER 65534`). */
export const REALM_SYNC_UID = 65534;
/** Where the sync Job mounts the realm Secret. */
export const REALM_SYNC_CONFIG_DIR = "/config";
/** Seconds the sync may take before Kubernetes stops it (below Pulumi's 10-minute Job await). */
export const REALM_SYNC_DEADLINE_SECONDS = 540;

/**
 * The sync Job's non-secret settings (keycloak-config-cli's environment variables, from its README):
 * the in-cluster admin API, wait for Keycloak, the one realm file, a full reconciliation on every run
 * (no checksum cache), and never delete a client scope it did not declare (Keycloak's own built-in
 * scopes such as `service_account` are not realm defaults and would otherwise be deleted).
 */
export function realmSyncSettings(keycloakUrl: string): Record<string, string> {
    return {
        KEYCLOAK_URL: keycloakUrl,
        KEYCLOAK_AVAILABILITYCHECK_ENABLED: "true",
        KEYCLOAK_AVAILABILITYCHECK_TIMEOUT: "300s",
        IMPORT_FILES_LOCATIONS: `file:${REALM_SYNC_CONFIG_DIR}/${REALM}-realm.json`,
        IMPORT_CACHE_ENABLED: "false",
        IMPORT_MANAGED_CLIENTSCOPE: "no-delete",
        JAVA_OPTS: "-XX:MaxRAMPercentage=70",
    };
}

/** The realm sync Job's pod-template checksum: the realm, the sync settings and the image. */
export function realmSyncChecksum(realmJson: string, settings: Record<string, string>, image: string): string {
    return checksum({ realm: checksum(realmJson), settings, image });
}

interface KeycloakArgs {
    /** The resolved Keycloak spec. */
    readonly spec: KeycloakSpec;
    /** Namespace (the identity zone's Namespace name output). */
    readonly namespace: pulumi.Input<string>;
    /** The realm JSON (secret: it holds client secrets), applied by the realm sync Job. */
    readonly realmJson: pulumi.Output<string>;
    /** Keycloak's in-cluster base URL (the sync Job calls its admin API there). */
    readonly internalUrl: string;
    /** KC_DB_URL, KC_DB_USERNAME, KC_DB_PASSWORD (by reference) from the database component. */
    readonly databaseEnv: k8s.types.input.core.v1.EnvVar[];
    /** Exposure settings for the login host (same kind and TLS as the gateway). */
    readonly exposure: GatewaySpec;
    /** Resources the workload waits for (its database). Default none. */
    readonly dependsOn?: pulumi.Resource[];
}

/** Where the admin user's credentials are: the generated `<instance>-admin` Secret or the user's own. */
export function keycloakAdminRef(spec: KeycloakSpec): { name: string; usernameKey: string; passwordKey: string } {
    return spec.admin.kind === "generated"
        ? { name: `${INSTANCES.keycloak}-admin`, usernameKey: "username", passwordKey: "password" }
        : { name: spec.admin.name, usernameKey: spec.admin.usernameKey, passwordKey: spec.admin.passwordKey };
}

/** Keycloak's container ports: HTTP, management, and the two JGroups ports when clustered. */
export function keycloakPorts(spec: KeycloakSpec): { name: string; containerPort: number }[] {
    return [
        { name: "http", containerPort: KEYCLOAK_HTTP_PORT },
        { name: "management", containerPort: KEYCLOAK_MANAGEMENT_PORT },
        ...(spec.clustering
            ? [
                  { name: "jgroups", containerPort: KEYCLOAK_JGROUPS_PORTS[0]! },
                  { name: "jgroups-fd", containerPort: KEYCLOAK_JGROUPS_PORTS[1]! },
              ]
            : []),
    ];
}

/** Keycloak's workload (creates nothing): settings by reference to its ConfigMap, admin and database env by reference. */
export function keycloakWorkloadArgs(a: {
    readonly spec: KeycloakSpec;
    readonly namespace: pulumi.Input<string>;
    readonly settings: Record<string, string>;
    /** Name of the settings ConfigMap. */
    readonly settingsConfigMap: pulumi.Input<string>;
    readonly admin: { readonly name: pulumi.Input<string>; readonly usernameKey: string; readonly passwordKey: string };
    readonly databaseEnv: k8s.types.input.core.v1.EnvVar[];
    readonly dependsOn?: pulumi.Resource[];
}): HardenedWorkloadArgs {
    const s = a.spec;
    return {
        ...fixedWorkload("keycloak", INSTANCES.keycloak, a.namespace, s),
        uid: KEYCLOAK_UID,
        configChecksum: checksum({ settings: a.settings }),
        servicePorts: [{ name: "http", port: KEYCLOAK_HTTP_PORT }],
        headlessService: s.clustering,
        ...(a.dependsOn ? { childOptions: { dependsOn: a.dependsOn } } : {}),
        volumes: [{ name: "quarkus", emptyDir: { sizeLimit: "256Mi" } }],
        // `start` re-augments the Quarkus build into lib/quarkus; the root filesystem is read-only, so
        // that folder lives on an emptyDir seeded from the image.
        initContainers: [
            {
                name: "seed-build",
                image: s.image,
                command: ["/bin/sh", "-c", "cp -a /opt/keycloak/lib/quarkus/. /seed/"],
                ports: [],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                probes: {},
                volumeMounts: [{ name: "quarkus", mountPath: "/seed" }],
            },
        ],
        containers: [
            {
                name: "keycloak",
                image: s.image,
                args: keycloakArgs(s),
                ports: keycloakPorts(s),
                env: [
                    ...configMapEnv(a.settingsConfigMap, a.settings),
                    secretEnv("KC_BOOTSTRAP_ADMIN_USERNAME", a.admin.name, a.admin.usernameKey),
                    secretEnv("KC_BOOTSTRAP_ADMIN_PASSWORD", a.admin.name, a.admin.passwordKey),
                    ...a.databaseEnv,
                ],
                resources: s.resources,
                probes: {
                    liveness: "/health/live",
                    readiness: "/health/ready",
                    port: "management",
                    startupSeconds: 300,
                },
                writablePaths: [{ name: "data", path: "/opt/keycloak/data", sizeLimit: "256Mi" }],
                volumeMounts: [{ name: "quarkus", mountPath: "/opt/keycloak/lib/quarkus" }],
            },
        ],
    };
}

/** The realm sync Job's pod spec (creates nothing): keycloak-config-cli with the admin user by reference and the realm Secret mounted. */
export function realmSyncPodSpec(a: {
    readonly image: string;
    readonly settings: Record<string, string>;
    readonly serviceAccountName: pulumi.Input<string>;
    readonly admin: { readonly name: pulumi.Input<string>; readonly usernameKey: string; readonly passwordKey: string };
    /** Name of the Secret holding the realm document. */
    readonly realmSecret: pulumi.Input<string>;
}): k8s.types.input.core.v1.PodSpec {
    const podSpec = hardenedPodSpec({
        uid: REALM_SYNC_UID,
        serviceAccountName: a.serviceAccountName,
        automountServiceAccountToken: false,
        containers: [
            {
                name: "keycloak-config-cli",
                image: a.image,
                ports: [],
                env: [
                    ...Object.entries(a.settings).map(([k, v]) => ({ name: k, value: v })),
                    secretEnv("KEYCLOAK_USER", a.admin.name, a.admin.usernameKey),
                    secretEnv("KEYCLOAK_PASSWORD", a.admin.name, a.admin.passwordKey),
                ],
                resources: { requests: { cpu: "100m", memory: "384Mi" }, limits: { cpu: "1", memory: "512Mi" } },
                probes: {},
                volumeMounts: [{ name: "realm", mountPath: REALM_SYNC_CONFIG_DIR, readOnly: true }],
            },
        ],
        volumes: [{ name: "realm", secret: { secretName: a.realmSecret, defaultMode: 0o440 } }],
    });
    return { ...podSpec, restartPolicy: "Never" };
}

/** What `createKeycloak` returns (the component's outputs). */
interface KeycloakOutputs {
    readonly url: pulumi.Output<string>;
    readonly serviceName: pulumi.Output<string>;
    readonly realmSync: k8s.batch.v1.Job;
}

/**
 * Creates Keycloak's children below `parent`: its settings ConfigMap, the admin credentials (generated),
 * the realm Secret, the workload, the realm sync Job and its ServiceAccount, and the login host's exposure.
 */
function createKeycloak(name: string, args: KeycloakArgs, parent: pulumi.Resource): KeycloakOutputs {
    const s = args.spec;
    const instance = INSTANCES.keycloak;
    const labels = recommendedLabels("keycloak", instance);
    const settings = keycloakSettings(s);
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-config`,
        {
            metadata: { name: `${instance}-config`, namespace: args.namespace, labels },
            data: settings,
        },
        { parent },
    );

    const admin = keycloakAdminRef(s);
    if (s.admin.kind === "generated") {
        const password = new random.RandomPassword(
            `${name}-admin-password`,
            { length: 32, special: false },
            { parent },
        );
        new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                metadata: { name: admin.name, namespace: args.namespace, labels },
                type: "Opaque",
                stringData: { username: "admin", password: pulumi.secret(password.result) },
            },
            { parent },
        );
    }
    const realm = new k8s.core.v1.Secret(
        `${name}-realm`,
        {
            metadata: { name: `${instance}-realm`, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: { [`${REALM}-realm.json`]: pulumi.secret(args.realmJson) },
        },
        { parent },
    );

    const workload = new HardenedWorkload(
        `${name}-workload`,
        keycloakWorkloadArgs({
            spec: s,
            namespace: args.namespace,
            settings,
            settingsConfigMap: cm.metadata.name,
            admin,
            databaseEnv: args.databaseEnv,
            ...(args.dependsOn ? { dependsOn: args.dependsOn } : {}),
        }),
        { parent },
    );

    // The realm sync: a Job whose pod template carries the realm's hash, so any change of the realm
    // (a client, a scope, a redirect URI, a rotated secret) replaces the Job and runs it again; Pulumi
    // waits for it to complete. Fixed name, so the old Job is deleted before the new one is created.
    const syncLabels = recommendedLabels(REALM_SYNC_INSTANCE, REALM_SYNC_INSTANCE);
    const syncSettings = realmSyncSettings(args.internalUrl);
    const syncSa = new k8s.core.v1.ServiceAccount(
        `${name}-realm-sync-sa`,
        {
            metadata: { name: REALM_SYNC_INSTANCE, namespace: args.namespace, labels: syncLabels },
            automountServiceAccountToken: false,
        },
        { parent },
    );
    const realmSync = new k8s.batch.v1.Job(
        `${name}-realm-sync`,
        {
            metadata: { name: REALM_SYNC_INSTANCE, namespace: args.namespace, labels: syncLabels },
            spec: {
                backoffLimit: 3,
                activeDeadlineSeconds: REALM_SYNC_DEADLINE_SECONDS,
                template: {
                    metadata: {
                        labels: syncLabels,
                        // The hash of the realm (which holds secrets) reveals nothing, and must not taint the annotation as secret.
                        annotations: {
                            [CHECKSUM_ANNOTATION]: pulumi
                                .unsecret(args.realmJson)
                                .apply((r) => realmSyncChecksum(r, syncSettings, s.realmSyncImage)),
                        },
                    },
                    spec: realmSyncPodSpec({
                        image: s.realmSyncImage,
                        settings: syncSettings,
                        serviceAccountName: syncSa.metadata.name,
                        admin,
                        realmSecret: realm.metadata.name,
                    }),
                },
            },
        },
        { parent, dependsOn: [workload], deleteBeforeReplace: true },
    );

    const exposure = new Exposure(
        `${name}-exposure`,
        {
            hostname: s.hostname,
            namespace: args.namespace,
            service: { name: instance, port: KEYCLOAK_HTTP_PORT },
            settings: { ...args.exposure, corsOrigins: [] },
            labels,
        },
        { parent },
    );
    return { url: exposure.url, serviceName: workload.serviceName, realmSync };
}

export class Keycloak extends pulumi.ComponentResource {
    /** Public URL of the login host. */
    public readonly url: pulumi.Output<string>;
    /** Service name. */
    public readonly serviceName: pulumi.Output<string>;
    /** The realm sync Job (replaced, and so run again, whenever the realm changes). */
    public readonly realmSync: k8s.batch.v1.Job;

    constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:identity:Keycloak", name, {}, opts);
        const out = createKeycloak(name, args, this);
        this.url = out.url;
        this.serviceName = out.serviceName;
        this.realmSync = out.realmSync;
        this.registerOutputs({ url: this.url, serviceName: this.serviceName, realmSync: this.realmSync.metadata.name });
    }
}
