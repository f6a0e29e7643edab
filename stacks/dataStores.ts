/**
 * Configuration of the three data stores (`agentstack:qdrant`, `agentstack:mongodb`,
 * `agentstack:postgresql`): the zod schemas the root schema plugs in, and the resolver that merges them
 * with the level profile and rejects every override that would break the level's guarantees or put
 * data at risk. Pure: no Pulumi runtime needed.
 * The primitives (names, image references, quantities) come from `primitives.ts`, shared with the
 * root schema.
 */
import { z } from "zod";
import { quantityValue } from "../lib/syntax";
import {
    DNS_SUBDOMAIN,
    cidr,
    host,
    imageRef,
    port,
    replicas,
    resources,
    secretKeyName as secretKey,
    secretName,
    userPasswordSecretRef,
} from "./primitives";
import { AddIssue, pdbMinAvailableFor, replicasOverride, rowAntiAffinity } from "./fixed";
import type { AntiAffinity, LevelProfile } from "./levels";

/** A storage quantity: a number and a binary (Ki..Ei) or decimal (k..E) unit, e.g. 10Gi or 500G. */
const STORAGE_QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)$/;
const storageQuantity = z.string().regex(STORAGE_QUANTITY, "must be a storage quantity such as 10Gi, 500Mi or 1Ti");

// ---------------------------------------------------------------------------------------------------
// Constants: images, uids, ports, defaults
// ---------------------------------------------------------------------------------------------------

/** The data stores, by config key. */
export type DataStoreKind = "qdrant" | "mongodb" | "postgresql";
export const DATA_STORES: readonly DataStoreKind[] = ["qdrant", "mongodb", "postgresql"];

/**
 * Default images: upstream, official, pinned to a release and (for Debian/Ubuntu based images) to the
 * OS release, because a silent base-OS change under a database can change collation behaviour. Never
 * bitnami (its catalogue stopped publishing free versioned images in 2025). Fully qualified, so
 * CRI-O's short-name enforcement (OpenShift) cannot make them ambiguous.
 */
export const DATA_STORE_IMAGES: Readonly<Record<DataStoreKind, string>> = {
    qdrant: "docker.io/qdrant/qdrant:v1.15.4-unprivileged",
    mongodb: "docker.io/library/mongo:8.0.13-noble",
    postgresql: "docker.io/library/postgres:17.6-bookworm",
};

/**
 * The uid (and gid) each image runs as: Qdrant's `-unprivileged` variant is built with
 * `USER_ID=1000` (user and group `qdrant` 1000:1000); the official mongo image creates `mongodb`
 * 999:999 and the official postgres image `postgres` 999:999. The pods run as exactly these ids, with
 * fsGroup the same gid, so the volume is theirs and no image needs root.
 */
const DATA_STORE_UIDS: Readonly<Record<DataStoreKind, number>> = { qdrant: 1000, mongodb: 999, postgresql: 999 };

/** Ports. Qdrant: HTTP 6333, gRPC 6334, peer-to-peer 6335 (cluster mode). */
export const QDRANT_PORTS = { http: 6333, grpc: 6334, p2p: 6335 } as const;
export const MONGODB_PORT = 27017;
export const POSTGRESQL_PORT = 5432;
/** The port clients connect to by default, per store (external mode may say otherwise). */
const DEFAULT_PORTS: Readonly<Record<DataStoreKind, number>> = {
    qdrant: QDRANT_PORTS.http,
    mongodb: MONGODB_PORT,
    postgresql: POSTGRESQL_PORT,
};

/** Default volume size per store. */
const DEFAULT_STORAGE: Readonly<Record<DataStoreKind, string>> = {
    qdrant: "10Gi",
    mongodb: "20Gi",
    postgresql: "10Gi",
};

/** Default requests/limits per store at levels 2 and 3 (within the namespaces' LimitRange ceiling of 4 CPU / 8Gi). */
const DEFAULT_DATA_RESOURCES: Readonly<Record<DataStoreKind, z.infer<typeof resources>>> = {
    qdrant: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
    mongodb: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "2Gi" } },
    postgresql: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
};

/**
 * Level 1 (a single 4 vCPU / 8 GiB dev node): requests sized for an idle store with a developer's
 * data, limits as at levels 2/3 so a burst still fits. Qdrant's memory follows its data (capacity
 * planning: vectors × dimension × 4 bytes × 1.5), nothing at idle; MongoDB's WiredTiger cache is at
 * least 256 MB (50 % of RAM − 1 GB, minimum 256 MB), plus the server; PostgreSQL's shared_buffers
 * default to 128 MB. Sources in docs/resources.md.
 */
const LEVEL1_DATA_RESOURCES: Readonly<Record<DataStoreKind, z.infer<typeof resources>>> = {
    qdrant: { requests: { cpu: "100m", memory: "256Mi" }, limits: DEFAULT_DATA_RESOURCES.qdrant.limits },
    mongodb: { requests: { cpu: "100m", memory: "384Mi" }, limits: DEFAULT_DATA_RESOURCES.mongodb.limits },
    postgresql: { requests: { cpu: "100m", memory: "256Mi" }, limits: DEFAULT_DATA_RESOURCES.postgresql.limits },
};

/** The MongoDB replica set every in-cluster MongoDB runs as (one member at levels 1-2). */
const MONGODB_REPLICA_SET = "rs0";
/** MongoDB allows at most 7 voting members. */
const MONGODB_MAX_VOTING = 7;
/** Weight of MongoDB's soft (preferred) anti-affinity term (the table's "soft": weight 1, hostname). */
const MONGODB_SOFT_WEIGHT = 1;

// ---------------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------------

const mode = z.enum(["in-cluster", "external"]).default("in-cluster");

/** Volume settings (in-cluster). */
const storageConfig = z.strictObject({
    /** Size of each pod's volume. Default 10Gi (Qdrant, PostgreSQL) / 20Gi (MongoDB). */
    size: storageQuantity.optional(),
    /** StorageClass; default `agentstack:cluster.storageClassName`, else the cluster default. */
    storageClassName: z.string().max(253).regex(DNS_SUBDOMAIN, "must be a StorageClass name").optional(),
    /**
     * The smallest size this store may ever be given: set it to the size that is deployed. A `size`
     * below it is rejected (a volume can't shrink; see docs/data-stores.md, "Volume size").
     */
    minimumSize: storageQuantity.optional(),
    /** What happens to the PVCs when the StatefulSet is deleted or scaled down. Default Retain / Retain; Delete is refused at level 3. */
    retention: z
        .strictObject({
            whenDeleted: z.enum(["Retain", "Delete"]).default("Retain"),
            whenScaled: z.enum(["Retain", "Delete"]).default("Retain"),
        })
        .optional(),
});

/** Service settings (in-cluster): the type is accepted only to reject anything but ClusterIP with a clear message. */
const serviceConfig = z.strictObject({
    type: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]).default("ClusterIP"),
});

/** Keys common to every store: the in-cluster ones and the external ones (the resolver checks which apply). */
const inClusterKeys = {
    /** Container image (pinned). */
    image: imageRef.optional(),
    /** Replicas; never below the level's. */
    replicas: replicas.optional(),
    storage: storageConfig.optional(),
    resources: resources.optional(),
    service: serviceConfig.optional(),
};
const externalKeys = {
    /** External mode: host name or address of the managed service. */
    host: host.optional(),
    /** External mode: its port. */
    port: port.optional(),
    /** External mode: the addresses the network policy opens egress to (from the declared clients only). */
    egressCidrs: z.array(cidr).optional(),
};

/** `agentstack:qdrant`. */
export const qdrantConfig = z
    .strictObject({
        mode,
        ...inClusterKeys,
        /** In-cluster: the API keys from an existing Secret instead of generated ones. */
        existingSecret: z
            .strictObject({
                name: secretName,
                apiKeyKey: secretKey.default("api-key"),
                readOnlyApiKeyKey: secretKey.default("read-only-api-key"),
            })
            .optional(),
        ...externalKeys,
        /** External: https (default) or http. */
        tls: z.boolean().optional(),
        /** External: the Secret (in each client namespace) holding the API key. */
        credentialsSecretRef: z.strictObject({ name: secretName, apiKeyKey: secretKey.default("api-key") }).optional(),
    })
    .default({ mode: "in-cluster" });

/** `agentstack:mongodb`. */
export const mongodbConfig = z
    .strictObject({
        mode,
        ...inClusterKeys,
        /** In-cluster: the root user from an existing Secret instead of a generated password. */
        existingSecret: userPasswordSecretRef.optional(),
        ...externalKeys,
        /** External: the Secret (in each client namespace) holding the full connection string. */
        credentialsSecretRef: z.strictObject({ name: secretName, uriKey: secretKey.default("uri") }).optional(),
    })
    .default({ mode: "in-cluster" });

/** `agentstack:postgresql`. */
export const postgresqlConfig = z
    .strictObject({
        mode,
        ...inClusterKeys,
        /** In-cluster: the superuser from an existing Secret instead of a generated password. */
        existingSecret: userPasswordSecretRef.optional(),
        ...externalKeys,
        /** External: libpq sslmode. Default require. */
        sslMode: z.enum(["disable", "require", "verify-ca", "verify-full"]).optional(),
        /** External: the Secret (in each client namespace) holding the client's user name and password. */
        credentialsSecretRef: z
            .strictObject({
                name: secretName,
                usernameKey: secretKey.default("username"),
                passwordKey: secretKey.default("password"),
            })
            .optional(),
    })
    .default({ mode: "in-cluster" });

type QdrantConfig = z.infer<typeof qdrantConfig>;
type MongodbConfig = z.infer<typeof mongodbConfig>;
type PostgresqlConfig = z.infer<typeof postgresqlConfig>;

/** The three keys, parsed (what the root schema's output holds under `qdrant`, `mongodb`, `postgresql`). */
interface DataStoresConfig {
    readonly qdrant: QdrantConfig;
    readonly mongodb: MongodbConfig;
    readonly postgresql: PostgresqlConfig;
}

// ---------------------------------------------------------------------------------------------------
// Resolved specs
// ---------------------------------------------------------------------------------------------------

type Resources = z.infer<typeof resources>;

/** What every in-cluster store resolves to. */
export interface InClusterSpec {
    readonly mode: "in-cluster";
    readonly image: string;
    /** spec.replicas. */
    readonly replicas: number;
    /** The pod anti-affinity the StatefulSet gets. */
    readonly antiAffinity: AntiAffinity;
    /** Weight of a preferred anti-affinity term. */
    readonly antiAffinityWeight: number;
    /** PDB minAvailable; undefined where the level makes no PDB (or a single pod runs). */
    readonly pdbMinAvailable?: number;
    readonly storage: {
        readonly size: string;
        readonly storageClassName?: string;
        /** persistentVolumeClaimRetentionPolicy of the StatefulSet. */
        readonly retention: { readonly whenDeleted: "Retain" | "Delete"; readonly whenScaled: "Retain" | "Delete" };
    };
    readonly resources: Resources;
    /** uid/gid of the image. */
    readonly uid: number;
    /** Pulumi `protect` on every resource of the store (level 3). */
    readonly protect: boolean;
}

/** What every external store resolves to. */
export interface ExternalSpec {
    readonly mode: "external";
    readonly host: string;
    readonly port: number;
    /** Egress destinations for the declared clients (may be empty at level 1, where there are no NetworkPolicies). */
    readonly egressCidrs: readonly string[];
    readonly protect: boolean;
}

export type QdrantSpec =
    | (InClusterSpec & {
          readonly clusterMode: boolean;
          readonly apiKeys:
              | { readonly kind: "generated" }
              | {
                    readonly kind: "secretRef";
                    readonly name: string;
                    readonly apiKeyKey: string;
                    readonly readOnlyApiKeyKey: string;
                };
      })
    | (ExternalSpec & {
          readonly tls: boolean;
          readonly credentials: { readonly name: string; readonly apiKeyKey: string };
      });

type UserCredentials =
    | { readonly kind: "generated" }
    | { readonly kind: "secretRef"; readonly name: string; readonly usernameKey: string; readonly passwordKey: string };

export type MongoDbSpec =
    | (InClusterSpec & { readonly replicaSet: string; readonly root: UserCredentials })
    | (ExternalSpec & { readonly credentials: { readonly name: string; readonly uriKey: string } });

export type PostgreSqlSpec =
    | (InClusterSpec & { readonly superuser: UserCredentials })
    | (ExternalSpec & {
          readonly sslMode: "disable" | "require" | "verify-ca" | "verify-full";
          readonly credentials: { readonly name: string; readonly usernameKey: string; readonly passwordKey: string };
      });

export interface DataStoresSpec {
    readonly qdrant: QdrantSpec;
    readonly mongodb: MongoDbSpec;
    readonly postgresql: PostgreSqlSpec;
}

/** The cluster facts the resolver needs (a subset of `agentstack:cluster`). */
interface ClusterFacts {
    readonly schedulableNodes: number;
    readonly storageClassName?: string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Storage sizes
// ---------------------------------------------------------------------------------------------------

/** Bytes of a storage quantity (`10Gi`, `500M`); throws on anything else. */
export function parseStorageQuantity(q: string): number {
    const bytes = STORAGE_QUANTITY.test(q) ? quantityValue(q) : undefined;
    if (bytes === undefined) throw new Error(`"${q}" is not a storage quantity such as 10Gi`);
    return bytes;
}

/**
 * Checks a volume size change: undefined when `newSize` is acceptable after `oldSize`, else the
 * reason. A volume can only grow: Kubernetes refuses to shrink a PVC, and a smaller template would
 * only give new pods smaller volumes than their peers.
 */
export function checkStorageChange(oldSize: string, newSize: string): string | undefined {
    const before = parseStorageQuantity(oldSize);
    const after = parseStorageQuantity(newSize);
    if (after < before) {
        return `${newSize} is smaller than ${oldSize}: a volume can never shrink (Kubernetes rejects a smaller PVC, and the data would not fit). Keep at least ${oldSize}`;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Resolver
// ---------------------------------------------------------------------------------------------------

type AnyConfig = QdrantConfig | MongodbConfig | PostgresqlConfig;

const IN_CLUSTER_ONLY = ["image", "replicas", "storage", "resources", "service", "existingSecret"] as const;
const EXTERNAL_ONLY = ["host", "port", "egressCidrs", "tls", "sslMode", "credentialsSecretRef"] as const;

/** Rejects keys that do not apply to the chosen mode (so a half-switched config never passes silently). */
function checkModeKeys(store: DataStoreKind, c: AnyConfig, add: AddIssue): void {
    const own = c as Record<string, unknown>;
    const wrong = c.mode === "external" ? IN_CLUSTER_ONLY : EXTERNAL_ONLY;
    for (const k of wrong) {
        if (own[k] !== undefined) {
            add(
                [store, k],
                c.mode === "external"
                    ? `applies only to mode in-cluster, but agentstack:${store}.mode is external: remove it`
                    : `applies only to mode external (agentstack:${store}.mode is in-cluster): remove it, or set mode: external`,
            );
        }
    }
}

/** The external part of a spec; reports missing host, credentials and (from level 2) egress addresses. */
function resolveExternal(store: DataStoreKind, c: AnyConfig, profile: LevelProfile, add: AddIssue): ExternalSpec {
    if (!c.host)
        add(
            [store, "host"],
            `is required when agentstack:${store}.mode is external: the managed service's host name or address`,
        );
    if (!c.credentialsSecretRef) {
        add(
            [store, "credentialsSecretRef"],
            `is required when agentstack:${store}.mode is external: name the Secret (created by you in each client namespace) that holds the credentials`,
        );
    }
    const egressCidrs = c.egressCidrs ?? [];
    if (profile.networkPolicies === "default-deny" && egressCidrs.length === 0) {
        add(
            [store, "egressCidrs"],
            `is empty: at level ${profile.level} the clients may reach the external ${store} only at listed addresses; give its CIDRs (e.g. ["198.51.100.10/32"])`,
        );
    }
    return {
        mode: "external",
        host: c.host ?? "",
        port: c.port ?? DEFAULT_PORTS[store],
        egressCidrs,
        protect: profile.protectData,
    };
}

/** The in-cluster part of a spec: replicas, anti-affinity, PDB, storage, service type. */
function resolveInCluster(
    store: DataStoreKind,
    c: AnyConfig,
    profile: LevelProfile,
    cluster: ClusterFacts,
    add: AddIssue,
): InClusterSpec {
    const row = profile[store];
    const n = replicasOverride(row.replicas, c.replicas, [store, "replicas"], profile, add);
    // MongoDB's row applies at every replica count (soft/soft/hard); the others' only to several replicas.
    const antiAffinity = rowAntiAffinity(row, n, store === "mongodb");
    if (
        antiAffinity === "required" &&
        c.replicas !== undefined &&
        c.replicas > row.replicas &&
        cluster.schedulableNodes < c.replicas
    ) {
        add(
            [store, "replicas"],
            `${c.replicas} replicas with required (hard) anti-affinity need as many schedulable nodes, but agentstack:cluster.schedulableNodes is ${cluster.schedulableNodes}: pods would stay Pending. Lower the override or raise schedulableNodes to the real node count`,
        );
    }
    const pdbMinAvailable = pdbMinAvailableFor(profile, n, row.pdbMinAvailable);

    const service = c.service?.type ?? "ClusterIP";
    if (service !== "ClusterIP") {
        add(
            [store, "service", "type"],
            `${service} is not allowed: a data store is reachable only inside the cluster, through a ClusterIP Service and the NetworkPolicy of its declared clients. Remove the setting (ClusterIP is the default); for access from outside use a managed service and mode: external`,
        );
    }

    const size = c.storage?.size ?? DEFAULT_STORAGE[store];
    if (c.storage?.minimumSize) {
        const problem = checkStorageChange(c.storage.minimumSize, size);
        if (problem) add([store, "storage", "size"], `${problem} (agentstack:${store}.storage.minimumSize)`);
    }
    const storageClassName = c.storage?.storageClassName ?? cluster.storageClassName;
    const retention = {
        whenDeleted: c.storage?.retention?.whenDeleted ?? "Retain",
        whenScaled: c.storage?.retention?.whenScaled ?? "Retain",
    } as const;
    if (profile.protectData) {
        for (const when of ["whenDeleted", "whenScaled"] as const) {
            if (retention[when] === "Delete")
                add(
                    [store, "storage", "retention", when],
                    `Delete is not allowed at level ${profile.level}: production volumes outlive their StatefulSet. Remove the setting (Retain is the default)`,
                );
        }
    }
    return {
        mode: "in-cluster",
        image: c.image ?? DATA_STORE_IMAGES[store],
        replicas: n,
        antiAffinity,
        antiAffinityWeight: store === "mongodb" ? MONGODB_SOFT_WEIGHT : 100,
        pdbMinAvailable,
        storage: { size, ...(storageClassName ? { storageClassName } : {}), retention },
        resources: c.resources ?? (profile.level === 1 ? LEVEL1_DATA_RESOURCES : DEFAULT_DATA_RESOURCES)[store],
        uid: DATA_STORE_UIDS[store],
        protect: profile.protectData,
    };
}

function resolveQdrant(c: QdrantConfig, profile: LevelProfile, cluster: ClusterFacts, add: AddIssue): QdrantSpec {
    checkModeKeys("qdrant", c, add);
    if (c.mode === "external") {
        const ext = resolveExternal("qdrant", c, profile, add);
        return {
            ...ext,
            tls: c.tls ?? true,
            credentials: c.credentialsSecretRef ?? { name: "", apiKeyKey: "api-key" },
        };
    }
    const base = resolveInCluster("qdrant", c, profile, cluster, add);
    if (c.image !== undefined) {
        const tag = /:([A-Za-z0-9_][A-Za-z0-9_.-]*)(@sha256:[a-f0-9]{64})?$/.exec(c.image)?.[1];
        if (tag !== undefined && !tag.endsWith("-unprivileged")) {
            add(
                ["qdrant", "image"],
                `"${c.image}" is not an -unprivileged Qdrant image: the standard image runs as root and cannot start under runAsNonRoot. Use e.g. ${DATA_STORE_IMAGES.qdrant}`,
            );
        }
    }
    return {
        ...base,
        // Several Qdrant peers without cluster mode would be independent databases behind one Service.
        clusterMode: profile.qdrant.clusterMode || base.replicas > 1,
        apiKeys: c.existingSecret ? { kind: "secretRef", ...c.existingSecret } : { kind: "generated" },
    };
}

function resolveMongo(c: MongodbConfig, profile: LevelProfile, cluster: ClusterFacts, add: AddIssue): MongoDbSpec {
    checkModeKeys("mongodb", c, add);
    if (c.mode === "external") {
        const ext = resolveExternal("mongodb", c, profile, add);
        return { ...ext, credentials: c.credentialsSecretRef ?? { name: "", uriKey: "uri" } };
    }
    const base = resolveInCluster("mongodb", c, profile, cluster, add);
    if (c.replicas !== undefined && c.replicas > 1 && c.replicas % 2 === 0) {
        add(
            ["mongodb", "replicas"],
            `${c.replicas} is even: a replica set elects a primary by strict majority, so an even count adds no failover. Use an odd number (3, 5 or 7)`,
        );
    }
    if (c.replicas !== undefined && c.replicas > MONGODB_MAX_VOTING) {
        add(
            ["mongodb", "replicas"],
            `${c.replicas} is above ${MONGODB_MAX_VOTING}, the most voting members a MongoDB replica set can have`,
        );
    }
    return {
        ...base,
        replicaSet: MONGODB_REPLICA_SET,
        root: c.existingSecret ? { kind: "secretRef", ...c.existingSecret } : { kind: "generated" },
    };
}

function resolvePostgres(
    c: PostgresqlConfig,
    profile: LevelProfile,
    cluster: ClusterFacts,
    add: AddIssue,
): PostgreSqlSpec {
    checkModeKeys("postgresql", c, add);
    if (c.mode === "external") {
        const ext = resolveExternal("postgresql", c, profile, add);
        return {
            ...ext,
            sslMode: c.sslMode ?? "require",
            credentials: c.credentialsSecretRef ?? { name: "", usernameKey: "username", passwordKey: "password" },
        };
    }
    const base = resolveInCluster("postgresql", c, profile, cluster, add);
    if (c.replicas !== undefined && c.replicas > 1) {
        add(
            ["postgresql", "replicas"],
            `${c.replicas}: the in-cluster PostgreSQL is a single primary (several replicas would be separate, diverging databases). Remove the override; for a replicated PostgreSQL use a managed service with mode: external`,
        );
    }
    return {
        ...base,
        replicas: 1,
        superuser: c.existingSecret ? { kind: "secretRef", ...c.existingSecret } : { kind: "generated" },
    };
}

/**
 * Resolves the three data stores against the level profile. Every problem is reported through `add`
 * with a path relative to `agentstack:` (e.g. `["qdrant", "service", "type"]`); the returned specs are
 * only meaningful when nothing was reported.
 */
export type { AddIssue };

export function resolveDataStores(
    cfg: DataStoresConfig,
    profile: LevelProfile,
    cluster: ClusterFacts,
    add: AddIssue,
): DataStoresSpec {
    return {
        qdrant: resolveQdrant(cfg.qdrant, profile, cluster, add),
        mongodb: resolveMongo(cfg.mongodb, profile, cluster, add),
        postgresql: resolvePostgres(cfg.postgresql, profile, cluster, add),
    };
}

/** The trust zone (namespace) each in-cluster store lives in. */
export const DATA_STORE_ZONE: Readonly<Record<DataStoreKind, "data" | "identity">> = {
    qdrant: "data",
    mongodb: "data",
    postgresql: "identity",
};

/**
 * The network facts of a store, straight from its resolved spec (for the flow table, which is built
 * from the PlatformSpec before any component exists): the ports clients use, the ports the server
 * pods use among themselves (none for a single pod), and for external mode the address.
 */
export function dataStoreNetwork(
    store: DataStoreKind,
    spec: QdrantSpec | MongoDbSpec | PostgreSqlSpec,
): {
    readonly clientPorts: number[];
    readonly peerPorts: number[];
    readonly external?: { readonly host: string; readonly cidrs: readonly string[]; readonly port: number };
} {
    if (spec.mode === "external")
        return {
            clientPorts: [spec.port],
            peerPorts: [],
            external: { host: spec.host, cidrs: spec.egressCidrs, port: spec.port },
        };
    switch (store) {
        case "qdrant":
            return {
                clientPorts: [QDRANT_PORTS.http, QDRANT_PORTS.grpc],
                peerPorts: (spec as QdrantSpec & { clusterMode: boolean }).clusterMode ? [QDRANT_PORTS.p2p] : [],
            };
        case "mongodb":
            return { clientPorts: [MONGODB_PORT], peerPorts: spec.replicas > 1 ? [MONGODB_PORT] : [] };
        case "postgresql":
            return { clientPorts: [POSTGRESQL_PORT], peerPorts: [] };
    }
}
