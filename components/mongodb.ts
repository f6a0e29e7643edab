/**
 * `mongodb`: the document store. In-cluster: a StatefulSet of the official image (uid 999, read-only
 * root) with a volume per pod, authentication always on (root user from a Secret; every client its own
 * user with readWrite on its own database), pod anti-affinity soft (preferred, weight 1, hostname) /
 * soft / hard (required) per the level, and always a replica set (`rs0`) with a generated key file —
 * one member at levels 1-2, three at level 3 — so a level change only adds or removes members and
 * never converts a standalone server. External: no workload, only the clients' wiring.
 *
 * Each client gets, in its own namespace, a ConfigMap `mongodb-<client>` (host, port, database) and —
 * in-cluster — a Secret `mongodb-<client>` (username, password, uri); `clientEnv` gives MONGODB_URI and
 * MONGODB_DATABASE by reference.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATA_STORE_UIDS, MONGODB_PORT, MongoDbSpec } from "../stacks/dataStores";
import type { LevelProfile } from "../stacks/levels";
import type { Namespaces } from "../stacks/resolve";
import {
    DATA_STORE_ZONE,
    DataStoreClient,
    DataStoreFlows,
    checkClients,
    clientEnvOf,
    childOptions,
    createCredentials,
    clientsAnnotation,
    createClientObjects,
    dataStoreFlows,
    dataStoreLabels,
    dataStoreNetwork,
    supervisedStartScript,
    volumeClaimTemplates,
} from "./dataStore";
import { configEnv, configMapEnv, secretEnv } from "./env";
import { mongodbExporter } from "./exporters";
import { INSTANCES, envName, serviceHost } from "./names";
import { HardenedWorkload, checksum } from "./workload";
import { CLIENTS_ANNOTATION, DATA_STORE_LABEL, selectorLabels } from "../lib/labels";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Server-side Secret of the root user and the client passwords. */
export const MONGODB_CREDENTIALS_SECRET = "mongodb-credentials";
/** Server-side Secret of the replica-set key file. */
export const MONGODB_KEYFILE_SECRET = "mongodb-keyfile";
/** Where mongod reads the key file (a copy owned by uid 999, mode 0400). */
export const KEYFILE_PATH = "/etc/mongodb/keyfile/keyfile";

/** Where the init container finds the key file from the Secret. */
export const KEYFILE_SECRET_PATH = "/etc/mongodb/keyfile-secret/keyfile";

/**
 * The key-file init container's script (/bin/sh, dash in the Ubuntu-based image). Init containers may
 * run again in the same Pod (Kubernetes: their code must be idempotent), and the memory volume keeps
 * the copy of the previous run — read-only (0400) for uid 999, so a plain `cp` onto it would fail.
 * The old copy is removed first (the directory is writable), then copied and made 0400 again.
 */
export function keyfileInitScript(source = KEYFILE_SECRET_PATH, target = KEYFILE_PATH): string {
    return `set -eu; rm -f ${target}; cp ${source} ${target}; chmod 0400 ${target}`;
}

/** A MongoDB client: its user gets readWrite on `database` (default: the client's name). */
export interface MongoDbClient extends DataStoreClient {
    readonly database?: string;
}

export interface MongoDbArgs {
    /** The resolved spec (in-cluster or external). */
    readonly spec: MongoDbSpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespace of the server objects (the `data` Namespace's `metadata.name`). */
    readonly namespace: pulumi.Input<string>;
    /** Namespace names of the platform (for DNS names). */
    readonly namespaces: Namespaces;
    /** The declared clients (agents). */
    readonly clients: readonly MongoDbClient[];
    /** Resources the server workload waits for (e.g. the network policies). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** Run the metrics exporter beside the server (agentstack:monitoring; components/exporters.ts). Default off. */
    readonly exporter?: boolean;
}

/** The database of a client. */
export function mongoDatabase(c: MongoDbClient): string {
    const db = c.database ?? c.name;
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(db)) throw new Error(`mongodb: database "${db}" of client ${c.name} must be 1-63 of [A-Za-z0-9_-]`);
    return db;
}

/** Env var (in the mongod container) holding a client's password, for the bootstrap. */
export function clientPasswordEnv(client: string): string {
    return `MONGODB_CLIENT_${envName(client)}_PASSWORD`;
}

/** The host names of the replica-set members, in ordinal order (stable names through the headless Service). */
export function mongoMembers(namespace: string, replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `${INSTANCES.mongodb}-${i}.${INSTANCES.mongodb}-headless.${namespace}.svc.cluster.local:${MONGODB_PORT}`);
}

/**
 * The container's start script: pod 0 runs the bootstrap in the background (it waits for mongod);
 * only pod 0 creates the root user on an empty volume (the entrypoint's init), the others start
 * empty and receive users and data from the primary by replication.
 */
export const MONGODB_START_SCRIPT = supervisedStartScript({
    prelude: `if [ "\${HOSTNAME##*-}" = "0" ]; then
  (
    for attempt in $(seq 1 720); do
      if mongosh --nodb --quiet /scripts/bootstrap.js; then echo "bootstrap: done"; exit 0; fi
      sleep 5
    done
    echo "bootstrap: gave up after an hour; see the messages above" >&2
  ) &
else
  unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD
fi`,
    start: `docker-entrypoint.sh mongod --replSet "$MONGODB_REPLICA_SET" --keyFile ${KEYFILE_PATH} --bind_ip_all --port ${MONGODB_PORT}`,
    stopSignal: "TERM",
});

/**
 * The bootstrap (mongosh, on pod 0, at every start; idempotent): initiate the replica set on a fresh
 * deployment (only when every other member is reachable and belongs to no set, so a pod 0 that lost
 * its volume never starts a second set), add members that the StatefulSet gained, and create or
 * update each client's user (password from the environment, never from this file).
 */
export function mongoBootstrapScript(config: { replicaSet: string; members: string[]; clients: { user: string; database: string; passwordEnv: string }[] }): string {
    return `// Generated by agentstack. No secret in here: passwords come from the environment.
const CONFIG = ${JSON.stringify(config)};
const enc = encodeURIComponent;
const root = enc(process.env.MONGO_INITDB_ROOT_USERNAME || "") + ":" + enc(process.env.MONGO_INITDB_ROOT_PASSWORD || "");
function admin(host, auth) {
  const creds = auth ? root + "@" : "";
  const authSource = auth ? "authSource=admin&" : "";
  return new Mongo("mongodb://" + creds + host + "/?directConnection=true&" + authSource + "serverSelectionTimeoutMS=3000&connectTimeoutMS=3000").getDB("admin");
}
function must(res, what) {
  if (res.ok !== 1) throw new Error(what + ": " + JSON.stringify(res));
  return res;
}
function run() {
  const local = admin("127.0.0.1:${MONGODB_PORT}", true);
  const hello = local.runCommand({ hello: 1 });
  if (!hello.setName) {
    for (const host of CONFIG.members.slice(1)) {
      let other;
      try { other = admin(host, false).runCommand({ hello: 1 }); } catch (e) { print("bootstrap: waiting for " + host + ": " + e.message); return false; }
      if (other.setName) { print("bootstrap: " + host + " is in set " + other.setName + "; waiting for its primary to re-sync this member"); return false; }
    }
    must(local.runCommand({ replSetInitiate: { _id: CONFIG.replicaSet, members: CONFIG.members.map((host, i) => ({ _id: i, host: host })) } }), "replSetInitiate");
    print("bootstrap: initiated " + CONFIG.replicaSet);
    return false;
  }
  if (!hello.primary) { print("bootstrap: no primary yet"); return false; }
  // Loopback when this member is the primary (no network policy in the way, even for a single member).
  const primary = hello.isWritablePrimary ? local : admin(hello.primary, true);
  for (const c of CONFIG.clients) {
    const pwd = process.env[c.passwordEnv];
    if (!pwd) throw new Error("the environment has no " + c.passwordEnv);
    const roles = [{ role: "readWrite", db: c.database }];
    const exists = must(primary.runCommand({ usersInfo: c.user }), "usersInfo").users.length > 0;
    must(primary.runCommand(exists ? { updateUser: c.user, pwd: pwd, roles: roles } : { createUser: c.user, pwd: pwd, roles: roles }), "user " + c.user);
  }
  const conf = must(primary.runCommand({ replSetGetConfig: 1 }), "replSetGetConfig").config;
  const missing = CONFIG.members.filter((h) => !conf.members.some((m) => m.host === h));
  if (missing.length > 0) {
    conf.members.push({ _id: Math.max(...conf.members.map((m) => m._id)) + 1, host: missing[0] });
    conf.version += 1;
    must(primary.runCommand({ replSetReconfig: conf }), "replSetReconfig");
    print("bootstrap: added " + missing[0]);
    return false;
  }
  return true;
}
try { quit(run() ? 0 : 1); } catch (e) { print("bootstrap: " + e.message); quit(1); }
`;
}

export class MongoDb extends pulumi.ComponentResource {
    /** Ports clients connect to. */
    public readonly clientPorts: number[];
    /** Who may connect to what (for the network policies). */
    public readonly flows: DataStoreFlows;
    private readonly env: ReadonlyMap<string, EnvVar[]>;

    constructor(name: string, args: MongoDbArgs, opts?: pulumi.ComponentResourceOptions) {
        const s = args.spec;
        super("agentstack:data:MongoDB", name, {}, { ...opts, protect: opts?.protect ?? s.protect });
        checkClients("mongodb", args.clients);
        const instance = INSTANCES.mongodb;
        const labels = dataStoreLabels("mongodb", instance);
        const child = childOptions(this, s.protect);
        const env = new Map<string, EnvVar[]>();

        if (s.mode === "external") {
            this.clientPorts = dataStoreNetwork("mongodb", s).clientPorts;
            for (const c of args.clients) {
                const objs = createClientObjects({
                    store: "mongodb", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                    settings: { host: s.host, port: String(s.port), database: mongoDatabase(c) },
                });
                env.set(c.name, [
                    secretEnv("MONGODB_URI", s.credentials.name, s.credentials.uriKey),
                    configEnv("MONGODB_DATABASE", objs.configMapName, "database"),
                ]);
            }
            this.flows = dataStoreFlows({
                store: "mongodb", mode: "external", clients: args.clients, clientPorts: this.clientPorts,
                external: { host: s.host, cidrs: s.egressCidrs, port: s.port },
            });
            this.env = env;
            this.registerOutputs({});
            return;
        }

        const nsName = args.namespaces[DATA_STORE_ZONE.mongodb];
        const host = serviceHost(instance, nsName);
        const network = dataStoreNetwork("mongodb", s);
        this.clientPorts = network.clientPorts;

        // Passwords: the root user (generated or the user's Secret) and one per client (always generated).
        const { passwords, admin: rootRef, secretName: credentialsSecret } = createCredentials({
            name, secretName: MONGODB_CREDENTIALS_SECRET, namespace: args.namespace, labels, clients: args.clients, child,
            admin: { role: "root", username: "root", source: s.root },
        });

        // The replica-set key file: random, in a Secret; an init container copies it to a memory volume
        // as uid 999 with mode 0400 (mongod refuses a key file readable by group or others, and a Secret
        // volume's files belong to root with fsGroup's group bits, so the Secret can't be used directly).
        const keyfile = new random.RandomPassword(`${name}-keyfile`, { length: 756, special: false }, child);
        const keySecret = new k8s.core.v1.Secret(`${name}-keyfile`, {
            metadata: { name: MONGODB_KEYFILE_SECRET, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: { keyfile: pulumi.secret(keyfile.result) },
        }, child);

        const members = mongoMembers(nsName, s.replicas);
        const bootstrap = mongoBootstrapScript({
            replicaSet: s.replicaSet,
            members,
            clients: args.clients.map((c) => ({ user: c.name, database: mongoDatabase(c), passwordEnv: clientPasswordEnv(c.name) })),
        });
        const scripts = new k8s.core.v1.ConfigMap(`${name}-scripts`, {
            metadata: { name: `${instance}-scripts`, namespace: args.namespace, labels },
            data: { "start.sh": MONGODB_START_SCRIPT, "bootstrap.js": bootstrap },
        }, child);
        const settings = { MONGODB_REPLICA_SET: s.replicaSet, HOME: "/tmp" };
        const settingsCm = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: `${instance}-config`, namespace: args.namespace, labels },
            data: settings,
        }, child);

        const selector = selectorLabels("mongodb", instance);
        const probeCmd = ["mongosh", "--quiet", "--host", "127.0.0.1", "--port", String(MONGODB_PORT), "--eval", "quit(db.adminCommand({ ping: 1 }).ok === 1 ? 0 : 1)"];
        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "mongodb",
            instance,
            namespace: args.namespace,
            extraLabels: { [DATA_STORE_LABEL]: "true" },
            workloadAnnotations: { [CLIENTS_ANNOTATION]: clientsAnnotation(args.clients) },
            profile: args.profile,
            replicas: { fixed: s.replicas },
            uid: DATA_STORE_UIDS.mongodb,
            configChecksum: checksum({ settings, start: MONGODB_START_SCRIPT, bootstrap }),
            antiAffinity: s.antiAffinity,
            antiAffinityWeight: s.antiAffinityWeight,
            pdbMinAvailable: s.pdbMinAvailable,
            terminationGracePeriodSeconds: 60,
            statefulSet: { podManagementPolicy: "OrderedReady", volumeClaimTemplates: volumeClaimTemplates("mongodb", instance, s.storage), pvcRetention: s.storage.retention },
            childOptions: { protect: s.protect, ...(args.dependsOn ? { dependsOn: args.dependsOn } : {}) },
            volumes: [
                { name: "keyfile-secret", secret: { secretName: keySecret.metadata.name, defaultMode: 0o440 } },
                { name: "keyfile", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } },
            ],
            initContainers: [{
                name: "keyfile",
                image: s.image,
                command: ["/bin/sh", "-c", keyfileInitScript()],
                ports: [],
                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                probes: {},
                volumeMounts: [
                    { name: "keyfile-secret", mountPath: "/etc/mongodb/keyfile-secret", readOnly: true },
                    { name: "keyfile", mountPath: "/etc/mongodb/keyfile" },
                ],
            }],
            containers: [{
                name: "mongodb",
                image: s.image,
                command: ["/bin/bash", "/scripts/start.sh"],
                ports: [{ name: "mongodb", containerPort: MONGODB_PORT }],
                env: [
                    ...configMapEnv(settingsCm.metadata.name, settings),
                    secretEnv("MONGO_INITDB_ROOT_USERNAME", rootRef.name, rootRef.usernameKey),
                    secretEnv("MONGO_INITDB_ROOT_PASSWORD", rootRef.name, rootRef.passwordKey),
                    ...args.clients.map((c) => secretEnv(clientPasswordEnv(c.name), credentialsSecret, `client-${c.name}-password`)),
                ],
                resources: s.resources,
                probes: {
                    // The port answers as soon as mongod runs; a ping (no auth needed) means it serves.
                    // Readiness never waits for a primary, so an ordered restart of the whole set can't deadlock.
                    startupProbe: { tcpSocket: { port: "mongodb" }, periodSeconds: 5, failureThreshold: 120, timeoutSeconds: 3 },
                    livenessProbe: { tcpSocket: { port: "mongodb" }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                    readinessProbe: { exec: { command: probeCmd }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 10 },
                },
                volumeMounts: [
                    { name: "data", mountPath: "/data/db" },
                    { name: "keyfile", mountPath: "/etc/mongodb/keyfile", readOnly: true },
                    { name: "scripts", mountPath: "/scripts", readOnly: true },
                ],
            }, ...(args.exporter ? [mongodbExporter(rootRef)] : [])],
        }, {
            parent: this,
            protect: s.protect,
        });

        for (const c of args.clients) {
            const db = mongoDatabase(c);
            const pw = passwords.get(c.name)!;
            const uri = pulumi.secret(pw.apply((p) => `mongodb://${encodeURIComponent(c.name)}:${encodeURIComponent(p)}@${host}:${MONGODB_PORT}/${db}?replicaSet=${s.replicaSet}&authSource=admin`));
            const objs = createClientObjects({
                store: "mongodb", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                settings: { host, port: String(MONGODB_PORT), database: db, "replica-set": s.replicaSet },
                secretData: { username: c.name, password: pw, uri },
            });
            env.set(c.name, [
                secretEnv("MONGODB_URI", objs.secretName!, "uri"),
                configEnv("MONGODB_DATABASE", objs.configMapName, "database"),
            ]);
        }

        this.flows = dataStoreFlows({
            store: "mongodb", mode: "in-cluster", clients: args.clients, clientPorts: this.clientPorts,
            server: { namespace: nsName, podLabels: selector, peerPorts: network.peerPorts },
        });
        this.env = env;
        this.registerOutputs({ serviceName: workload.serviceName });
    }

    /** The env vars a declared client's container needs (MONGODB_URI, MONGODB_DATABASE), by reference. */
    public clientEnv(clientName: string): EnvVar[] {
        return clientEnvOf("mongodb", this.env, clientName);
    }
}
