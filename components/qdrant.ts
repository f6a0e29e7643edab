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
import { DATA_STORE_UIDS, QDRANT_PORTS, QdrantSpec } from "../stacks/dataStores";
import type { LevelProfile } from "../stacks/levels";
import type { Namespaces } from "../stacks/resolve";
import {
    DATA_STORE_ZONE,
    DataStoreClient,
    DataStoreFlows,
    checkClients,
    clientEnvOf,
    childOptions,
    clientsAnnotation,
    createClientObjects,
    dataStoreFlows,
    dataStoreLabels,
    dataStoreNetwork,
    volumeClaimTemplates,
} from "./dataStore";
import { configEnv, configMapEnv, secretEnv } from "./env";
import { INSTANCES, serviceHost } from "./names";
import { HardenedWorkload, checksum } from "./workload";
import { CLIENTS_ANNOTATION, DATA_STORE_LABEL, selectorLabels } from "../lib/labels";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Keys of the server-side Secret of generated API keys. */
export const QDRANT_KEYS = { apiKey: "api-key", readOnlyApiKey: "read-only-api-key" } as const;
/** Name of the server-side Secret of generated API keys. */
export const QDRANT_KEYS_SECRET = "qdrant-api-keys";

/** A Qdrant client; `readOnly` clients get the read-only API key. */
export interface QdrantClient extends DataStoreClient {
    readonly readOnly?: boolean;
}

export interface QdrantArgs {
    /** The resolved spec. */
    readonly spec: QdrantSpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespace of the server objects (the `data` Namespace's `metadata.name`). */
    readonly namespace: pulumi.Input<string>;
    /** Namespace names (DNS). */
    readonly namespaces: Namespaces;
    /** The declared clients (agents). */
    readonly clients: readonly QdrantClient[];
    /** Resources the server workload waits for (e.g. the network policies). Default none. */
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * The non-secret server settings (env of the qdrant container, from its ConfigMap). Telemetry is off:
 * the data namespace has no egress, and a vector store has nothing to report home.
 */
export function qdrantSettings(clusterMode: boolean): Record<string, string> {
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
export function qdrantStartScript(namespace: string): string {
    const peer = (pod: string) => `http://${pod}.${INSTANCES.qdrant}-headless.${namespace}.svc.cluster.local:${QDRANT_PORTS.p2p}`;
    return [
        "set -euo pipefail",
        `if [ "$QDRANT__CLUSTER__ENABLED" != "true" ]; then exec ./entrypoint.sh; fi`,
        `self="${peer("${HOSTNAME}")}"`,
        `if [ "\${HOSTNAME##*-}" = "0" ]; then exec ./entrypoint.sh --uri "$self"; fi`,
        `exec ./entrypoint.sh --bootstrap "${peer(`${INSTANCES.qdrant}-0`)}" --uri "$self"`,
    ].join("\n");
}

export class Qdrant extends pulumi.ComponentResource {
    /** Ports clients connect to (HTTP, gRPC). */
    public readonly clientPorts: number[];
    /** Who may connect to what (for the network policies). */
    public readonly flows: DataStoreFlows;
    /** The in-cluster URL or the external one. */
    public readonly url: string;
    private readonly env: ReadonlyMap<string, EnvVar[]>;

    constructor(name: string, args: QdrantArgs, opts?: pulumi.ComponentResourceOptions) {
        const s = args.spec;
        super("agentstack:data:Qdrant", name, {}, { ...opts, protect: opts?.protect ?? s.protect });
        checkClients("qdrant", args.clients);
        const instance = INSTANCES.qdrant;
        const labels = dataStoreLabels("qdrant", instance);
        const child = childOptions(this, s.protect);
        const env = new Map<string, EnvVar[]>();

        if (s.mode === "external") {
            this.url = `${s.tls ? "https" : "http"}://${s.host}:${s.port}`;
            this.clientPorts = dataStoreNetwork("qdrant", s).clientPorts;
            for (const c of args.clients) {
                const objs = createClientObjects({
                    store: "qdrant", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                    settings: { url: this.url, host: s.host, "http-port": String(s.port), "grpc-port": String(QDRANT_PORTS.grpc) },
                });
                env.set(c.name, [
                    configEnv("QDRANT_URL", objs.configMapName, "url"),
                    configEnv("QDRANT_GRPC_PORT", objs.configMapName, "grpc-port"),
                    secretEnv("QDRANT_API_KEY", s.credentials.name, s.credentials.apiKeyKey),
                ]);
            }
            this.flows = dataStoreFlows({
                store: "qdrant", mode: "external", clients: args.clients, clientPorts: this.clientPorts,
                external: { host: s.host, cidrs: s.egressCidrs, port: s.port },
            });
            this.env = env;
            this.registerOutputs({ url: this.url });
            return;
        }

        const nsName = args.namespaces[DATA_STORE_ZONE.qdrant];
        this.url = `http://${serviceHost(instance, nsName)}:${QDRANT_PORTS.http}`;
        const network = dataStoreNetwork("qdrant", s);
        this.clientPorts = network.clientPorts;

        // API keys: generated (kept in a Secret the program owns) or the user's Secret by reference.
        let keysSecret: pulumi.Input<string>;
        let keyOf: { full: string; readOnly: string };
        let generated: { full: pulumi.Output<string>; readOnly: pulumi.Output<string> } | undefined;
        if (s.apiKeys.kind === "generated") {
            const full = new random.RandomPassword(`${name}-api-key`, { length: 48, special: false }, child);
            const readOnly = new random.RandomPassword(`${name}-read-only-api-key`, { length: 48, special: false }, child);
            generated = { full: pulumi.secret(full.result), readOnly: pulumi.secret(readOnly.result) };
            const secret = new k8s.core.v1.Secret(`${name}-api-keys`, {
                metadata: { name: QDRANT_KEYS_SECRET, namespace: args.namespace, labels },
                type: "Opaque",
                stringData: { [QDRANT_KEYS.apiKey]: generated.full, [QDRANT_KEYS.readOnlyApiKey]: generated.readOnly },
            }, child);
            keysSecret = secret.metadata.name;
            keyOf = { full: QDRANT_KEYS.apiKey, readOnly: QDRANT_KEYS.readOnlyApiKey };
        } else {
            keysSecret = s.apiKeys.name;
            keyOf = { full: s.apiKeys.apiKeyKey, readOnly: s.apiKeys.readOnlyApiKeyKey };
        }

        const settings = qdrantSettings(s.clusterMode);
        const cm = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: `${instance}-config`, namespace: args.namespace, labels },
            data: settings,
        }, child);
        const script = qdrantStartScript(nsName);

        const selector = selectorLabels("qdrant", instance);
        const ports = [
            { name: "http", containerPort: QDRANT_PORTS.http },
            { name: "grpc", containerPort: QDRANT_PORTS.grpc },
            ...(s.clusterMode ? [{ name: "p2p", containerPort: QDRANT_PORTS.p2p }] : []),
        ];
        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "qdrant",
            instance,
            namespace: args.namespace,
            extraLabels: { [DATA_STORE_LABEL]: "true" },
            workloadAnnotations: { [CLIENTS_ANNOTATION]: clientsAnnotation(args.clients) },
            profile: args.profile,
            replicas: { fixed: s.replicas },
            uid: DATA_STORE_UIDS.qdrant,
            configChecksum: checksum({ settings, script }),
            antiAffinity: s.antiAffinity,
            antiAffinityWeight: s.antiAffinityWeight,
            pdbMinAvailable: s.pdbMinAvailable,
            terminationGracePeriodSeconds: 60,
            // Parallel: peers find each other through the headless Service (which publishes not-ready
            // addresses); ordered start could deadlock a whole-cluster restart on pod 0's readiness.
            statefulSet: { podManagementPolicy: "Parallel", volumeClaimTemplates: volumeClaimTemplates("qdrant", instance, s.storage), pvcRetention: s.storage.retention },
            servicePorts: [
                { name: "http", port: QDRANT_PORTS.http },
                { name: "grpc", port: QDRANT_PORTS.grpc },
            ],
            childOptions: { protect: s.protect, ...(args.dependsOn ? { dependsOn: args.dependsOn } : {}) },
            containers: [{
                name: "qdrant",
                image: s.image,
                command: ["/bin/bash", "-c", script],
                ports,
                env: [
                    ...configMapEnv(cm.metadata.name, settings),
                    secretEnv("QDRANT__SERVICE__API_KEY", keysSecret, keyOf.full),
                    secretEnv("QDRANT__SERVICE__READ_ONLY_API_KEY", keysSecret, keyOf.readOnly),
                ],
                resources: s.resources,
                // /healthz, /livez and /readyz answer without the API key. Loading large collections can take minutes.
                probes: { liveness: "/livez", readiness: "/readyz", startupSeconds: 600 },
                writablePaths: [
                    { name: "init", path: "/qdrant/init", sizeLimit: "1Mi" },
                ],
                volumeMounts: [{ name: "data", mountPath: "/qdrant/storage" }],
            }],
        }, {
            parent: this,
            protect: s.protect,
        });

        for (const c of args.clients) {
            const settingsOfClient = { url: this.url, host: serviceHost(instance, nsName), "http-port": String(QDRANT_PORTS.http), "grpc-port": String(QDRANT_PORTS.grpc) };
            if (generated) {
                const objs = createClientObjects({
                    store: "qdrant", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                    settings: settingsOfClient,
                    secretData: { [QDRANT_KEYS.apiKey]: c.readOnly ? generated.readOnly : generated.full },
                });
                env.set(c.name, [
                    configEnv("QDRANT_URL", objs.configMapName, "url"),
                    configEnv("QDRANT_GRPC_PORT", objs.configMapName, "grpc-port"),
                    secretEnv("QDRANT_API_KEY", objs.secretName!, QDRANT_KEYS.apiKey),
                ]);
            } else {
                // The user's Secret, by the same name in the client's namespace (Kubernetes can't share a Secret across namespaces).
                const objs = createClientObjects({ store: "qdrant", instance, client: c, logicalName: name, parent: this, protect: s.protect, settings: settingsOfClient });
                env.set(c.name, [
                    configEnv("QDRANT_URL", objs.configMapName, "url"),
                    configEnv("QDRANT_GRPC_PORT", objs.configMapName, "grpc-port"),
                    secretEnv("QDRANT_API_KEY", keysSecret, c.readOnly ? keyOf.readOnly : keyOf.full),
                ]);
            }
        }

        this.flows = dataStoreFlows({
            store: "qdrant", mode: "in-cluster", clients: args.clients, clientPorts: this.clientPorts,
            server: { namespace: nsName, podLabels: selector, peerPorts: network.peerPorts },
        });
        this.env = env;
        this.registerOutputs({ url: this.url, serviceName: workload.serviceName });
    }

    /** The env vars a declared client's container needs (QDRANT_URL, QDRANT_GRPC_PORT, QDRANT_API_KEY), all by reference. */
    public clientEnv(clientName: string): EnvVar[] {
        return clientEnvOf("qdrant", this.env, clientName);
    }
}
