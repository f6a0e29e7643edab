/**
 * `qdrant`: the vector database. In-cluster: a StatefulSet of the `-unprivileged` image (uid 1000,
 * read-only root) with a volume per pod, the API key and the read-only API key from a Secret through
 * the environment, the web dashboard (static content) off, a ClusterIP Service only, and cluster mode
 * (peer port 6335, bootstrap through the headless Service) exactly when the level (or a replicas
 * override) runs several peers. External: no workload, only the clients' wiring.
 *
 * Each client gets, in its own namespace, a ConfigMap `qdrant-<client>` (url, host, ports) and — for
 * generated keys — a Secret `qdrant-<client>` (api-key); `clientEnv` gives the env vars that read them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { QDRANT_PORTS, QdrantSpec } from "../stacks/dataStores";
import type { Namespaces } from "../stacks/resolve";
import { ClientObjects, DataStore, DataStoreArgs, DataStoreClient, DataStoreDefinition } from "./dataStore";
import { configEnv, secretEnv } from "./env";
import { INSTANCES, serviceHost } from "./names";

/** Keys of the server-side Secret of generated API keys. */
export const QDRANT_KEYS = { apiKey: "api-key", readOnlyApiKey: "read-only-api-key" } as const;
/** Name of the server-side Secret of generated API keys. */
export const QDRANT_KEYS_SECRET = "qdrant-api-keys";

/** A Qdrant client; `readOnly` clients get the read-only API key. */
interface QdrantClient extends DataStoreClient {
    readonly readOnly?: boolean;
}

type QdrantArgs = DataStoreArgs<QdrantSpec, QdrantClient>;

/**
 * The non-secret server settings (env of the qdrant container, from its ConfigMap). Telemetry is off:
 * the data namespace has no egress, and a vector store has nothing to report home.
 */
function qdrantSettings(clusterMode: boolean): Record<string, string> {
    return {
        QDRANT__SERVICE__HTTP_PORT: String(QDRANT_PORTS.http),
        QDRANT__SERVICE__GRPC_PORT: String(QDRANT_PORTS.grpc),
        QDRANT__SERVICE__ENABLE_STATIC_CONTENT: "false",
        // No browser ever talks to the store directly.
        QDRANT__SERVICE__ENABLE_CORS: "false",
        QDRANT__CLUSTER__ENABLED: String(clusterMode),
        // In cluster mode new collections keep two copies of every shard, so losing a peer loses no data.
        ...(clusterMode ? { QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR: "2" } : {}),
        QDRANT__CLUSTER__P2P__PORT: String(QDRANT_PORTS.p2p),
        QDRANT__STORAGE__STORAGE_PATH: "/qdrant/storage",
        // On the volume, beside the data: kubelet-created subPath directories belong to root and would
        // not be writable for uid 1000, and an emptyDir would lose snapshots with the pod.
        QDRANT__STORAGE__SNAPSHOTS_PATH: "/qdrant/storage/snapshots",
        QDRANT__TELEMETRY_DISABLED: "true",
        QDRANT_INIT_FILE_PATH: "/qdrant/init/.qdrant-initialized",
    };
}

/**
 * The container's start script. Without cluster mode: the image's entrypoint. In cluster mode every
 * peer announces itself by its stable headless-Service name (`--uri`); pod 0 starts the cluster and
 * the others join it (`--bootstrap` pod 0). A peer that already holds cluster state ignores
 * `--bootstrap`, so restarts and scale-ups are the same code path.
 */
function qdrantStartScript(namespace: string): string {
    const peer = (pod: string) =>
        `http://${pod}.${INSTANCES.qdrant}-headless.${namespace}.svc.cluster.local:${QDRANT_PORTS.p2p}`;
    return [
        "set -euo pipefail",
        `if [ "$QDRANT__CLUSTER__ENABLED" != "true" ]; then exec ./entrypoint.sh; fi`,
        `self="${peer("${HOSTNAME}")}"`,
        `if [ "\${HOSTNAME##*-}" = "0" ]; then exec ./entrypoint.sh --uri "$self"; fi`,
        `exec ./entrypoint.sh --bootstrap "${peer(`${INSTANCES.qdrant}-0`)}" --uri "$self"`,
    ].join("\n");
}

type InCluster = Extract<QdrantSpec, { mode: "in-cluster" }>;
type External = Extract<QdrantSpec, { mode: "external" }>;

/** The in-cluster URL or the external one. */
function qdrantUrl(s: QdrantSpec, namespaces: Namespaces): string {
    return s.mode === "external"
        ? `${s.tls ? "https" : "http"}://${s.host}:${s.port}`
        : `http://${serviceHost(INSTANCES.qdrant, namespaces.data)}:${QDRANT_PORTS.http}`;
}

/** A client's env: the URL and gRPC port from its ConfigMap, the API key from `secret`. */
function clientEnv(objs: ClientObjects, secret: pulumi.Input<string>, key: string) {
    return [
        configEnv("QDRANT_URL", objs.configMapName, "url"),
        configEnv("QDRANT_GRPC_PORT", objs.configMapName, "grpc-port"),
        secretEnv("QDRANT_API_KEY", secret, key),
    ];
}

/** Qdrant's own part of the data-store skeleton. */
const QDRANT: DataStoreDefinition<InCluster, External, QdrantClient> = {
    store: "qdrant",
    external: (s) => ({
        settings: {
            url: `${s.tls ? "https" : "http"}://${s.host}:${s.port}`,
            host: s.host,
            "http-port": String(s.port),
            "grpc-port": String(QDRANT_PORTS.grpc),
        },
        env: (objs) => clientEnv(objs, s.credentials.name, s.credentials.apiKeyKey),
    }),
    server: ({ name, parent, spec: s, namespace, namespaceName, host, labels }) => {
        // API keys: generated (kept in a Secret the program owns) or the user's Secret by reference.
        let keysSecret: pulumi.Input<string> = s.apiKeys.kind === "secretRef" ? s.apiKeys.name : "";
        const keyOf =
            s.apiKeys.kind === "secretRef"
                ? { full: s.apiKeys.apiKeyKey, readOnly: s.apiKeys.readOnlyApiKeyKey }
                : { full: QDRANT_KEYS.apiKey, readOnly: QDRANT_KEYS.readOnlyApiKey };
        let generated: { full: pulumi.Output<string>; readOnly: pulumi.Output<string> } | undefined;
        if (s.apiKeys.kind === "generated") {
            const key = (suffix: string) =>
                pulumi.secret(
                    new random.RandomPassword(`${name}-${suffix}`, { length: 48, special: false }, { parent }).result,
                );
            generated = { full: key("api-key"), readOnly: key("read-only-api-key") };
            keysSecret = new k8s.core.v1.Secret(
                `${name}-api-keys`,
                {
                    metadata: { name: QDRANT_KEYS_SECRET, namespace, labels },
                    type: "Opaque",
                    stringData: {
                        [QDRANT_KEYS.apiKey]: generated.full,
                        [QDRANT_KEYS.readOnlyApiKey]: generated.readOnly,
                    },
                },
                { parent },
            ).metadata.name;
        }
        const settings = qdrantSettings(s.clusterMode);
        const script = qdrantStartScript(namespaceName);
        const url = `http://${host}:${QDRANT_PORTS.http}`;
        return {
            settings,
            workload: () => ({
                checksum: { settings, script },
                terminationGracePeriodSeconds: 60,
                // Parallel: peers find each other through the headless Service (which publishes not-ready
                // addresses); ordered start could deadlock a whole-cluster restart on pod 0's readiness.
                podManagementPolicy: "Parallel",
                servicePorts: [
                    { name: "http", port: QDRANT_PORTS.http },
                    { name: "grpc", port: QDRANT_PORTS.grpc },
                ],
                container: {
                    name: "qdrant",
                    image: s.image,
                    command: ["/bin/bash", "-c", script],
                    ports: [
                        { name: "http", containerPort: QDRANT_PORTS.http },
                        { name: "grpc", containerPort: QDRANT_PORTS.grpc },
                        ...(s.clusterMode ? [{ name: "p2p", containerPort: QDRANT_PORTS.p2p }] : []),
                    ],
                    env: [
                        secretEnv("QDRANT__SERVICE__API_KEY", keysSecret, keyOf.full),
                        secretEnv("QDRANT__SERVICE__READ_ONLY_API_KEY", keysSecret, keyOf.readOnly),
                    ],
                    resources: s.resources,
                    // /healthz, /livez and /readyz answer without the API key. Loading large collections can take minutes.
                    probes: { liveness: "/livez", readiness: "/readyz", startupSeconds: 600 },
                    writablePaths: [{ name: "init", path: "/qdrant/init", sizeLimit: "1Mi" }],
                    volumeMounts: [{ name: "data", mountPath: "/qdrant/storage" }],
                },
            }),
            // Generated keys: a Secret per client. The user's Secret: read by the same name in the client's
            // namespace (Kubernetes can't share a Secret across namespaces).
            client: (c) => ({
                settings: { url, host, "http-port": String(QDRANT_PORTS.http), "grpc-port": String(QDRANT_PORTS.grpc) },
                ...(generated
                    ? { secretData: { [QDRANT_KEYS.apiKey]: c.readOnly ? generated.readOnly : generated.full } }
                    : {}),
                env: (objs) =>
                    generated
                        ? clientEnv(objs, objs.secretName!, QDRANT_KEYS.apiKey)
                        : clientEnv(objs, keysSecret, c.readOnly ? keyOf.readOnly : keyOf.full),
            }),
        };
    },
};

/** The vector database; `clientEnv` gives a declared client QDRANT_URL, QDRANT_GRPC_PORT and QDRANT_API_KEY, by reference. */
export class Qdrant extends DataStore<InCluster, External, QdrantClient> {
    /** The in-cluster URL or the external one. */
    public readonly url: string;

    constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:data:Qdrant", name, args, QDRANT, opts);
        this.url = qdrantUrl(args.spec, args.namespaces);
        this.registerOutputs({ url: this.url, ...(this.serviceName ? { serviceName: this.serviceName } : {}) });
    }
}
