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
import * as pulumi from "@pulumi/pulumi";
import { POSTGRESQL_PORT, PostgreSqlSpec } from "../stacks/dataStores";
import { ClientObjects, DataStore, DataStoreArgs, DataStoreClient, DataStoreDefinition } from "./dataStore";
// The server-side helpers every scripted store uses (credentials, start script, probes).
import * as scripted from "./dataStore";
import { configEnv, secretEnv } from "./env";
import { postgresqlExporter } from "./exporters";

/** Server-side Secret of the superuser and the client passwords. */
const POSTGRESQL_CREDENTIALS_SECRET = "postgresql-credentials";
/** Where the volume is mounted, and PGDATA below it. */
const PG_MOUNT = "/var/lib/postgresql/data";
const PGDATA = `${PG_MOUNT}/pgdata`;

/** A PostgreSQL client: its role `user` owns database `database`. */
interface PostgreSqlClient extends DataStoreClient {
    readonly database: string;
    readonly user: string;
    /** Which env var names `clientEnv` uses: Keycloak's KC_DB_* or libpq's PG*. Default libpq. */
    readonly envStyle?: "keycloak" | "libpq";
}

type PostgreSqlArgs = DataStoreArgs<PostgreSqlSpec, PostgreSqlClient>;

const PG_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** The start script: the client reconciler in the background, then the image's entrypoint, supervised. */
const POSTGRESQL_START_SCRIPT = scripted.supervisedStartScript({
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
    return clients.map((c) => `${c.user} ${c.database} ${scripted.clientPasswordEnv("postgresql", c.name)}\n`).join("");
}

/** The JDBC URL of a database. */
function jdbcUrl(host: string, port: number, database: string, sslMode: string): string {
    return `jdbc:postgresql://${host}:${port}/${database}${sslMode === "disable" ? "" : `?sslmode=${sslMode}`}`;
}

type InCluster = Extract<PostgreSqlSpec, { mode: "in-cluster" }>;
type External = Extract<PostgreSqlSpec, { mode: "external" }>;

/** A client's env: Keycloak's KC_DB_* or libpq's PG*, the user and password read from `secret`. */
function clientEnv(
    c: PostgreSqlClient,
    objs: ClientObjects,
    secret: pulumi.Input<string>,
    userKey: string,
    passwordKey: string,
) {
    const cm = objs.configMapName;
    return c.envStyle === "keycloak"
        ? [
              configEnv("KC_DB_URL", cm, "jdbc-url"),
              secretEnv("KC_DB_USERNAME", secret, userKey),
              secretEnv("KC_DB_PASSWORD", secret, passwordKey),
          ]
        : [
              ...(["host", "port", "database", "sslmode"] as const).map((k) =>
                  configEnv(`PG${k.toUpperCase()}`, cm, k),
              ),
              secretEnv("PGUSER", secret, userKey),
              secretEnv("PGPASSWORD", secret, passwordKey),
          ];
}

/** A client's ConfigMap data. */
function clientSettings(host: string, port: number, database: string, sslMode: string): Record<string, string> {
    return { host, port: String(port), database, sslmode: sslMode, "jdbc-url": jdbcUrl(host, port, database, sslMode) };
}

/** PostgreSQL's own part of the data-store skeleton. */
const POSTGRESQL: DataStoreDefinition<InCluster, External, PostgreSqlClient> = {
    store: "postgresql",
    checkClients: (clients) => {
        for (const c of clients) {
            if (!PG_IDENT.test(c.user))
                throw new Error(`postgresql: user "${c.user}" of client ${c.name} must match ${PG_IDENT}`);
            if (!PG_IDENT.test(c.database))
                throw new Error(`postgresql: database "${c.database}" of client ${c.name} must match ${PG_IDENT}`);
        }
    },
    external: (s, c) => ({
        settings: clientSettings(s.host, s.port, c.database, s.sslMode),
        env: (objs) => clientEnv(c, objs, s.credentials.name, s.credentials.usernameKey, s.credentials.passwordKey),
    }),
    server: ({ name, parent, spec: s, clients, namespace, host, labels }) => {
        const {
            passwords,
            admin: superuser,
            env,
        } = scripted.createCredentials({
            store: "postgresql",
            name,
            secretName: POSTGRESQL_CREDENTIALS_SECRET,
            namespace,
            labels,
            clients,
            parent,
            admin: { role: "superuser", username: "postgres", source: s.superuser },
        });
        const list = clientsList(clients);
        const settings = { PGDATA };
        const ready = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", String(POSTGRESQL_PORT)];
        return {
            settings,
            scripts: {
                "start.sh": POSTGRESQL_START_SCRIPT,
                "ensure-clients.sh": POSTGRESQL_ENSURE_CLIENTS_SCRIPT,
                clients: list,
            },
            workload: (scripts) => ({
                checksum: {
                    settings,
                    start: POSTGRESQL_START_SCRIPT,
                    ensure: POSTGRESQL_ENSURE_CLIENTS_SCRIPT,
                    clients: list,
                },
                // A clean shutdown (no crash recovery at the next start) needs more than the default 30 s.
                terminationGracePeriodSeconds: 120,
                podManagementPolicy: "OrderedReady",
                volumes: [scripts!, { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } }],
                container: {
                    ...scripted.scriptedServerContainer("postgresql", s.image, POSTGRESQL_PORT),
                    env: env("POSTGRES_USER", "POSTGRES_PASSWORD"),
                    resources: s.resources,
                    probes: scripted.storeProbes({ exec: { command: ready } }, 5, {
                        exec: { command: ready },
                        periodSeconds: 5,
                        failureThreshold: 3,
                        timeoutSeconds: 5,
                    }),
                    writablePaths: [{ name: "run", path: "/var/run/postgresql", sizeLimit: "16Mi" }],
                    volumeMounts: [
                        { name: "data", mountPath: PG_MOUNT },
                        { name: "scripts", mountPath: "/scripts", readOnly: true },
                        { name: "dshm", mountPath: "/dev/shm" },
                    ],
                },
                exporter: postgresqlExporter(superuser),
            }),
            client: (c) => ({
                settings: clientSettings(host, POSTGRESQL_PORT, c.database, "disable"),
                secretData: { username: c.user, password: passwords.get(c.name)! },
                env: (objs) => clientEnv(c, objs, objs.secretName!, "username", "password"),
            }),
        };
    },
};

/** The relational store; `clientEnv` gives a declared client KC_DB_* or PG*, by reference. */
export class PostgreSql extends DataStore<InCluster, External, PostgreSqlClient> {
    constructor(name: string, args: PostgreSqlArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:data:PostgreSQL", name, args, POSTGRESQL, opts);
        this.registerOutputs(this.serviceName ? { serviceName: this.serviceName } : {});
    }
}
