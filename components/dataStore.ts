/**
 * What the three data stores (Qdrant, MongoDB, PostgreSQL) share: the labels and annotations other
 * parts of the platform rely on, the per-pod volume template, the client wiring (a ConfigMap with the
 * connection settings and a Secret with the credentials, in each client's own namespace), the
 * network-flow description, and the transformation that completes the StatefulSet the hardened
 * workload builder creates. The decisions are pure functions; the components create the objects.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DataStoreKind, InClusterSpec } from "../stacks/dataStores";
import { PART_OF, recommendedLabels, selectorLabels } from "./workload";

type EnvVar = k8s.types.input.core.v1.EnvVar;

export { DATA_STORE_ZONE, dataStoreNetwork } from "../stacks/dataStores";

/** Label on every data-store object (StatefulSet metadata and pod template included). */
export const DATA_STORE_LABEL = "agentstack.io/data-store";
/** StatefulSet annotation: JSON array of the declared clients, `[{ "namespace", "podLabels" }]`. */
export const CLIENTS_ANNOTATION = "agentstack.io/clients";
/** Label naming the client a client-side ConfigMap/Secret belongs to. */
export const CLIENT_LABEL = "agentstack.io/data-store-client";


/** The StatefulSet fields Kubernetes never lets change (a change means deleting the StatefulSet). */
export const IMMUTABLE_STATEFULSET_FIELDS = ["selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"] as const;

/** The immutable part of a rendered StatefulSet (for comparing renders). */
export function immutableFields(sts: Record<string, any>): Record<string, unknown> {
    const spec = sts["spec"] ?? {};
    return Object.fromEntries(IMMUTABLE_STATEFULSET_FIELDS.map((f) => [f, spec[f]]));
}

/** A workload that may use a data store. */
export interface DataStoreClient {
    /** The client's instance name (e.g. `agent-alpha`, `keycloak`); names its Secret and ConfigMap. */
    readonly name: string;
    /** The client's namespace: pass the Namespace's `metadata.name` so the objects wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** The same namespace as a plain name (annotation, flows). */
    readonly namespaceName: string;
    /** Labels selecting the client's pods (for the network policy). */
    readonly podLabels: Readonly<Record<string, string>>;
}

/** The labels of every object of a data store. */
export function dataStoreLabels(component: DataStoreKind, instance: string): Record<string, string> {
    return { ...recommendedLabels(component, instance), [DATA_STORE_LABEL]: "true" };
}

/** The value of the clients annotation: unique entries, sorted, keys in a fixed order. */
export function clientsAnnotation(clients: readonly Pick<DataStoreClient, "namespaceName" | "podLabels">[]): string {
    const entries = clients.map((c) => ({
        namespace: c.namespaceName,
        podLabels: Object.fromEntries(Object.entries(c.podLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    }));
    const unique = [...new Map(entries.map((e) => [JSON.stringify(e), e])).values()];
    unique.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return JSON.stringify(unique);
}

/** Throws on a client list with duplicate names (each client gets its own Secret and user). */
export function checkClients(store: DataStoreKind, clients: readonly Pick<DataStoreClient, "name">[]): void {
    const seen = new Set<string>();
    for (const c of clients) {
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(c.name) || c.name.length > 50) {
            throw new Error(`${store}: client name "${c.name}" must be a DNS label of at most 50 characters`);
        }
        if (seen.has(c.name)) throw new Error(`${store}: client "${c.name}" is declared twice`);
        seen.add(c.name);
    }
}

/**
 * The volume claim template of a store: one volume `data` per pod. Part of the StatefulSet's immutable
 * fields, so it depends only on the storage config — never on the level, the image or the replicas.
 */
export function volumeClaimTemplates(component: DataStoreKind, instance: string, storage: InClusterSpec["storage"]): k8s.types.input.core.v1.PersistentVolumeClaim[] {
    return [{
        metadata: { name: "data", labels: { ...selectorLabels(component, instance), "app.kubernetes.io/part-of": PART_OF } },
        spec: {
            accessModes: ["ReadWriteOnce"],
            ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
            resources: { requests: { storage: storage.size } },
        },
    }];
}

/**
 * A container start script that keeps bash as PID 1 in front of the server: bash reaps the background
 * helper the prelude may start (a server as PID 1 would leave it a zombie, or — PostgreSQL — count an
 * unknown child's exit), and it forwards Kubernetes' SIGTERM as the server's own clean-shutdown signal
 * (PostgreSQL: SIGINT, the "fast" shutdown its image declares; SIGTERM would be the "smart" one, which
 * waits for every client pool to disconnect until the grace period ends in SIGKILL).
 */
export function supervisedStartScript(a: { readonly prelude: string; readonly start: string; readonly stopSignal: "INT" | "TERM" }): string {
    return [
        "#!/bin/bash",
        "# Generated by agentstack: bash stays PID 1, reaps helpers and forwards the stop signal.",
        "set -euo pipefail",
        a.prelude.trimEnd(),
        `${a.start} &`,
        "server=$!",
        `trap 'kill -${a.stopSignal} "$server" 2>/dev/null || true' TERM INT`,
        "while :; do",
        '  set +e; wait "$server"; status=$?; set -e',
        '  kill -0 "$server" 2>/dev/null || exit "$status"',
        "done",
        "",
    ].join("\n");
}

/** Options of every child of a data store: its parent and, at level 3, `protect`. */
export function childOptions(parent: pulumi.Resource, protect: boolean): pulumi.CustomResourceOptions {
    return { parent, protect };
}

/** What a client-side object pair is made of. */
export interface ClientObjectsArgs {
    /** The store (names the objects: `<store>-<client>`). */
    readonly store: DataStoreKind;
    /** Instance of the store (recommended labels). */
    readonly instance: string;
    /** The client. */
    readonly client: DataStoreClient;
    /** Non-secret connection settings (ConfigMap data). */
    readonly settings: Readonly<Record<string, string>>;
    /** Credentials the program owns (Secret data); undefined when the user's Secret is referenced instead. */
    readonly secretData?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Logical-name prefix of the Pulumi resources. */
    readonly logicalName: string;
    /** Parent of the created objects (the store component). */
    readonly parent: pulumi.Resource;
    /** Pulumi `protect` on the created objects (the store's level-3 rule). */
    readonly protect: boolean;
}

/** The objects a client reads, by name (outputs, so a client workload waits for them). */
export interface ClientObjects {
    readonly configMapName: pulumi.Output<string>;
    /** The program-owned Secret, when there is one. */
    readonly secretName?: pulumi.Output<string>;
}

/** Name of a client's ConfigMap and Secret: `<store>-<client>`. */
export function clientObjectName(store: DataStoreKind, client: string): string {
    return `${store}-${client}`;
}

/** Creates a client's ConfigMap (settings) and, for program-owned credentials, its Secret. */
export function createClientObjects(a: ClientObjectsArgs): ClientObjects {
    const name = clientObjectName(a.store, a.client.name);
    const labels = { ...dataStoreLabels(a.store, a.instance), [CLIENT_LABEL]: a.client.name };
    const opts = childOptions(a.parent, a.protect);
    const cm = new k8s.core.v1.ConfigMap(`${a.logicalName}-client-${a.client.name}`, {
        metadata: { name, namespace: a.client.namespace, labels },
        data: { ...a.settings },
    }, opts);
    if (!a.secretData) return { configMapName: cm.metadata.name };
    const secret = new k8s.core.v1.Secret(`${a.logicalName}-client-${a.client.name}`, {
        metadata: { name, namespace: a.client.namespace, labels },
        type: "Opaque",
        stringData: Object.fromEntries(Object.entries(a.secretData).map(([k, v]) => [k, pulumi.secret(v)])),
    }, opts);
    return { configMapName: cm.metadata.name, secretName: secret.metadata.name };
}

/**
 * The network flows of a data store, as data (for the NetworkPolicy code and its tests): who may
 * connect, to which ports, and — in-cluster — the server pods and their peer ports, or — external —
 * the addresses the clients need egress to.
 */
export interface DataStoreFlows {
    readonly store: DataStoreKind;
    readonly mode: "in-cluster" | "external";
    /** The declared clients. */
    readonly clients: ReadonlyArray<{ readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> }>;
    /** Ports the clients connect to. */
    readonly clientPorts: readonly number[];
    /** In-cluster: the server pods and the ports they use among themselves (none for a single pod). */
    readonly server?: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>>; readonly peerPorts: readonly number[] };
    /** External: the service's address. */
    readonly external?: { readonly host: string; readonly cidrs: readonly string[]; readonly port: number };
}

/** The flows of a store from its resolved facts. */
export function dataStoreFlows(a: {
    readonly store: DataStoreKind;
    readonly mode: "in-cluster" | "external";
    readonly clients: readonly Pick<DataStoreClient, "namespaceName" | "podLabels">[];
    readonly clientPorts: readonly number[];
    readonly server?: DataStoreFlows["server"];
    readonly external?: DataStoreFlows["external"];
}): DataStoreFlows {
    return {
        store: a.store,
        mode: a.mode,
        clients: JSON.parse(clientsAnnotation(a.clients)) as DataStoreFlows["clients"],
        clientPorts: [...a.clientPorts],
        ...(a.server ? { server: a.server } : {}),
        ...(a.external ? { external: a.external } : {}),
    };
}

/** A reference to a username/password pair in a Secret. */
export interface CredentialRef {
    readonly name: pulumi.Input<string>;
    readonly usernameKey: string;
    readonly passwordKey: string;
}

/**
 * The server-side credentials of a store: one generated password per client and the admin user —
 * generated (kept in the same Secret) or the user's own Secret by reference.
 */
export function createCredentials(a: {
    /** Logical name of the store component (prefixes the child names). */
    readonly name: string;
    readonly secretName: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly clients: readonly Pick<DataStoreClient, "name">[];
    /** The admin user: its role (`root`, `superuser`), its generated username, or the user's Secret. */
    readonly admin: { readonly role: string; readonly username: string; readonly source: { readonly kind: "generated" } | ({ readonly kind: "secretRef" } & CredentialRef) };
    readonly child: pulumi.CustomResourceOptions;
}): { readonly passwords: ReadonlyMap<string, pulumi.Output<string>>; readonly admin: CredentialRef; readonly secretName: pulumi.Output<string> } {
    const passwords = new Map(a.clients.map((c) => [c.name, pulumi.secret(new random.RandomPassword(`${a.name}-client-${c.name}-password`, { length: 32, special: false }, a.child).result)]));
    const data: Record<string, pulumi.Input<string>> = {};
    for (const [client, pw] of passwords) data[`client-${client}-password`] = pw;
    const role = a.admin.role;
    if (a.admin.source.kind === "generated") {
        const pw = new random.RandomPassword(`${a.name}-${role}-password`, { length: 32, special: false }, a.child);
        data[`${role}-username`] = a.admin.username;
        data[`${role}-password`] = pulumi.secret(pw.result);
    }
    const secret = new k8s.core.v1.Secret(`${a.name}-credentials`, {
        metadata: { name: a.secretName, namespace: a.namespace, labels: a.labels },
        type: "Opaque",
        stringData: data,
    }, a.child);
    const src = a.admin.source;
    const admin: CredentialRef = src.kind === "generated"
        ? { name: secret.metadata.name, usernameKey: `${role}-username`, passwordKey: `${role}-password` }
        : { name: src.name, usernameKey: src.usernameKey, passwordKey: src.passwordKey };
    return { passwords, admin, secretName: secret.metadata.name };
}

/** The env of one declared client (copies), or an error naming the declared ones. */
export function clientEnvOf(store: DataStoreKind, env: ReadonlyMap<string, EnvVar[]>, clientName: string): EnvVar[] {
    const e = env.get(clientName);
    if (!e) throw new Error(`${store}: "${clientName}" is not a declared client (declared: ${[...env.keys()].join(", ") || "none"})`);
    return e.map((x) => ({ ...x }));
}
