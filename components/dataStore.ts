/**
 * The data-store skeleton the three stores (Qdrant, MongoDB, PostgreSQL) are made of: the component
 * (`DataStore`: `protect` set once on it, every child inherits it), the external branch (only the
 * clients' wiring), the in-cluster server (its settings and scripts ConfigMaps, a hardened StatefulSet
 * with a volume per pod, the declared-clients annotation), and the client loop (a ConfigMap with the
 * connection settings and a Secret with the credentials, in each client's own namespace). A store
 * describes only what is its own — scripts, probes, env, volumes — as a `DataStoreDefinition`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
    DATA_STORE_ZONE,
    DataStoreKind,
    DataStoresSpec,
    ExternalSpec,
    InClusterSpec,
    dataStoreNetwork,
} from "../stacks/dataStores";
import type { Namespaces } from "../stacks/resolve";
import {
    CLIENT_LABEL,
    CLIENTS_ANNOTATION,
    DATA_STORE_LABEL,
    PART_OF,
    PART_OF_LABEL,
    recommendedLabels,
    selectorLabels,
} from "../lib/labels";
import { configMapEnv, secretEnv } from "./env";
import { INSTANCES, envName, serviceHost } from "./names";
import { ContainerArgs, HardenedWorkload, HardenedWorkloadArgs, checksum, fixedWorkload } from "./workload";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
/** The resolved spec of any store. */
type StoreSpec = DataStoresSpec[DataStoreKind];

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
function dataStoreLabels(component: DataStoreKind, instance: string): Record<string, string> {
    return { ...recommendedLabels(component, instance), [DATA_STORE_LABEL]: "true" };
}

/** The value of the clients annotation: unique entries, sorted, keys in a fixed order. */
function clientsAnnotation(clients: readonly Pick<DataStoreClient, "namespaceName" | "podLabels">[]): string {
    const entries = clients.map((c) => ({
        namespace: c.namespaceName,
        podLabels: Object.fromEntries(Object.entries(c.podLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    }));
    const unique = [...new Map(entries.map((e) => [JSON.stringify(e), e])).values()];
    unique.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return JSON.stringify(unique);
}

/** Throws on a client list with duplicate names (each client gets its own Secret and user). */
function checkClients(store: DataStoreKind, clients: readonly Pick<DataStoreClient, "name">[]): void {
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
function volumeClaimTemplates(
    component: DataStoreKind,
    instance: string,
    storage: InClusterSpec["storage"],
): k8s.types.input.core.v1.PersistentVolumeClaim[] {
    return [
        {
            metadata: { name: "data", labels: { ...selectorLabels(component, instance), [PART_OF_LABEL]: PART_OF } },
            spec: {
                accessModes: ["ReadWriteOnce"],
                ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
                resources: { requests: { storage: storage.size } },
            },
        },
    ];
}

/**
 * A container start script that keeps bash as PID 1 in front of the server: bash reaps the background
 * helper the prelude may start (a server as PID 1 would leave it a zombie, or — PostgreSQL — count an
 * unknown child's exit), and it forwards Kubernetes' SIGTERM as the server's own clean-shutdown signal
 * (PostgreSQL: SIGINT, the "fast" shutdown its image declares; SIGTERM would be the "smart" one, which
 * waits for every client pool to disconnect until the grace period ends in SIGKILL).
 */
export function supervisedStartScript(a: {
    readonly prelude: string;
    readonly start: string;
    readonly stopSignal: "INT" | "TERM";
}): string {
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

type Probe = k8s.types.input.core.v1.Probe;

/**
 * The head of a store server's container (MongoDB, PostgreSQL): named after the store, started by its
 * supervised `/scripts/start.sh` (supervisedStartScript), one port named after the store.
 */
export function scriptedServerContainer(
    store: DataStoreKind,
    image: string,
    port: number,
): Pick<ContainerArgs, "name" | "image" | "command" | "ports"> {
    return {
        name: store,
        image,
        command: ["/bin/bash", "/scripts/start.sh"],
        ports: [{ name: store, containerPort: port }],
    };
}

/**
 * A store server's probes: `alive` as the startup probe (up to ten minutes: 5 s × 120, for recovery
 * after an unclean stop) and the liveness probe (a restart after a minute: 10 s × 6), and the store's
 * own readiness probe.
 */
export function storeProbes(
    alive: Pick<Probe, "exec" | "tcpSocket">,
    startupTimeoutSeconds: number,
    readiness: Probe,
): { startupProbe: Probe; livenessProbe: Probe; readinessProbe: Probe } {
    return {
        startupProbe: { ...alive, periodSeconds: 5, failureThreshold: 120, timeoutSeconds: startupTimeoutSeconds },
        livenessProbe: { ...alive, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
        readinessProbe: readiness,
    };
}

/** What a client-side object pair is made of. */
interface ClientObjectsArgs {
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
    /** Parent of the created objects (the store component, whose `protect` they inherit). */
    readonly parent: pulumi.Resource;
}

/** The objects a client reads, by name (outputs, so a client workload waits for them). */
export interface ClientObjects {
    readonly configMapName: pulumi.Output<string>;
    /** The program-owned Secret, when there is one. */
    readonly secretName?: pulumi.Output<string>;
}

/** Name of a client's ConfigMap and Secret: `<store>-<client>`. */
function clientObjectName(store: DataStoreKind, client: string): string {
    return `${store}-${client}`;
}

/** Creates a client's ConfigMap (settings) and, for program-owned credentials, its Secret. */
function createClientObjects(a: ClientObjectsArgs): ClientObjects {
    const name = clientObjectName(a.store, a.client.name);
    const labels = { ...dataStoreLabels(a.store, a.instance), [CLIENT_LABEL]: a.client.name };
    const opts = { parent: a.parent };
    const cm = new k8s.core.v1.ConfigMap(
        `${a.logicalName}-client-${a.client.name}`,
        {
            metadata: { name, namespace: a.client.namespace, labels },
            data: { ...a.settings },
        },
        opts,
    );
    if (!a.secretData) return { configMapName: cm.metadata.name };
    const secret = new k8s.core.v1.Secret(
        `${a.logicalName}-client-${a.client.name}`,
        {
            metadata: { name, namespace: a.client.namespace, labels },
            type: "Opaque",
            stringData: Object.fromEntries(Object.entries(a.secretData).map(([k, v]) => [k, pulumi.secret(v)])),
        },
        opts,
    );
    return { configMapName: cm.metadata.name, secretName: secret.metadata.name };
}

/** Env var (in the server container) holding a client's password, for the store's own client script. */
export function clientPasswordEnv(store: DataStoreKind, client: string): string {
    return `${store.toUpperCase()}_CLIENT_${envName(client)}_PASSWORD`;
}

/** A reference to a username/password pair in a Secret. */
interface CredentialRef {
    readonly name: pulumi.Input<string>;
    readonly usernameKey: string;
    readonly passwordKey: string;
}

/**
 * The server-side credentials of a store: one generated password per client and the admin user —
 * generated (kept in the same Secret) or the user's own Secret by reference.
 */
export function createCredentials(a: {
    readonly store: DataStoreKind;
    /** Logical name of the store component (prefixes the child names). */
    readonly name: string;
    readonly secretName: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly clients: readonly Pick<DataStoreClient, "name">[];
    /** The admin user: its role (`root`, `superuser`), its generated username, or the user's Secret. */
    readonly admin: {
        readonly role: string;
        readonly username: string;
        readonly source: { readonly kind: "generated" } | ({ readonly kind: "secretRef" } & CredentialRef);
    };
    readonly parent: pulumi.Resource;
}): {
    readonly passwords: ReadonlyMap<string, pulumi.Output<string>>;
    readonly admin: CredentialRef;
    /** The server container's env: the admin user as `userVar`/`passwordVar`, each client's password as `clientPasswordEnv`. */
    readonly env: (userVar: string, passwordVar: string) => EnvVar[];
} {
    const passwords = new Map(
        a.clients.map((c) => [
            c.name,
            pulumi.secret(
                new random.RandomPassword(
                    `${a.name}-client-${c.name}-password`,
                    { length: 32, special: false },
                    { parent: a.parent },
                ).result,
            ),
        ]),
    );
    const data: Record<string, pulumi.Input<string>> = {};
    for (const [client, pw] of passwords) data[`client-${client}-password`] = pw;
    const role = a.admin.role;
    if (a.admin.source.kind === "generated") {
        const pw = new random.RandomPassword(
            `${a.name}-${role}-password`,
            { length: 32, special: false },
            { parent: a.parent },
        );
        data[`${role}-username`] = a.admin.username;
        data[`${role}-password`] = pulumi.secret(pw.result);
    }
    const secret = new k8s.core.v1.Secret(
        `${a.name}-credentials`,
        {
            metadata: { name: a.secretName, namespace: a.namespace, labels: a.labels },
            type: "Opaque",
            stringData: data,
        },
        { parent: a.parent },
    );
    const src = a.admin.source;
    const admin: CredentialRef =
        src.kind === "generated"
            ? { name: secret.metadata.name, usernameKey: `${role}-username`, passwordKey: `${role}-password` }
            : { name: src.name, usernameKey: src.usernameKey, passwordKey: src.passwordKey };
    const env = (userVar: string, passwordVar: string) => [
        secretEnv(userVar, admin.name, admin.usernameKey),
        secretEnv(passwordVar, admin.name, admin.passwordKey),
        ...a.clients.map((c) =>
            secretEnv(clientPasswordEnv(a.store, c.name), secret.metadata.name, `client-${c.name}-password`),
        ),
    ];
    return { passwords, admin, env };
}

/** The env of one declared client (copies), or an error naming the declared ones. */
function clientEnvOf(store: DataStoreKind, env: ReadonlyMap<string, EnvVar[]>, clientName: string): EnvVar[] {
    const e = env.get(clientName);
    if (!e)
        throw new Error(
            `${store}: "${clientName}" is not a declared client (declared: ${[...env.keys()].join(", ") || "none"})`,
        );
    return e.map((x) => ({ ...x }));
}

/** What every store component takes. */
export interface DataStoreArgs<S, C extends DataStoreClient> {
    /** The resolved spec (in-cluster or external). */
    readonly spec: S;
    /** Namespace of the server objects (the store's zone Namespace's `metadata.name`). */
    readonly namespace: pulumi.Input<string>;
    /** Namespace names of the platform (for DNS names). */
    readonly namespaces: Namespaces;
    /** The declared clients. */
    readonly clients: readonly C[];
    /** Resources the server workload waits for (e.g. the network policies). Default none. */
    readonly dependsOn?: pulumi.Resource[];
    /** Run the store's metrics exporter beside the server (agentstack:monitoring; components/exporters.ts). Default off. */
    readonly exporter?: boolean;
}

/** What the skeleton hands a store's server description. */
interface ServerContext<S, C> {
    /** Logical name of the component (prefixes the children's names). */
    readonly name: string;
    readonly parent: pulumi.Resource;
    readonly spec: S;
    readonly clients: readonly C[];
    readonly namespace: pulumi.Input<string>;
    /** The server's namespace, as a plain name. */
    readonly namespaceName: string;
    /** The Service's cluster DNS name. */
    readonly host: string;
    /** Labels of every server object. */
    readonly labels: Record<string, string>;
}

/** A client's wiring: its ConfigMap data, its Secret data (none when a Secret of the user's is read), and its env. */
interface ClientWiring {
    readonly settings: Readonly<Record<string, string>>;
    readonly secretData?: Readonly<Record<string, pulumi.Input<string>>>;
    readonly env: (objects: ClientObjects) => EnvVar[];
}

/** The store's own part of the server's StatefulSet. */
type StoreWorkload = Pick<HardenedWorkloadArgs, "servicePorts" | "initContainers" | "volumes"> & {
    /** Seconds to wait for a clean stop. */
    readonly terminationGracePeriodSeconds: number;
    readonly podManagementPolicy: "OrderedReady" | "Parallel";
    /** What the pod-template checksum hashes (the settings, the scripts). */
    readonly checksum: unknown;
    /** The server container; the skeleton prepends the settings env and appends the exporter. */
    readonly container: ContainerArgs;
    /** The metrics exporter container (when monitoring asks for one). */
    readonly exporter?: ContainerArgs;
};

/** An in-cluster server as a store describes it. */
interface ServerParts<C> {
    /** Non-secret settings: the `<instance>-config` ConfigMap, read by the server container's env. */
    readonly settings: Record<string, string>;
    /** Scripts: the `<instance>-scripts` ConfigMap, mounted read-only at /scripts. Default none. */
    readonly scripts?: Record<string, string>;
    /** The StatefulSet, given the scripts volume. */
    readonly workload: (scriptsVolume: Volume | undefined) => StoreWorkload;
    /** The wiring of one declared client. */
    readonly client: (c: C) => ClientWiring;
}

/** A store: its name, its external wiring and its in-cluster server. */
export interface DataStoreDefinition<
    I extends StoreSpec & InClusterSpec,
    E extends StoreSpec & ExternalSpec,
    C extends DataStoreClient,
> {
    readonly store: DataStoreKind;
    /** Checks of the client list beyond the shared ones (names). Default none. */
    readonly checkClients?: (clients: readonly C[]) => void;
    /** External mode: the wiring of one declared client. */
    readonly external: (spec: E, c: C) => ClientWiring;
    /** In-cluster mode: the server (may create store-specific children, e.g. credentials). */
    readonly server: (ctx: ServerContext<I, C>) => ServerParts<C>;
}

/**
 * Creates a store's children below `parent`: the clients' wiring and, in-cluster, the server.
 * Returns the client ports, each client's env and the Service name (in-cluster).
 */
function createDataStore<
    I extends StoreSpec & InClusterSpec,
    E extends StoreSpec & ExternalSpec,
    C extends DataStoreClient,
>(
    parent: pulumi.Resource,
    name: string,
    args: DataStoreArgs<I | E, C>,
    def: DataStoreDefinition<I, E, C>,
): { clientPorts: number[]; env: ReadonlyMap<string, EnvVar[]>; serviceName?: pulumi.Output<string> } {
    const { store } = def;
    checkClients(store, args.clients);
    def.checkClients?.(args.clients);
    const s = args.spec;
    const instance = INSTANCES[store];
    const env = new Map<string, EnvVar[]>();
    const wire = (c: C, w: ClientWiring) => {
        const objs = createClientObjects({
            store,
            instance,
            client: c,
            logicalName: name,
            parent,
            settings: w.settings,
            ...(w.secretData ? { secretData: w.secretData } : {}),
        });
        env.set(c.name, w.env(objs));
    };
    const clientPorts = dataStoreNetwork(store, s).clientPorts;
    if (s.mode === "external") {
        for (const c of args.clients) wire(c, def.external(s as E, c));
        return { clientPorts, env };
    }

    const labels = dataStoreLabels(store, instance);
    const namespaceName = args.namespaces[DATA_STORE_ZONE[store]];
    const server = def.server({
        name,
        parent,
        spec: s as I,
        clients: args.clients,
        namespace: args.namespace,
        namespaceName,
        host: serviceHost(instance, namespaceName),
        labels,
    });
    const configMap = (suffix: string, data: Record<string, string>) =>
        new k8s.core.v1.ConfigMap(
            `${name}-${suffix}`,
            { metadata: { name: `${instance}-${suffix}`, namespace: args.namespace, labels }, data },
            { parent },
        );
    const settings = configMap("config", server.settings);
    const scripts = server.scripts ? configMap("scripts", server.scripts) : undefined;
    const w = server.workload(
        scripts ? { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } } : undefined,
    );
    const container = {
        ...w.container,
        env: [...configMapEnv(settings.metadata.name, server.settings), ...(w.container.env ?? [])],
    };
    const workload = new HardenedWorkload(
        `${name}-workload`,
        {
            ...fixedWorkload(store, instance, args.namespace, s),
            extraLabels: { [DATA_STORE_LABEL]: "true" },
            workloadAnnotations: { [CLIENTS_ANNOTATION]: clientsAnnotation(args.clients) },
            antiAffinityWeight: s.antiAffinityWeight,
            uid: s.uid,
            configChecksum: checksum(w.checksum),
            terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
            statefulSet: {
                podManagementPolicy: w.podManagementPolicy,
                volumeClaimTemplates: volumeClaimTemplates(store, instance, s.storage),
                pvcRetention: s.storage.retention,
            },
            ...(w.servicePorts ? { servicePorts: w.servicePorts } : {}),
            ...(args.dependsOn ? { childOptions: { dependsOn: args.dependsOn } } : {}),
            ...(w.volumes ? { volumes: w.volumes } : {}),
            ...(w.initContainers ? { initContainers: w.initContainers } : {}),
            containers: [container, ...(args.exporter && w.exporter ? [w.exporter] : [])],
        },
        { parent },
    );
    for (const c of args.clients) wire(c, server.client(c));
    return { clientPorts, env, serviceName: workload.serviceName };
}

/** A data-store component: `protect` (the level-3 rule) set once here, inherited by every child. */
export class DataStore<
    I extends StoreSpec & InClusterSpec,
    E extends StoreSpec & ExternalSpec,
    C extends DataStoreClient,
>
    extends pulumi.ComponentResource
{
    /** Ports clients connect to. */
    public readonly clientPorts: number[];
    /** The Service name (in-cluster only). */
    public readonly serviceName?: pulumi.Output<string>;
    private readonly env: ReadonlyMap<string, EnvVar[]>;
    private readonly store: DataStoreKind;

    constructor(
        type: string,
        name: string,
        args: DataStoreArgs<I | E, C>,
        def: DataStoreDefinition<I, E, C>,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, { ...opts, protect: opts?.protect ?? args.spec.protect });
        const out = createDataStore(this, name, args, def);
        this.store = def.store;
        this.clientPorts = out.clientPorts;
        this.env = out.env;
        if (out.serviceName) this.serviceName = out.serviceName;
    }

    /** The env vars a declared client's container needs, all by reference. */
    public clientEnv(clientName: string): EnvVar[] {
        return clientEnvOf(this.store, this.env, clientName);
    }
}
