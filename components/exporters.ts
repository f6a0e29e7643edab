/**
 * The metrics exporters that run beside the data stores when monitoring is on (PostgreSQL and
 * MongoDB have no Prometheus endpoint of their own; Qdrant serves /metrics itself). Each is a
 * second container of the store's pod, hardened by the workload builder like every container
 * (restricted securityContext, read-only root, requests/limits, probes), connecting to the server on
 * 127.0.0.1 with credentials by secretKeyRef only — never in a URI, an argument or a ConfigMap.
 *
 * Images (docs/images.md): the vendors' own, pinned to a release tag.
 * - postgres_exporter (prometheus-community): `DATA_SOURCE_URI` (host:port/db?params, no
 *   credentials) plus `DATA_SOURCE_USER` / `DATA_SOURCE_PASS`; listens on :9187
 *   (`--web.listen-address`), runs as `nobody` (65534); exports `pg_up`.
 * - mongodb_exporter (Percona): `--mongodb.uri` plus `MONGODB_USER` / `MONGODB_PASSWORD` (its README:
 *   the env vars keep the password out of `ps`); listens on :9216 (`--web.listen-address`), runs as
 *   65535; exports `mongodb_up`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MONGODB_PORT, POSTGRESQL_PORT } from "../stacks/dataStores";
import { MONGODB_EXPORTER_PORT, POSTGRESQL_EXPORTER_PORT } from "../stacks/flows";
import { secretEnv } from "./env";
import { ContainerArgs } from "./workload";

/** prometheus-community's postgres_exporter, as published on quay.io (and Docker Hub) for tag v0.20.1. */
export const POSTGRESQL_EXPORTER_IMAGE = "quay.io/prometheuscommunity/postgres-exporter:v0.20.1";
/** Percona's mongodb_exporter, as published on Docker Hub for release 0.53.0. */
export const MONGODB_EXPORTER_IMAGE = "docker.io/percona/mongodb_exporter:0.53.0";
/** uid of each exporter image's USER (postgres_exporter: nobody; mongodb_exporter: 65535). */
const EXPORTER_UIDS = { postgresql: 65534, mongodb: 65535 } as const;
/** Name of the exporter container (and of its port, `metrics`). */
export const EXPORTER_CONTAINER = "metrics-exporter";

/** Small requests: an exporter answers one scrape every interval (level 1 runs none by default). */
const EXPORTER_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } };

/** TCP probes on the metrics port: the exporter serves even while the database is down (then `*_up` is 0). */
function tcpProbes(): Pick<k8s.types.input.core.v1.Container, "livenessProbe" | "readinessProbe"> {
    const tcp = { tcpSocket: { port: "metrics" } };
    return {
        livenessProbe: { ...tcp, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { ...tcp, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    };
}

/** A credential pair in a Secret (the store's admin user). */
interface ExporterCredentials {
    readonly name: pulumi.Input<string>;
    readonly usernameKey: string;
    readonly passwordKey: string;
}

/** The postgres_exporter container: the local server, the superuser's credentials by reference. */
export function postgresqlExporter(creds: ExporterCredentials, image = POSTGRESQL_EXPORTER_IMAGE): ContainerArgs {
    return {
        name: EXPORTER_CONTAINER,
        image,
        args: [`--web.listen-address=:${POSTGRESQL_EXPORTER_PORT}`],
        ports: [{ name: "metrics", containerPort: POSTGRESQL_EXPORTER_PORT }],
        env: [
            { name: "DATA_SOURCE_URI", value: `127.0.0.1:${POSTGRESQL_PORT}/postgres?sslmode=disable` },
            secretEnv("DATA_SOURCE_USER", creds.name, creds.usernameKey),
            secretEnv("DATA_SOURCE_PASS", creds.name, creds.passwordKey),
        ],
        resources: EXPORTER_RESOURCES,
        probes: tcpProbes(),
        runAsUser: EXPORTER_UIDS.postgresql,
    };
}

/** The mongodb_exporter container: the local mongod (direct connection), the root user's credentials by reference. */
export function mongodbExporter(creds: ExporterCredentials, image = MONGODB_EXPORTER_IMAGE): ContainerArgs {
    return {
        name: EXPORTER_CONTAINER,
        image,
        args: [
            `--mongodb.uri=mongodb://127.0.0.1:${MONGODB_PORT}/admin`,
            `--web.listen-address=:${MONGODB_EXPORTER_PORT}`,
        ],
        ports: [{ name: "metrics", containerPort: MONGODB_EXPORTER_PORT }],
        env: [
            secretEnv("MONGODB_USER", creds.name, creds.usernameKey),
            secretEnv("MONGODB_PASSWORD", creds.name, creds.passwordKey),
        ],
        resources: EXPORTER_RESOURCES,
        probes: tcpProbes(),
        runAsUser: EXPORTER_UIDS.mongodb,
    };
}
