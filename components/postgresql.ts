/**
 * `postgresql`: the relational store (Keycloak's database). In-cluster: a single-primary StatefulSet of
 * the official image (uid 999) with its data on the volume (PGDATA in a subdirectory, so the volume's
 * own root and lost+found stay out of the cluster directory), a read-only root filesystem with
 * emptyDirs for the socket directory, /tmp and /dev/shm, the superuser from a Secret, and one role and
 * database per declared client created by the program. External: no workload, only the clients' wiring.
 *
 * Client databases: the container's start script runs `ensure-clients.sh` in the background at every
 * start. It waits for the server, then creates each client's role (LOGIN, password from the
 * environment — never from a file) and database if missing and re-applies the password, so it is
 * idempotent. Unlike /docker-entrypoint-initdb.d (which runs only when the volume is empty), this also
 * covers a client added after the first deployment: its password env var changes the pod template,
 * the pod restarts, and the script creates its database.
 *
 * Each client gets, in its own namespace, a ConfigMap `postgresql-<client>` (host, port, database,
 * jdbc-url, sslmode) and — in-cluster — a Secret `postgresql-<client>` (username, password);
 * `clientEnv` gives either Keycloak's KC_DB_URL / KC_DB_USERNAME / KC_DB_PASSWORD or libpq's PG* vars.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DATA_STORE_UIDS, POSTGRESQL_PORT, PostgreSqlSpec } from "../stacks/dataStores";
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
import { postgresqlExporter } from "./exporters";
import { INSTANCES, envName, serviceHost } from "./names";
import { HardenedWorkload, checksum } from "./workload";
import { CLIENTS_ANNOTATION, DATA_STORE_LABEL, selectorLabels } from "../lib/labels";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Server-side Secret of the superuser and the client passwords. */
export const POSTGRESQL_CREDENTIALS_SECRET = "postgresql-credentials";
/** Where the volume is mounted, and PGDATA below it. */
export const PG_MOUNT = "/var/lib/postgresql/data";
export const PGDATA = `${PG_MOUNT}/pgdata`;

/** A PostgreSQL client: its role `user` owns database `database`. */
export interface PostgreSqlClient extends DataStoreClient {
    readonly database: string;
    readonly user: string;
    /** Which env var names `clientEnv` uses: Keycloak's KC_DB_* or libpq's PG*. Default libpq. */
    readonly envStyle?: "keycloak" | "libpq";
}

export interface PostgreSqlArgs {
    /** The resolved spec (in-cluster or external). */
    readonly spec: PostgreSqlSpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespace of the server objects (the `identity` Namespace's `metadata.name`). */
    readonly namespace: pulumi.Input<string>;
    /** Namespace names of the platform (for DNS names). */
    readonly namespaces: Namespaces;
    /** The declared clients (Keycloak: database `keycloak`, user `keycloak`). */
    readonly clients: readonly PostgreSqlClient[];
    /** Resources the server workload waits for (e.g. the network policies). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** Run the metrics exporter beside the server (agentstack:monitoring; components/exporters.ts). Default off. */
    readonly exporter?: boolean;
}

const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Env var (in the postgres container) holding a client's password, for ensure-clients.sh. */
export function clientPasswordEnv(client: string): string {
    return `POSTGRESQL_CLIENT_${envName(client)}_PASSWORD`;
}

/** The start script: the client reconciler in the background, then the image's entrypoint, supervised. */
export const POSTGRESQL_START_SCRIPT = supervisedStartScript({
    prelude: "bash /scripts/ensure-clients.sh &",
    start: "docker-entrypoint.sh postgres",
    stopSignal: "INT",
});

/**
 * Creates or updates every client's role and database (list in /scripts/clients: user, database and
 * the name of the env var with the password). Waits for the server on TCP, which the entrypoint's
 * temporary init server never listens on; retries for an hour.
 */
export const POSTGRESQL_ENSURE_CLIENTS_SCRIPT = `#!/bin/bash
set -uo pipefail
export PGPASSWORD="$POSTGRES_PASSWORD"
ensure_all() {
  pg_isready -q -h 127.0.0.1 -p ${POSTGRESQL_PORT} || return 1
  while read -r user database password_env; do
    [ -n "$user" ] || continue
    CLIENT_PASSWORD="\${!password_env:-}"
    [ -n "$CLIENT_PASSWORD" ] || { echo "clients: no password in $password_env" >&2; return 1; }
    export CLIENT_PASSWORD
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${POSTGRESQL_PORT} -U "$POSTGRES_USER" -d postgres \\
      --set=client_user="$user" --set=client_db="$database" <<'SQL' || return 1
\\getenv client_password CLIENT_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'client_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'client_user') \\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'client_user', :'client_password') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'client_db', :'client_user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'client_db') \\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'client_db') \\gexec
SELECT format('GRANT ALL ON DATABASE %I TO %I', :'client_db', :'client_user') \\gexec
SQL
    echo "clients: role $user and database $database are ready"
  done < /scripts/clients
}
for attempt in $(seq 1 720); do
  if ensure_all; then exit 0; fi
  sleep 5
done
echo "clients: gave up after an hour; see the messages above" >&2
exit 1
`;

/** The /scripts/clients list: one `user database password-env` line per client. */
export function clientsList(clients: readonly PostgreSqlClient[]): string {
    return clients.map((c) => `${c.user} ${c.database} ${clientPasswordEnv(c.name)}\n`).join("");
}

/** The JDBC URL of a database. */
export function jdbcUrl(host: string, port: number, database: string, sslMode: string): string {
    return `jdbc:postgresql://${host}:${port}/${database}${sslMode === "disable" ? "" : `?sslmode=${sslMode}`}`;
}

export class PostgreSql extends pulumi.ComponentResource {
    /** Ports clients connect to. */
    public readonly clientPorts: number[];
    /** Who may connect to what (for the network policies). */
    public readonly flows: DataStoreFlows;
    private readonly env: ReadonlyMap<string, EnvVar[]>;

    constructor(name: string, args: PostgreSqlArgs, opts?: pulumi.ComponentResourceOptions) {
        const s = args.spec;
        super("agentstack:data:PostgreSQL", name, {}, { ...opts, protect: opts?.protect ?? s.protect });
        checkClients("postgresql", args.clients);
        for (const c of args.clients) {
            if (!PG_IDENT.test(c.user)) throw new Error(`postgresql: user "${c.user}" of client ${c.name} must match ${PG_IDENT}`);
            if (!PG_IDENT.test(c.database)) throw new Error(`postgresql: database "${c.database}" of client ${c.name} must match ${PG_IDENT}`);
        }
        const instance = INSTANCES.postgresql;
        const labels = dataStoreLabels("postgresql", instance);
        const child = childOptions(this, s.protect);
        const env = new Map<string, EnvVar[]>();
        const wire = (c: PostgreSqlClient, cm: pulumi.Input<string>, secret: pulumi.Input<string>, userKey: string, passwordKey: string): EnvVar[] =>
            c.envStyle === "keycloak"
                ? [configEnv("KC_DB_URL", cm, "jdbc-url"), secretEnv("KC_DB_USERNAME", secret, userKey), secretEnv("KC_DB_PASSWORD", secret, passwordKey)]
                : [
                      configEnv("PGHOST", cm, "host"),
                      configEnv("PGPORT", cm, "port"),
                      configEnv("PGDATABASE", cm, "database"),
                      configEnv("PGSSLMODE", cm, "sslmode"),
                      secretEnv("PGUSER", secret, userKey),
                      secretEnv("PGPASSWORD", secret, passwordKey),
                  ];

        if (s.mode === "external") {
            this.clientPorts = dataStoreNetwork("postgresql", s).clientPorts;
            for (const c of args.clients) {
                const objs = createClientObjects({
                    store: "postgresql", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                    settings: { host: s.host, port: String(s.port), database: c.database, sslmode: s.sslMode, "jdbc-url": jdbcUrl(s.host, s.port, c.database, s.sslMode) },
                });
                env.set(c.name, wire(c, objs.configMapName, s.credentials.name, s.credentials.usernameKey, s.credentials.passwordKey));
            }
            this.flows = dataStoreFlows({
                store: "postgresql", mode: "external", clients: args.clients, clientPorts: this.clientPorts,
                external: { host: s.host, cidrs: s.egressCidrs, port: s.port },
            });
            this.env = env;
            this.registerOutputs({});
            return;
        }

        const nsName = args.namespaces[DATA_STORE_ZONE.postgresql];
        const host = serviceHost(instance, nsName);
        const network = dataStoreNetwork("postgresql", s);
        this.clientPorts = network.clientPorts;

        const { passwords, admin: superuser, secretName: credentialsSecret } = createCredentials({
            name, secretName: POSTGRESQL_CREDENTIALS_SECRET, namespace: args.namespace, labels, clients: args.clients, child,
            admin: { role: "superuser", username: "postgres", source: s.superuser },
        });

        const clients = clientsList(args.clients);
        const scripts = new k8s.core.v1.ConfigMap(`${name}-scripts`, {
            metadata: { name: `${instance}-scripts`, namespace: args.namespace, labels },
            data: { "start.sh": POSTGRESQL_START_SCRIPT, "ensure-clients.sh": POSTGRESQL_ENSURE_CLIENTS_SCRIPT, clients },
        }, child);
        const settings = { PGDATA };
        const settingsCm = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: `${instance}-config`, namespace: args.namespace, labels },
            data: settings,
        }, child);

        const selector = selectorLabels("postgresql", instance);
        const ready = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", String(POSTGRESQL_PORT)];
        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "postgresql",
            instance,
            namespace: args.namespace,
            extraLabels: { [DATA_STORE_LABEL]: "true" },
            workloadAnnotations: { [CLIENTS_ANNOTATION]: clientsAnnotation(args.clients) },
            profile: args.profile,
            replicas: { fixed: s.replicas },
            uid: DATA_STORE_UIDS.postgresql,
            configChecksum: checksum({ settings, start: POSTGRESQL_START_SCRIPT, ensure: POSTGRESQL_ENSURE_CLIENTS_SCRIPT, clients }),
            antiAffinity: s.antiAffinity,
            antiAffinityWeight: s.antiAffinityWeight,
            pdbMinAvailable: s.pdbMinAvailable,
            // A clean shutdown (no crash recovery at the next start) needs more than the default 30 s.
            terminationGracePeriodSeconds: 120,
            statefulSet: { podManagementPolicy: "OrderedReady", volumeClaimTemplates: volumeClaimTemplates("postgresql", instance, s.storage), pvcRetention: s.storage.retention },
            childOptions: { protect: s.protect, ...(args.dependsOn ? { dependsOn: args.dependsOn } : {}) },
            volumes: [
                { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } },
                { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } },
            ],
            containers: [{
                name: "postgresql",
                image: s.image,
                command: ["/bin/bash", "/scripts/start.sh"],
                ports: [{ name: "postgresql", containerPort: POSTGRESQL_PORT }],
                env: [
                    ...configMapEnv(settingsCm.metadata.name, settings),
                    secretEnv("POSTGRES_USER", superuser.name, superuser.usernameKey),
                    secretEnv("POSTGRES_PASSWORD", superuser.name, superuser.passwordKey),
                    ...args.clients.map((c) => secretEnv(clientPasswordEnv(c.name), credentialsSecret, `client-${c.name}-password`)),
                ],
                resources: s.resources,
                probes: {
                    startupProbe: { exec: { command: ready }, periodSeconds: 5, failureThreshold: 120, timeoutSeconds: 5 },
                    livenessProbe: { exec: { command: ready }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
                    readinessProbe: { exec: { command: ready }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 5 },
                },
                writablePaths: [{ name: "run", path: "/var/run/postgresql", sizeLimit: "16Mi" }],
                volumeMounts: [
                    { name: "data", mountPath: PG_MOUNT },
                    { name: "scripts", mountPath: "/scripts", readOnly: true },
                    { name: "dshm", mountPath: "/dev/shm" },
                ],
            }, ...(args.exporter ? [postgresqlExporter(superuser)] : [])],
        }, {
            parent: this,
            protect: s.protect,
        });

        for (const c of args.clients) {
            const objs = createClientObjects({
                store: "postgresql", instance, client: c, logicalName: name, parent: this, protect: s.protect,
                settings: { host, port: String(POSTGRESQL_PORT), database: c.database, sslmode: "disable", "jdbc-url": jdbcUrl(host, POSTGRESQL_PORT, c.database, "disable") },
                secretData: { username: c.user, password: passwords.get(c.name)! },
            });
            env.set(c.name, wire(c, objs.configMapName, objs.secretName!, "username", "password"));
        }

        this.flows = dataStoreFlows({
            store: "postgresql", mode: "in-cluster", clients: args.clients, clientPorts: this.clientPorts,
            server: { namespace: nsName, podLabels: selector, peerPorts: network.peerPorts },
        });
        this.env = env;
        this.registerOutputs({ serviceName: workload.serviceName });
    }

    /** The env vars a declared client's container needs (KC_DB_* or PG*), by reference. */
    public clientEnv(clientName: string): EnvVar[] {
        return clientEnvOf("postgresql", this.env, clientName);
    }
}
