/**
 * The data stores (Qdrant, MongoDB, PostgreSQL): their config and resolver as pure functions, and the
 * three components rendered under the offline harness's mocks at each level — replicas, cluster mode,
 * anti-affinity, Services, credentials by reference, Pulumi `protect`, immutable StatefulSet fields,
 * external mode and the clients' wiring — plus the strict offline Kubernetes check.
 */
import * as path from "path";
import { execFileSync, spawn } from "child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as pulumi from "@pulumi/pulumi";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { supervisedStartScript } from "../components/dataStore";
import { type MongoDb, mongoBootstrapScript, mongoMembers } from "../components/mongodb";
import { POSTGRESQL_ENSURE_CLIENTS_SCRIPT, type PostgreSql, clientsList } from "../components/postgresql";
import type { Qdrant } from "../components/qdrant";
import {
    DATA_STORE_IMAGES,
    DataStoresSpec,
    checkStorageChange,
    dataStoreNetwork,
    mongodbConfig,
    parseStorageQuantity,
    postgresqlConfig,
    qdrantConfig,
    resolveDataStores,
} from "../stacks/dataStores";
import { immutableFields } from "../lib/objects";
import { configKey } from "../stacks/errors";
import { SecurityLevel, levelProfile } from "../stacks/levels";
import { namespacesFor, type Namespaces } from "../stacks/resolve";
import { DeterministicMocks, RecordedResource, RecordingMonitor } from "../tools/harness/mocks";
import { manifestsOf } from "../tools/harness/render";
import { validateObjects } from "../tools/k8s/validate";

type K8sObject = Record<string, any>;
type RawStores = { qdrant?: unknown; mongodb?: unknown; postgresql?: unknown };

const LEVELS: readonly SecurityLevel[] = [1, 2, 3];
const NS: Namespaces = namespacesFor("agentstack");
/** Env var names that look like secret material (as program.test.ts). */
const SECRET_NAME = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|URI)S?$|^(API_?KEY|TOKEN)$/i;
const agentLabels = (a: string) => ({ "app.kubernetes.io/name": "agent", "app.kubernetes.io/instance": `agent-${a}` });

// ---------------------------------------------------------------------------------------------------
// Config helpers
// ---------------------------------------------------------------------------------------------------

/** The three keys as the root schema will hold them. */
const rootLike = z.strictObject({ qdrant: qdrantConfig, mongodb: mongodbConfig, postgresql: postgresqlConfig });

/** Resolves raw store config at a level; returns the specs and the issues with full config keys. */
function resolve(
    level: SecurityLevel,
    raw: RawStores = {},
    nodes = 3,
): { spec: DataStoresSpec; issues: { key: string; message: string }[] } {
    const parsed = rootLike.safeParse(raw);
    if (!parsed.success) {
        return {
            spec: undefined as unknown as DataStoresSpec,
            issues: parsed.error.issues.map((i) => ({ key: configKey(i.path), message: i.message })),
        };
    }
    const issues: { key: string; message: string }[] = [];
    const spec = resolveDataStores(parsed.data, levelProfile(level), { schedulableNodes: nodes }, (p, message) =>
        issues.push({ key: configKey(p), message }),
    );
    return { spec, issues };
}

function accepted(level: SecurityLevel, raw: RawStores = {}): DataStoresSpec {
    const r = resolve(level, raw);
    expect(r.issues).toEqual([]);
    return r.spec;
}

// ---------------------------------------------------------------------------------------------------
// Rendering under the harness's mocks
// ---------------------------------------------------------------------------------------------------

interface Rendered {
    readonly resources: RecordedResource[];
    readonly manifests: K8sObject[];
    readonly qdrant: Qdrant;
    readonly mongodb: MongoDb;
    readonly postgresql: PostgreSql;
}

/** Throws unless the run registered the three data-store components and Kubernetes objects. */
function assertStoresRegistered(resources: readonly Pick<RecordedResource, "type">[]): void {
    const types = new Set(resources.map((r) => r.type));
    const missing = ["agentstack:data:Qdrant", "agentstack:data:MongoDB", "agentstack:data:PostgreSQL"].filter(
        (t) => !types.has(t),
    );
    const k8s = resources.filter((r) => r.type.startsWith("kubernetes:")).length;
    if (missing.length > 0 || k8s === 0)
        throw new Error(
            `nothing useful was registered (missing ${missing.join(", ") || "none"}; ${k8s} Kubernetes objects)`,
        );
}

/** Constructs the three components at a level, under the harness's recording mocks. */
async function render(level: SecurityLevel, raw: RawStores = {}, opts: { preview?: boolean } = {}): Promise<Rendered> {
    const spec = accepted(level, raw);
    const preview = opts.preview ?? false;
    const monitor = new RecordingMonitor(new DeterministicMocks(preview), "agentstack", `datastores-${level}`);
    setMockOptions(monitor, "agentstack", `datastores-${level}`, preview);
    // Loaded after the mocks are set, as Pulumi requires (and as tools/harness/run.ts does).
    const { Qdrant: Q } = await import(path.join(__dirname, "..", "components", "qdrant"));
    const { MongoDb: M } = await import(path.join(__dirname, "..", "components", "mongodb"));
    const { PostgreSql: P } = await import(path.join(__dirname, "..", "components", "postgresql"));
    const agents = ["alpha", "beta"].map((a) => ({
        name: `agent-${a}`,
        namespace: NS.agents,
        namespaceName: NS.agents,
        podLabels: agentLabels(a),
    }));
    let built: Pick<Rendered, "qdrant" | "mongodb" | "postgresql"> | undefined;
    const stray: unknown[] = [];
    const onRejection = (e: unknown) => stray.push(e);
    process.on("unhandledRejection", onRejection);
    try {
        await runInPulumiStack(async () => {
            built = {
                qdrant: new Q("agentstack-qdrant", {
                    spec: spec.qdrant,
                    namespace: NS.data,
                    namespaces: NS,
                    clients: [agents[0]!, { ...agents[1]!, readOnly: true }],
                }),
                mongodb: new M("agentstack-mongodb", {
                    spec: spec.mongodb,
                    namespace: NS.data,
                    namespaces: NS,
                    clients: agents,
                }),
                postgresql: new P("agentstack-postgresql", {
                    spec: spec.postgresql,
                    namespace: NS.identity,
                    namespaces: NS,
                    clients: [
                        {
                            name: "keycloak",
                            namespace: NS.identity,
                            namespaceName: NS.identity,
                            podLabels: { "app.kubernetes.io/name": "keycloak" },
                            database: "keycloak",
                            user: "keycloak",
                            envStyle: "keycloak",
                        },
                    ],
                }),
            };
            return {};
        });
        await pulumi.runtime.disconnect();
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (stray.length > 0) throw stray[0];
    const resources = [...monitor.recorded];
    assertStoresRegistered(resources);
    return { resources, manifests: manifestsOf(resources) as K8sObject[], ...built! };
}

const ofKind = (m: readonly K8sObject[], kind: string) => m.filter((o) => o["kind"] === kind);
function find(m: readonly K8sObject[], kind: string, name: string): K8sObject {
    const hit = m.find((o) => o["kind"] === kind && o["metadata"]["name"] === name);
    if (!hit)
        throw new Error(`no ${kind} ${name} among ${m.map((o) => `${o["kind"]}/${o["metadata"]["name"]}`).join(", ")}`);
    return hit;
}
const podSpec = (sts: K8sObject) => sts["spec"]["template"]["spec"];
const mainContainer = (sts: K8sObject) => podSpec(sts)["containers"][0];
const envOf = (c: K8sObject): Record<string, any> => Object.fromEntries((c["env"] ?? []).map((e: any) => [e.name, e]));
const unwrap = (v: any): any =>
    Array.isArray(v)
        ? v.map(unwrap)
        : v && typeof v === "object"
          ? "$secret" in v
              ? unwrap(v.$secret)
              : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]))
          : v;
/** Raw (unredacted) stringData of a recorded Secret. */
function rawSecret(r: Rendered, name: string, namespace: string): Record<string, string> {
    const s = r.resources.find(
        (x) =>
            x.type === "kubernetes:core/v1:Secret" &&
            (x.inputs["metadata"] as any).name === name &&
            (x.inputs["metadata"] as any).namespace === namespace,
    );
    if (!s) throw new Error(`no Secret ${namespace}/${name}`);
    return unwrap(s.inputs["stringData"]);
}
/** Recorded resources by URN (parents resolve: the recorder keeps the engine's URNs). */
const byEngineUrn = (resources: readonly RecordedResource[]) => new Map(resources.map((x) => [x.urn, x]));
/** The data-store component a recorded resource belongs to (walking up the parents), if any. */
function storeOf(r: RecordedResource, byUrn: Map<string, RecordedResource>): string | undefined {
    for (let cur: RecordedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.type.startsWith("agentstack:data:")) return cur.type;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Config and resolver
// ---------------------------------------------------------------------------------------------------

describe("data-store config", () => {
    it("defaults to three in-cluster stores with pinned, non-bitnami images", () => {
        const parsed = rootLike.parse({});
        expect([parsed.qdrant.mode, parsed.mongodb.mode, parsed.postgresql.mode]).toEqual([
            "in-cluster",
            "in-cluster",
            "in-cluster",
        ]);
        const s = accepted(1);
        expect(s.qdrant.mode === "in-cluster" && s.qdrant.image).toBe(DATA_STORE_IMAGES.qdrant);
        for (const image of Object.values(DATA_STORE_IMAGES)) {
            expect(image).not.toMatch(/bitnami/);
            expect(image).toMatch(/:[0-9v][\w.-]*$/);
        }
        expect(DATA_STORE_IMAGES.qdrant).toMatch(/-unprivileged$/);
    });

    it("resolves the level table: Qdrant 1/1/3 with cluster mode at 3, MongoDB soft/soft/hard, protect at 3", () => {
        const specs = LEVELS.map((l) => accepted(l));
        const q = specs.map((s) => (s.qdrant.mode === "in-cluster" ? s.qdrant : undefined)!);
        const m = specs.map((s) => (s.mongodb.mode === "in-cluster" ? s.mongodb : undefined)!);
        expect(q.map((x) => x.replicas)).toEqual([1, 1, 3]);
        expect(q.map((x) => x.clusterMode)).toEqual([false, false, true]);
        expect(m.map((x) => x.replicas)).toEqual([1, 1, 3]);
        expect(m.map((x) => [x.antiAffinity, x.antiAffinityWeight])).toEqual([
            ["preferred", 1],
            ["preferred", 1],
            ["required", 1],
        ]);
        expect(specs.map((s) => [s.qdrant.protect, s.mongodb.protect, s.postgresql.protect])).toEqual([
            [false, false, false],
            [false, false, false],
            [true, true, true],
        ]);
        expect(q[2]!.pdbMinAvailable).toBe(2);
        expect(m[2]!.pdbMinAvailable).toBe(2);
    });

    it.each(["LoadBalancer", "NodePort"])("rejects a %s Service for every store, naming the key", (type) => {
        const { issues } = resolve(2, {
            qdrant: { service: { type } },
            mongodb: { service: { type } },
            postgresql: { service: { type } },
        });
        expect(issues.map((i) => i.key)).toEqual([
            "agentstack:qdrant.service.type",
            "agentstack:mongodb.service.type",
            "agentstack:postgresql.service.type",
        ]);
        expect(issues[0]!.message).toMatch(new RegExp(`^${type} is not allowed: .*ClusterIP`));
    });

    it("rejects replicas below the level, an even MongoDB replica set, and a replicated in-cluster PostgreSQL", () => {
        expect(resolve(3, { qdrant: { replicas: 1 } }).issues).toEqual([
            { key: "agentstack:qdrant.replicas", message: expect.stringMatching(/below the level 3 minimum of 3/) },
        ]);
        expect(resolve(1, { mongodb: { replicas: 2 } }).issues).toEqual([
            { key: "agentstack:mongodb.replicas", message: expect.stringMatching(/even/) },
        ]);
        expect(
            resolve(1, { mongodb: { replicas: 9 } }, 9)
                .issues.map((i) => i.message)
                .join(),
        ).toMatch(/at most|above 7/);
        expect(resolve(1, { postgresql: { replicas: 2 } }).issues).toEqual([
            { key: "agentstack:postgresql.replicas", message: expect.stringMatching(/single primary/) },
        ]);
        // A higher override is fine, and turns Qdrant's cluster mode on (several peers must form one cluster).
        const s = accepted(1, { qdrant: { replicas: 3 }, mongodb: { replicas: 3 } });
        expect(s.qdrant.mode === "in-cluster" && [s.qdrant.replicas, s.qdrant.clusterMode]).toEqual([3, true]);
    });

    it("checks a replicas override against the nodes hard anti-affinity needs", () => {
        const { issues } = resolve(3, { mongodb: { replicas: 5 } }, 3);
        expect(issues).toEqual([
            {
                key: "agentstack:mongodb.replicas",
                message: expect.stringMatching(
                    /5 replicas with required \(hard\) anti-affinity .*schedulableNodes is 3/,
                ),
            },
        ]);
        expect(resolve(3, { mongodb: { replicas: 5 } }, 5).issues).toEqual([]);
        // Soft anti-affinity (level 1) needs no such check.
        expect(resolve(1, { mongodb: { replicas: 5 } }, 1).issues).toEqual([]);
    });

    it("rejects shrinking a volume", () => {
        expect(checkStorageChange("10Gi", "20Gi")).toBeUndefined();
        expect(checkStorageChange("10Gi", "10Gi")).toBeUndefined();
        expect(checkStorageChange("20Gi", "10Gi")).toMatch(/10Gi is smaller than 20Gi: a volume can never shrink/);
        expect(checkStorageChange("1Ti", "1000Gi")).toMatch(/never shrink/);
        expect(checkStorageChange("10G", "10Gi")).toBeUndefined();
        expect(parseStorageQuantity("1.5Gi")).toBe(1.5 * 2 ** 30);
        expect(() => parseStorageQuantity("10")).toThrow(/not a storage quantity/);
        const { issues } = resolve(2, { mongodb: { storage: { size: "10Gi", minimumSize: "20Gi" } } });
        expect(issues).toEqual([
            {
                key: "agentstack:mongodb.storage.size",
                message: expect.stringMatching(/smaller than 20Gi.*minimumSize/),
            },
        ]);
        expect(resolve(2, { mongodb: { storage: { size: "40Gi", minimumSize: "20Gi" } } }).issues).toEqual([]);
        expect(resolve(2, { qdrant: { storage: { size: "ten" } } }).issues.map((i) => i.key)).toEqual([
            "agentstack:qdrant.storage.size",
        ]);
    });

    it("validates external mode: host and credentials required, egress addresses from level 2, no in-cluster keys", () => {
        expect(resolve(2, { postgresql: { mode: "external" } }).issues.map((i) => i.key)).toEqual([
            "agentstack:postgresql.host",
            "agentstack:postgresql.credentialsSecretRef",
            "agentstack:postgresql.egressCidrs",
        ]);
        const ok = { mode: "external", host: "pg.example.com", credentialsSecretRef: { name: "pg" } };
        expect(resolve(1, { postgresql: ok }).issues).toEqual([]);
        expect(resolve(2, { postgresql: { ...ok, egressCidrs: ["198.51.100.7/32"] } }).issues).toEqual([]);
        expect(
            resolve(1, { qdrant: { ...ok, replicas: 3, image: DATA_STORE_IMAGES.qdrant } }).issues.map((i) => i.key),
        ).toEqual(["agentstack:qdrant.image", "agentstack:qdrant.replicas"]);
        expect(resolve(1, { mongodb: { host: "x.example.com" } }).issues).toEqual([
            { key: "agentstack:mongodb.host", message: expect.stringMatching(/only to mode external/) },
        ]);
        const s = accepted(1, { postgresql: ok, mongodb: { ...ok, port: 27018 } });
        expect(s.postgresql).toMatchObject({
            mode: "external",
            host: "pg.example.com",
            port: 5432,
            sslMode: "require",
            credentials: { name: "pg", usernameKey: "username", passwordKey: "password" },
        });
        expect(s.mongodb).toMatchObject({ mode: "external", port: 27018, credentials: { name: "pg", uriKey: "uri" } });
    });

    it("rejects secrets as values, unknown keys, a root Qdrant image and an unpinned image", () => {
        expect(resolve(1, { qdrant: { apiKey: "s3cr3t" } }).issues).toEqual([
            { key: "agentstack:qdrant", message: expect.stringMatching(/[Uu]nrecognized key.*apiKey/) },
        ]);
        expect(
            resolve(1, { mongodb: { credentialsSecretRef: { name: "m", password: "x" } } }).issues.map((i) => i.key),
        ).toEqual(["agentstack:mongodb.credentialsSecretRef"]);
        expect(resolve(1, { qdrant: { image: "docker.io/qdrant/qdrant:v1.15.4" } }).issues).toEqual([
            { key: "agentstack:qdrant.image", message: expect.stringMatching(/-unprivileged/) },
        ]);
        expect(resolve(1, { postgresql: { image: "postgres:latest" } }).issues.map((i) => i.key)).toEqual([
            "agentstack:postgresql.image",
        ]);
    });
});

// ---------------------------------------------------------------------------------------------------
// Rendered components
// ---------------------------------------------------------------------------------------------------

describe("the harness check", () => {
    it("fails when nothing was registered", () => {
        expect(() => assertStoresRegistered([])).toThrow(/nothing useful was registered/);
        expect(() =>
            assertStoresRegistered([{ type: "agentstack:data:Qdrant" }, { type: "agentstack:data:MongoDB" }]),
        ).toThrow(/missing agentstack:data:PostgreSQL/);
    });
});

describe.each(LEVELS)("in-cluster data stores at level %s", (level) => {
    let r: Rendered;
    const get = async () => (r ??= await render(level));

    it("runs Qdrant with the level's replicas, cluster mode only at level 3, no dashboard, keys from a Secret", async () => {
        const m = (await get()).manifests;
        const sts = find(m, "StatefulSet", "qdrant");
        expect(sts["metadata"]["namespace"]).toBe(NS.data);
        expect(sts["spec"]["replicas"]).toBe(level === 3 ? 3 : 1);
        const cfg = find(m, "ConfigMap", "qdrant-config")["data"];
        expect(cfg["QDRANT__CLUSTER__ENABLED"]).toBe(level === 3 ? "true" : "false");
        expect(cfg["QDRANT__SERVICE__ENABLE_STATIC_CONTENT"]).toBe("false");
        expect(cfg["QDRANT__CLUSTER__P2P__PORT"]).toBe("6335");
        expect(cfg["QDRANT__SERVICE__ENABLE_CORS"]).toBe("false");
        expect(cfg["QDRANT__STORAGE__COLLECTION__REPLICATION_FACTOR"]).toBe(level === 3 ? "2" : undefined);
        const c = mainContainer(sts);
        expect(c["ports"].map((p: any) => p.containerPort)).toEqual(level === 3 ? [6333, 6334, 6335] : [6333, 6334]);
        expect(c["command"][2]).toContain(
            '--bootstrap "http://qdrant-0.qdrant-headless.agentstack-data.svc.cluster.local:6335"',
        );
        const env = envOf(c);
        expect(env["QDRANT__SERVICE__API_KEY"].valueFrom).toEqual({
            secretKeyRef: { name: "qdrant-api-keys", key: "api-key" },
        });
        expect(env["QDRANT__SERVICE__READ_ONLY_API_KEY"].valueFrom).toEqual({
            secretKeyRef: { name: "qdrant-api-keys", key: "read-only-api-key" },
        });
        expect(env["QDRANT__CLUSTER__ENABLED"].valueFrom).toEqual({
            configMapKeyRef: { name: "qdrant-config", key: "QDRANT__CLUSTER__ENABLED" },
        });
        expect(podSpec(sts)["securityContext"]).toMatchObject({
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
        });
        // The volume's root, never a subPath (kubelet creates those owned by root, unwritable for uid 1000).
        expect(c["volumeMounts"]).toEqual([
            { name: "qdrant-tmp", mountPath: "/tmp" },
            { name: "qdrant-init", mountPath: "/qdrant/init" },
            { name: "data", mountPath: "/qdrant/storage" },
        ]);
        expect(cfg["QDRANT__STORAGE__SNAPSHOTS_PATH"]).toBe("/qdrant/storage/snapshots");
        expect(cfg["QDRANT_INIT_FILE_PATH"]).toBe("/qdrant/init/.qdrant-initialized");
        expect(c["livenessProbe"]["httpGet"]).toEqual({ path: "/livez", port: "http" });
        expect(c["readinessProbe"]["httpGet"]).toEqual({ path: "/readyz", port: "http" });
    });

    it("exposes every store through ClusterIP Services only", async () => {
        const svcs = ofKind((await get()).manifests, "Service");
        expect(svcs.map((s) => s["metadata"]["name"]).sort()).toEqual([
            "mongodb",
            "mongodb-headless",
            "postgresql",
            "postgresql-headless",
            "qdrant",
            "qdrant-headless",
        ]);
        for (const s of svcs) {
            expect(["ClusterIP", undefined], s["metadata"]["name"]).toContain(s["spec"]["type"]);
            expect(s["spec"]["externalIPs"]).toBeUndefined();
            expect(s["metadata"]["labels"]["agentstack.io/data-store"]).toBe("true");
        }
        expect(
            find(ofKind((await get()).manifests, "Service"), "Service", "qdrant")["spec"]["ports"].map(
                (p: any) => p.port,
            ),
        ).toEqual([6333, 6334]);
        expect(
            svcs
                .filter((s) => s["metadata"]["name"].endsWith("-headless"))
                .every((s) => s["spec"]["clusterIP"] === "None"),
        ).toBe(true);
    });

    it("gives MongoDB soft anti-affinity (weight 1, hostname) at levels 1-2 and hard at 3", async () => {
        const sts = find((await get()).manifests, "StatefulSet", "mongodb");
        const aa = podSpec(sts)["affinity"]["podAntiAffinity"];
        const term = {
            labelSelector: {
                matchLabels: { "app.kubernetes.io/name": "mongodb", "app.kubernetes.io/instance": "mongodb" },
            },
            topologyKey: "kubernetes.io/hostname",
        };
        if (level === 3) {
            expect(aa).toEqual({ requiredDuringSchedulingIgnoredDuringExecution: [term] });
        } else {
            expect(aa).toEqual({
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: term }],
            });
        }
        expect(sts["spec"]["replicas"]).toBe(level === 3 ? 3 : 1);
        const qAffinity = podSpec(find((await get()).manifests, "StatefulSet", "qdrant"))["affinity"];
        expect(
            qAffinity?.["podAntiAffinity"]?.["preferredDuringSchedulingIgnoredDuringExecution"]?.[0]?.["weight"],
        ).toBe(level === 3 ? 100 : undefined);
    });

    it("runs MongoDB as a replica set with auth and a generated key file owned by its uid", async () => {
        const r = await get();
        const sts = find(r.manifests, "StatefulSet", "mongodb");
        const pod = podSpec(sts);
        expect(pod["securityContext"]).toMatchObject({ runAsUser: 999, fsGroup: 999 });
        const init = pod["initContainers"][0];
        // Re-runnable (test/realm.test.ts runs it twice): the old read-only copy is removed before copying.
        expect(init["command"]).toEqual([
            "/bin/sh",
            "-c",
            "set -eu; rm -f /etc/mongodb/keyfile/keyfile; cp /etc/mongodb/keyfile-secret/keyfile /etc/mongodb/keyfile/keyfile; chmod 0400 /etc/mongodb/keyfile/keyfile",
        ]);
        expect(init["livenessProbe"]).toBeUndefined();
        expect(pod["volumes"]).toEqual(
            expect.arrayContaining([
                { name: "keyfile-secret", secret: { secretName: "mongodb-keyfile", defaultMode: 0o440 } },
                { name: "keyfile", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            ]),
        );
        const env = envOf(mainContainer(sts));
        expect(env["MONGO_INITDB_ROOT_USERNAME"].valueFrom).toEqual({
            secretKeyRef: { name: "mongodb-credentials", key: "root-username" },
        });
        expect(env["MONGO_INITDB_ROOT_PASSWORD"].valueFrom).toEqual({
            secretKeyRef: { name: "mongodb-credentials", key: "root-password" },
        });
        expect(env["MONGODB_CLIENT_AGENT_ALPHA_PASSWORD"].valueFrom).toEqual({
            secretKeyRef: { name: "mongodb-credentials", key: "client-agent-alpha-password" },
        });
        const scripts = find(r.manifests, "ConfigMap", "mongodb-scripts")["data"];
        expect(scripts["start.sh"]).toContain(
            '--replSet "$MONGODB_REPLICA_SET" --keyFile /etc/mongodb/keyfile/keyfile',
        );
        expect(scripts["start.sh"]).toContain("unset MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD");
        const config = JSON.parse(/const CONFIG = (.*);/.exec(scripts["bootstrap.js"])![1]!);
        expect(config.members).toEqual(
            Array.from(
                { length: level === 3 ? 3 : 1 },
                (_, i) => `mongodb-${i}.mongodb-headless.agentstack-data.svc.cluster.local:27017`,
            ),
        );
        expect(config.clients).toEqual([
            { user: "agent-alpha", database: "agent-alpha", passwordEnv: "MONGODB_CLIENT_AGENT_ALPHA_PASSWORD" },
            { user: "agent-beta", database: "agent-beta", passwordEnv: "MONGODB_CLIENT_AGENT_BETA_PASSWORD" },
        ]);
        const key = rawSecret(r, "mongodb-keyfile", NS.data)["keyfile"]!;
        expect(key).toMatch(/^[A-Za-z0-9]{756}$/);
    });

    it("runs PostgreSQL with PGDATA on the volume, emptyDirs for socket and temp, and the clients' databases by script", async () => {
        const r = await get();
        const sts = find(r.manifests, "StatefulSet", "postgresql");
        expect(sts["metadata"]["namespace"]).toBe(NS.identity);
        expect(sts["spec"]["replicas"]).toBe(1);
        const c = mainContainer(sts);
        expect(find(r.manifests, "ConfigMap", "postgresql-config")["data"]).toEqual({
            PGDATA: "/var/lib/postgresql/data/pgdata",
        });
        expect(c["volumeMounts"]).toEqual(
            expect.arrayContaining([
                { name: "postgresql-tmp", mountPath: "/tmp" },
                { name: "postgresql-run", mountPath: "/var/run/postgresql" },
                { name: "data", mountPath: "/var/lib/postgresql/data" },
            ]),
        );
        expect(podSpec(sts)["securityContext"]).toMatchObject({ runAsUser: 999, fsGroup: 999 });
        const env = envOf(c);
        expect(env["POSTGRES_PASSWORD"].valueFrom).toEqual({
            secretKeyRef: { name: "postgresql-credentials", key: "superuser-password" },
        });
        expect(env["POSTGRESQL_CLIENT_KEYCLOAK_PASSWORD"].valueFrom).toEqual({
            secretKeyRef: { name: "postgresql-credentials", key: "client-keycloak-password" },
        });
        const scripts = find(r.manifests, "ConfigMap", "postgresql-scripts")["data"];
        expect(scripts["clients"]).toBe("keycloak keycloak POSTGRESQL_CLIENT_KEYCLOAK_PASSWORD\n");
        expect(scripts["ensure-clients.sh"]).toContain("\\getenv client_password CLIENT_PASSWORD");
        expect(scripts["start.sh"]).toContain("bash /scripts/ensure-clients.sh &\ndocker-entrypoint.sh postgres &\n");
    });

    it("labels and annotates the StatefulSets, retains their volumes and sizes them from config", async () => {
        const m = (await get()).manifests;
        const expectedClients: Record<string, unknown> = {
            qdrant: [
                { namespace: NS.agents, podLabels: agentLabels("alpha") },
                { namespace: NS.agents, podLabels: agentLabels("beta") },
            ],
            mongodb: [
                { namespace: NS.agents, podLabels: agentLabels("alpha") },
                { namespace: NS.agents, podLabels: agentLabels("beta") },
            ],
            postgresql: [{ namespace: NS.identity, podLabels: { "app.kubernetes.io/name": "keycloak" } }],
        };
        const sizes: Record<string, string> = { qdrant: "10Gi", mongodb: "20Gi", postgresql: "10Gi" };
        // Every object of a data store is recognisable as one (Services for the LoadBalancer policy, too).
        expect(
            m
                .filter((o) => o["metadata"]["labels"]?.["agentstack.io/data-store"] !== "true")
                .map((o) => `${o["kind"]}/${o["metadata"]["name"]}`),
        ).toEqual([]);
        expect(
            ofKind(m, "StatefulSet")
                .map((s) => s["metadata"]["name"])
                .sort(),
        ).toEqual(["mongodb", "postgresql", "qdrant"]);
        for (const sts of ofKind(m, "StatefulSet")) {
            const name = sts["metadata"]["name"] as string;
            expect(sts["metadata"]["labels"]["agentstack.io/data-store"], name).toBe("true");
            expect(sts["spec"]["template"]["metadata"]["labels"]["agentstack.io/data-store"], name).toBe("true");
            expect(sts["spec"]["template"]["metadata"]["labels"]).toMatchObject({
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/part-of": "agentstack",
            });
            expect(JSON.parse(sts["metadata"]["annotations"]["agentstack.io/clients"]), name).toEqual(
                expectedClients[name],
            );
            expect(sts["spec"]["persistentVolumeClaimRetentionPolicy"]).toEqual({
                whenDeleted: "Retain",
                whenScaled: "Retain",
            });
            expect(sts["spec"]["volumeClaimTemplates"]).toEqual([
                {
                    metadata: {
                        name: "data",
                        labels: {
                            "app.kubernetes.io/name": name,
                            "app.kubernetes.io/instance": name,
                            "app.kubernetes.io/part-of": "agentstack",
                        },
                    },
                    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: sizes[name] } } },
                },
            ]);
            expect(sts["spec"]["template"]["metadata"]["annotations"]["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
        }
    });

    it("creates PDBs only where the level asks and never one that blocks a drain", async () => {
        const pdbs = ofKind((await get()).manifests, "PodDisruptionBudget");
        if (level === 3) {
            expect(pdbs.map((p) => [p["metadata"]["name"], p["spec"]["minAvailable"]]).sort()).toEqual([
                ["mongodb", 2],
                ["qdrant", 2],
            ]);
        } else {
            expect(pdbs).toEqual([]);
        }
    });

    it("hardens every container: non-root, read-only root, no escalation, drop ALL, seccomp, requests and limits, probes", async () => {
        for (const sts of ofKind((await get()).manifests, "StatefulSet")) {
            const pod = podSpec(sts);
            expect(pod["automountServiceAccountToken"]).toBe(false);
            expect(pod["securityContext"]["seccompProfile"]).toEqual({ type: "RuntimeDefault" });
            for (const c of [...(pod["initContainers"] ?? []), ...pod["containers"]]) {
                const where = `${sts["metadata"]["name"]}/${c["name"]}`;
                expect(c["securityContext"], where).toMatchObject({
                    runAsNonRoot: true,
                    readOnlyRootFilesystem: true,
                    allowPrivilegeEscalation: false,
                    privileged: false,
                    capabilities: { drop: ["ALL"] },
                });
                expect(Object.keys(c["resources"]["requests"]).sort(), where).toEqual(["cpu", "memory"]);
                expect(Object.keys(c["resources"]["limits"]).sort(), where).toEqual(["cpu", "memory"]);
                expect(c["image"], where).toMatch(/:[\w.-]+$/);
                expect(
                    (c["volumeMounts"] ?? []).filter((v: any) => v.subPath !== undefined),
                    where,
                ).toEqual([]);
                if (!(pod["initContainers"] ?? []).includes(c)) {
                    expect(c["livenessProbe"], where).toBeTruthy();
                    expect(c["readinessProbe"], where).toBeTruthy();
                }
            }
        }
    });

    it("takes every credential from a secretKeyRef and writes none into a ConfigMap or env value", async () => {
        const r = await get();
        const containers = ofKind(r.manifests, "StatefulSet").flatMap((s) => [
            ...(podSpec(s)["initContainers"] ?? []),
            ...podSpec(s)["containers"],
        ]);
        const clientEnv = [
            ...r.qdrant.clientEnv("agent-alpha"),
            ...r.mongodb.clientEnv("agent-beta"),
            ...r.postgresql.clientEnv("keycloak"),
        ] as any[];
        const env = [...containers.flatMap((c) => c["env"] ?? []), ...clientEnv];
        const secretish = env.filter((e) => SECRET_NAME.test(e.name));
        expect(secretish.length).toBeGreaterThanOrEqual(10);
        for (const e of secretish) expect(e.valueFrom?.secretKeyRef, e.name).toBeTruthy();
        expect(env.filter((e) => e.value !== undefined && SECRET_NAME.test(e.name))).toEqual([]);
        // No generated secret value appears anywhere outside a Secret.
        const secretValues = r.resources
            .filter((x) => x.type === "kubernetes:core/v1:Secret")
            .flatMap((x) => Object.values(unwrap(x.inputs["stringData"]) as Record<string, string>))
            .filter((v) => typeof v === "string" && v.length >= 24);
        expect(secretValues.length).toBeGreaterThanOrEqual(6);
        const elsewhere = JSON.stringify(
            r.resources
                .filter((x) => x.type !== "kubernetes:core/v1:Secret" && !x.type.startsWith("random:"))
                .map((x) => unwrap(x.inputs)),
        );
        for (const v of secretValues) expect(elsewhere.includes(v)).toBe(false);
        // Secrets are written redacted.
        for (const s of ofKind(r.manifests, "Secret"))
            for (const v of Object.values(s["stringData"])) expect(v).toBe("[secret]");
    });

    it(level === 3 ? "protects every data-store resource" : "protects no data-store resource", async () => {
        const r = await get();
        const byUrn = byEngineUrn(r.resources);
        const owned = r.resources.filter((x) => storeOf(x, byUrn));
        const types = new Set(owned.map((x) => x.type));
        for (const t of [
            "agentstack:data:Qdrant",
            "agentstack:data:MongoDB",
            "agentstack:data:PostgreSQL",
            "agentstack:workload:HardenedWorkload",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:core/v1:Service",
            "kubernetes:core/v1:Secret",
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:core/v1:ServiceAccount",
            "random:index/randomPassword:RandomPassword",
        ])
            expect(types.has(t), t).toBe(true);
        if (level === 3) expect(types.has("kubernetes:policy/v1:PodDisruptionBudget")).toBe(true);
        expect(owned.length).toBeGreaterThan(30);
        const wrong = owned.filter((x) => x.options.protect !== (level === 3)).map((x) => `${x.type}::${x.name}`);
        expect(wrong).toEqual([]);
        // Nothing of a data store floats outside its component.
        const k8s = r.resources.filter((x) => x.type.startsWith("kubernetes:") || x.type.startsWith("random:"));
        expect(k8s.filter((x) => !storeOf(x, byUrn))).toEqual([]);
    });

    it("wires clients in their own namespaces by reference", async () => {
        const r = await get();
        expect(r.qdrant.clientEnv("agent-alpha")).toEqual([
            { name: "QDRANT_URL", valueFrom: { configMapKeyRef: { name: expect.anything(), key: "url" } } },
            { name: "QDRANT_GRPC_PORT", valueFrom: { configMapKeyRef: { name: expect.anything(), key: "grpc-port" } } },
            { name: "QDRANT_API_KEY", valueFrom: { secretKeyRef: { name: expect.anything(), key: "api-key" } } },
        ]);
        expect(r.qdrant.clientPorts).toEqual([6333, 6334]);
        expect(() => r.qdrant.clientEnv("agent-gamma")).toThrow(/not a declared client/);
        expect(find(r.manifests, "ConfigMap", "qdrant-agent-alpha")).toMatchObject({
            metadata: { namespace: NS.agents },
            data: { url: "http://qdrant.agentstack-data.svc.cluster.local:6333", "grpc-port": "6334" },
        });
        const keys = rawSecret(r, "qdrant-api-keys", NS.data);
        expect(rawSecret(r, "qdrant-agent-alpha", NS.agents)).toEqual({ "api-key": keys["api-key"] });
        expect(rawSecret(r, "qdrant-agent-beta", NS.agents)).toEqual({ "api-key": keys["read-only-api-key"] });
        expect(keys["api-key"]).not.toBe(keys["read-only-api-key"]);

        const mongo = rawSecret(r, "mongodb-agent-alpha", NS.agents);
        expect(mongo["uri"]).toBe(
            `mongodb://agent-alpha:${mongo["password"]}@mongodb.agentstack-data.svc.cluster.local:27017/agent-alpha?replicaSet=rs0&authSource=admin`,
        );
        expect(rawSecret(r, "mongodb-credentials", NS.data)["client-agent-alpha-password"]).toBe(mongo["password"]);
        expect(r.mongodb.clientEnv("agent-alpha").map((e) => e.name)).toEqual(["MONGODB_URI", "MONGODB_DATABASE"]);

        expect(
            r.postgresql
                .clientEnv("keycloak")
                .map((e: any) => [e.name, Object.keys(e.valueFrom)[0], e.valueFrom[Object.keys(e.valueFrom)[0]!].key]),
        ).toEqual([
            ["KC_DB_URL", "configMapKeyRef", "jdbc-url"],
            ["KC_DB_USERNAME", "secretKeyRef", "username"],
            ["KC_DB_PASSWORD", "secretKeyRef", "password"],
        ]);
        expect(find(r.manifests, "ConfigMap", "postgresql-keycloak")["data"]["jdbc-url"]).toBe(
            "jdbc:postgresql://postgresql.agentstack-identity.svc.cluster.local:5432/keycloak",
        );
        const pg = rawSecret(r, "postgresql-keycloak", NS.identity);
        expect(pg["username"]).toBe("keycloak");
        expect(rawSecret(r, "postgresql-credentials", NS.identity)["client-keycloak-password"]).toBe(pg["password"]);

        // The ports the NetworkPolicies open (stacks/flows.ts reads them from the spec, as here).
        expect(dataStoreNetwork("mongodb", accepted(level).mongodb)).toEqual({
            clientPorts: [27017],
            peerPorts: level === 3 ? [27017] : [],
        });
        expect(dataStoreNetwork("qdrant", accepted(level).qdrant).peerPorts).toEqual(level === 3 ? [6335] : []);
        expect(r.mongodb.clientPorts).toEqual([27017]);
    });

    it("passes the strict offline Kubernetes check", async () => {
        const m = (await get()).manifests;
        expect(m.length).toBeGreaterThan(25);
        expect(validateObjects(m)).toEqual([]);
    });
});

describe("immutable StatefulSet fields", () => {
    const immutable = (m: readonly K8sObject[]) =>
        Object.fromEntries(
            ofKind(m, "StatefulSet").map((s) => [s["metadata"]["name"], JSON.stringify(immutableFields(s))]),
        );

    it("are byte-identical across levels 1, 2 and 3 and across image tags", async () => {
        const renders = [];
        for (const level of LEVELS) renders.push(immutable((await render(level)).manifests));
        const bumped = await render(3, {
            qdrant: { image: "docker.io/qdrant/qdrant:v1.15.5-unprivileged" },
            mongodb: { image: "docker.io/library/mongo:8.0.14-noble" },
            postgresql: { image: "docker.io/library/postgres:17.7-bookworm" },
        });
        renders.push(immutable(bumped.manifests));
        expect(Object.keys(renders[0]!).sort()).toEqual(["mongodb", "postgresql", "qdrant"]);
        for (const other of renders.slice(1)) expect(other).toEqual(renders[0]);
        // ... while the template did change (the comparison can see a difference).
        expect(mainContainer(find(bumped.manifests, "StatefulSet", "mongodb"))["image"]).toBe(
            "docker.io/library/mongo:8.0.14-noble",
        );
        expect(JSON.parse(renders[0]!["qdrant"]!).podManagementPolicy).toBe("Parallel");
    });

    it("do change with the storage config (which is why a shrink is rejected up front)", async () => {
        const a = immutable((await render(2)).manifests);
        const b = immutable(
            (await render(2, { qdrant: { storage: { size: "50Gi", storageClassName: "fast-ssd" } } })).manifests,
        );
        expect(b["qdrant"]).not.toEqual(a["qdrant"]);
        expect(b["mongodb"]).toEqual(a["mongodb"]);
    });
});

describe("external mode", () => {
    const external = {
        qdrant: {
            mode: "external",
            host: "qdrant.example.com",
            credentialsSecretRef: { name: "qdrant-cloud" },
            egressCidrs: ["198.51.100.10/32"],
        },
        mongodb: {
            mode: "external",
            host: "cluster0.example.net",
            credentialsSecretRef: { name: "atlas", uriKey: "connection-string" },
            egressCidrs: ["198.51.100.20/32"],
        },
        postgresql: {
            mode: "external",
            host: "pg.example.com",
            port: 6432,
            credentialsSecretRef: { name: "managed-pg" },
            egressCidrs: ["198.51.100.30/32"],
            sslMode: "verify-full",
        },
    };

    it.each([2, 3] as const)(
        "renders no workload, Service, volume or server Secret at level %s and wires the clients to the address",
        async (level) => {
            const r = await render(level, external);
            const kinds = [...new Set(r.manifests.map((o) => o["kind"]))].sort();
            expect(kinds).toEqual(["ConfigMap"]);
            expect(r.resources.filter((x) => x.type.startsWith("random:"))).toEqual([]);
            expect(r.manifests.map((o) => `${o["metadata"]["namespace"]}/${o["metadata"]["name"]}`).sort()).toEqual([
                "agentstack-agents/mongodb-agent-alpha",
                "agentstack-agents/mongodb-agent-beta",
                "agentstack-agents/qdrant-agent-alpha",
                "agentstack-agents/qdrant-agent-beta",
                "agentstack-identity/postgresql-keycloak",
            ]);
            expect(find(r.manifests, "ConfigMap", "qdrant-agent-alpha")["data"]["url"]).toBe(
                "https://qdrant.example.com:6333",
            );
            expect(find(r.manifests, "ConfigMap", "postgresql-keycloak")["data"]).toMatchObject({
                host: "pg.example.com",
                port: "6432",
                "jdbc-url": "jdbc:postgresql://pg.example.com:6432/keycloak?sslmode=verify-full",
            });
            expect(r.qdrant.clientEnv("agent-beta")[2]).toEqual({
                name: "QDRANT_API_KEY",
                valueFrom: { secretKeyRef: { name: "qdrant-cloud", key: "api-key" } },
            });
            expect(r.mongodb.clientEnv("agent-alpha")[0]).toEqual({
                name: "MONGODB_URI",
                valueFrom: { secretKeyRef: { name: "atlas", key: "connection-string" } },
            });
            expect(r.postgresql.clientEnv("keycloak").slice(1)).toEqual([
                { name: "KC_DB_USERNAME", valueFrom: { secretKeyRef: { name: "managed-pg", key: "username" } } },
                { name: "KC_DB_PASSWORD", valueFrom: { secretKeyRef: { name: "managed-pg", key: "password" } } },
            ]);
            expect(dataStoreNetwork("postgresql", accepted(level, external).postgresql)).toEqual({
                clientPorts: [6432],
                peerPorts: [],
                external: { host: "pg.example.com", cidrs: ["198.51.100.30/32"], port: 6432 },
            });
            expect(r.postgresql.clientPorts).toEqual([6432]);
            const byUrn = byEngineUrn(r.resources);
            expect(r.resources.filter((x) => storeOf(x, byUrn)).every((x) => x.options.protect === (level === 3))).toBe(
                true,
            );
            expect(validateObjects(r.manifests)).toEqual([]);
        },
    );

    it("can be mixed: an external Qdrant next to in-cluster MongoDB and PostgreSQL", async () => {
        const r = await render(2, { qdrant: external.qdrant });
        expect(
            ofKind(r.manifests, "StatefulSet")
                .map((s) => s["metadata"]["name"])
                .sort(),
        ).toEqual(["mongodb", "postgresql"]);
        expect(r.manifests.some((o) => o["metadata"]["name"].startsWith("qdrant") && o["kind"] !== "ConfigMap")).toBe(
            false,
        );
    });

    it("wires an existing in-cluster Secret by reference instead of generating keys", async () => {
        const r = await render(1, {
            qdrant: { existingSecret: { name: "my-qdrant" } },
            postgresql: { existingSecret: { name: "pg-admin" } },
        });
        expect(r.manifests.some((o) => o["kind"] === "Secret" && o["metadata"]["name"] === "qdrant-api-keys")).toBe(
            false,
        );
        expect(
            envOf(mainContainer(find(r.manifests, "StatefulSet", "qdrant")))["QDRANT__SERVICE__API_KEY"].valueFrom,
        ).toEqual({ secretKeyRef: { name: "my-qdrant", key: "api-key" } });
        expect(r.qdrant.clientEnv("agent-beta")[2]).toEqual({
            name: "QDRANT_API_KEY",
            valueFrom: { secretKeyRef: { name: "my-qdrant", key: "read-only-api-key" } },
        });
        expect(envOf(mainContainer(find(r.manifests, "StatefulSet", "postgresql")))["POSTGRES_USER"].valueFrom).toEqual(
            { secretKeyRef: { name: "pg-admin", key: "username" } },
        );
        expect(Object.keys(find(r.manifests, "Secret", "postgresql-credentials")["stringData"])).toEqual([
            "client-keycloak-password",
        ]);
    });
});

describe("preview mode and scripts", () => {
    it("supervises the server: Kubernetes' SIGTERM reaches it as its stop signal and its exit code comes back", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "datastores-"));
        // A stand-in server: says it is ready, exits 42 on SIGINT (PostgreSQL's fast shutdown) and 43 on SIGTERM.
        const server = `"${process.execPath}" -e 'process.on("SIGINT", () => process.exit(42)); process.on("SIGTERM", () => process.exit(43)); console.log("ready"); setInterval(() => {}, 1000)'`;
        const run = (stopSignal: "INT" | "TERM") =>
            new Promise<number | null>((resolvePromise, reject) => {
                const file = path.join(dir, `start-${stopSignal}.sh`);
                writeFileSync(file, supervisedStartScript({ prelude: "sleep 0.1 &", start: server, stopSignal }));
                const child = spawn("bash", [file], { stdio: ["ignore", "pipe", "inherit"] });
                const timer = setTimeout(() => {
                    child.kill("SIGKILL");
                    reject(new Error("the script did not stop"));
                }, 10_000);
                child.stdout.on("data", (d: Buffer) => {
                    if (d.toString().includes("ready")) setTimeout(() => child.kill("SIGTERM"), 200);
                });
                child.on("exit", (code) => {
                    clearTimeout(timer);
                    resolvePromise(code);
                });
            });
        expect(await run("INT")).toBe(42);
        expect(await run("TERM")).toBe(43);
    });

    it("renders with unknown generated values (a first preview) and the same objects", async () => {
        const r = await render(3, {}, { preview: true });
        const s = r.resources.find(
            (x) => x.type === "kubernetes:core/v1:Secret" && (x.inputs["metadata"] as any).name === "qdrant-api-keys",
        )!;
        expect(JSON.stringify(s.inputs["stringData"])).toContain("$unknown");
        expect(r.manifests.length).toBe((await render(3)).manifests.length);
    });

    it("generates shell scripts bash can parse and a bootstrap script that is valid JavaScript", async () => {
        const r = await render(3);
        const dir = mkdtempSync(path.join(tmpdir(), "datastores-"));
        const scripts: Record<string, string> = {
            "qdrant.sh": mainContainer(find(r.manifests, "StatefulSet", "qdrant"))["command"][2],
            "mongodb-start.sh": find(r.manifests, "ConfigMap", "mongodb-scripts")["data"]["start.sh"],
            "postgresql-start.sh": find(r.manifests, "ConfigMap", "postgresql-scripts")["data"]["start.sh"],
            "postgresql-ensure.sh": find(r.manifests, "ConfigMap", "postgresql-scripts")["data"]["ensure-clients.sh"],
        };
        for (const [file, text] of Object.entries(scripts)) {
            writeFileSync(path.join(dir, file), text);
            expect(() => execFileSync("bash", ["-n", path.join(dir, file)], { stdio: "pipe" }), file).not.toThrow();
        }
        for (const file of ["mongodb-start.sh", "postgresql-start.sh"])
            expect(scripts[file]!.startsWith("#!/bin/bash\n"), file).toBe(true);
        expect(scripts["postgresql-start.sh"]).toContain(`trap 'kill -INT "$server"`);
        const js = find(r.manifests, "ConfigMap", "mongodb-scripts")["data"]["bootstrap.js"];
        expect(() => new Function(js)).not.toThrow();
        expect(js).not.toMatch(/pwd: "[^"]/);
    });
});

/** A local PostgreSQL installation (Debian layout), if this machine has one: then the client script runs for real. */
function localPostgres(): string | undefined {
    const base = "/usr/lib/postgresql";
    if (!existsSync(base)) return undefined;
    const version = readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, "bin", "initdb")))
        .sort()
        .pop();
    if (!version || Number(version) < 15) return undefined; // psql's \getenv needs 15
    if (process.getuid?.() === 0) {
        try {
            execFileSync("id", ["postgres"], { stdio: "pipe" });
        } catch {
            return undefined;
        }
    }
    return path.join(base, version, "bin");
}

describe("ensure-clients.sh against a real PostgreSQL", () => {
    const bin = localPostgres();
    it.runIf(bin !== undefined)(
        "creates each client's role and database, idempotently, with the password from the environment",
        async () => {
            const dir = mkdtempSync(path.join(tmpdir(), "pg-"));
            chmodSync(dir, 0o777);
            const asPg = (cmd: string, args: string[], env: Record<string, string> = {}) => {
                const full =
                    process.getuid?.() === 0
                        ? ([
                              "runuser",
                              [
                                  "-u",
                                  "postgres",
                                  "--",
                                  "env",
                                  ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
                                  cmd,
                                  ...args,
                              ],
                          ] as const)
                        : ([cmd, args] as const);
                return execFileSync(full[0], [...full[1]], {
                    stdio: "pipe",
                    env: { ...process.env, ...env },
                    timeout: 60_000,
                }).toString();
            };
            const port = 20000 + Math.floor(Math.random() * 20000);
            writeFileSync(path.join(dir, "pw"), "superuser-pw\n");
            writeFileSync(
                path.join(dir, "clients"),
                clientsList([
                    {
                        name: "keycloak",
                        database: "keycloak",
                        user: "keycloak",
                        namespace: "x",
                        namespaceName: "x",
                        podLabels: {},
                    },
                    {
                        name: "other",
                        database: "other_db",
                        user: "other_user",
                        namespace: "x",
                        namespaceName: "x",
                        podLabels: {},
                    },
                ]),
            );
            writeFileSync(
                path.join(dir, "ensure.sh"),
                POSTGRESQL_ENSURE_CLIENTS_SCRIPT.replaceAll("/scripts/clients", path.join(dir, "clients")).replaceAll(
                    "5432",
                    String(port),
                ),
            );
            for (const f of ["pw", "clients", "ensure.sh"]) chmodSync(path.join(dir, f), 0o644);
            asPg(path.join(bin!, "initdb"), [
                "-D",
                path.join(dir, "data"),
                "-U",
                "postgres",
                `--pwfile=${path.join(dir, "pw")}`,
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
            ]);
            asPg(path.join(bin!, "pg_ctl"), [
                "-D",
                path.join(dir, "data"),
                "-w",
                "-l",
                path.join(dir, "log"),
                "-o",
                `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
                "start",
            ]);
            try {
                const env = {
                    POSTGRES_USER: "postgres",
                    POSTGRES_PASSWORD: "superuser-pw",
                    POSTGRESQL_CLIENT_KEYCLOAK_PASSWORD: `it's "quoted"`,
                    POSTGRESQL_CLIENT_OTHER_PASSWORD: "other-pw",
                };
                expect(asPg("bash", [path.join(dir, "ensure.sh")], env)).toContain(
                    "role keycloak and database keycloak are ready",
                );
                // Again, with a rotated password: nothing fails, the new password applies.
                asPg("bash", [path.join(dir, "ensure.sh")], { ...env, POSTGRESQL_CLIENT_KEYCLOAK_PASSWORD: "rotated" });
                const psql = (user: string, pw: string, db: string, sql: string) =>
                    execFileSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", db, "-Atc", sql], {
                        env: { ...process.env, PGPASSWORD: pw },
                        stdio: "pipe",
                    })
                        .toString()
                        .trim();
                expect(
                    psql("keycloak", "rotated", "keycloak", "select current_user || '/' || current_database()"),
                ).toBe("keycloak/keycloak");
                expect(() => psql("other_user", "other-pw", "keycloak", "select 1")).toThrow(/CONNECT privilege/);
                expect(
                    psql(
                        "postgres",
                        "superuser-pw",
                        "postgres",
                        "select pg_get_userbyid(datdba) from pg_database where datname = 'other_db'",
                    ),
                ).toBe("other_user");
            } finally {
                asPg(path.join(bin!, "pg_ctl"), ["-D", path.join(dir, "data"), "-m", "fast", "stop"]);
            }
        },
    );
});

describe("the MongoDB bootstrap script (against a simulated replica set)", () => {
    const members = mongoMembers("ns", 3);
    const script = mongoBootstrapScript({
        replicaSet: "rs0",
        members,
        clients: [{ user: "agent-alpha", database: "agent-alpha", passwordEnv: "PW_ALPHA" }],
    });
    type Cmd = Record<string, any>;
    /** Runs the script once with `mongosh`'s globals faked; `reply(host, authenticated, cmd)` plays the servers. */
    function run(
        reply: (host: string, auth: boolean, cmd: Cmd) => Cmd,
        env: Record<string, string> = {
            MONGO_INITDB_ROOT_USERNAME: "root",
            MONGO_INITDB_ROOT_PASSWORD: "r00t/pw",
            PW_ALPHA: "alpha-pw",
        },
    ) {
        const calls: { host: string; auth: boolean; cmd: Cmd }[] = [];
        const QUIT = Symbol("quit");
        let code: number | undefined;
        class Mongo {
            constructor(private readonly uri: string) {}
            getDB() {
                const m = /^mongodb:\/\/(?:([^@]+)@)?([^/]+)\//.exec(this.uri)!;
                if (m[1] !== undefined) expect(m[1]).toBe(`root:${encodeURIComponent("r00t/pw")}`);
                return {
                    runCommand: (cmd: Cmd) => {
                        calls.push({ host: m[2]!, auth: m[1] !== undefined, cmd });
                        return reply(m[2]!, m[1] !== undefined, cmd);
                    },
                };
            }
        }
        const quit = (c: number) => {
            code ??= c;
            throw QUIT;
        };
        try {
            new Function("Mongo", "print", "quit", "process", script)(Mongo, () => undefined, quit, { env });
        } catch (e) {
            if (e !== QUIT) throw e;
        }
        return { code, calls, commands: calls.map((c) => Object.keys(c.cmd)[0]) };
    }
    const notInitiated = (): Cmd => ({ ok: 1, isWritablePrimary: false });

    it("initiates a fresh set with every member once all are up and empty", () => {
        const r = run((_h, _a, cmd) => ("hello" in cmd ? notInitiated() : { ok: 1 }));
        expect(r.code).toBe(1); // not done yet: users and members follow on the next pass
        const initiate = r.calls.find((c) => "replSetInitiate" in c.cmd)!;
        expect(initiate.host).toBe("127.0.0.1:27017");
        expect(initiate.cmd["replSetInitiate"]).toEqual({
            _id: "rs0",
            members: members.map((host, i) => ({ _id: i, host })),
        });
        // The other members were asked without credentials (they have no users yet).
        expect(r.calls.filter((c) => c.host !== "127.0.0.1:27017").every((c) => !c.auth)).toBe(true);
    });

    it("never initiates while a member is unreachable or already in a set (pod 0 lost its volume)", () => {
        const down = run((h, _a, cmd) => {
            if (h === members[2]) throw new Error("connection refused");
            return "hello" in cmd ? notInitiated() : { ok: 1 };
        });
        expect(down.code).toBe(1);
        expect(down.commands).not.toContain("replSetInitiate");
        const inSet = run((h, _a, cmd) =>
            "hello" in cmd ? (h === members[1] ? { ok: 1, setName: "rs0" } : notInitiated()) : { ok: 1 },
        );
        expect(inSet.commands).not.toContain("replSetInitiate");
    });

    it("creates the client users on the primary and adds the members the StatefulSet gained, one at a time", () => {
        const conf = { _id: "rs0", version: 4, term: 2, members: [{ _id: 0, host: members[0] }] };
        const r = run((_h, _a, cmd) => {
            if ("hello" in cmd) return { ok: 1, setName: "rs0", primary: members[0] };
            if ("usersInfo" in cmd) return { ok: 1, users: [] };
            if ("replSetGetConfig" in cmd) return { ok: 1, config: JSON.parse(JSON.stringify(conf)) };
            return { ok: 1 };
        });
        expect(r.code).toBe(1);
        expect(r.commands).toEqual(["hello", "usersInfo", "createUser", "replSetGetConfig", "replSetReconfig"]);
        expect(r.calls.filter((c) => c.cmd["createUser"]).map((c) => [c.host, c.cmd])).toEqual([
            [
                members[0],
                { createUser: "agent-alpha", pwd: "alpha-pw", roles: [{ role: "readWrite", db: "agent-alpha" }] },
            ],
        ]);
        const reconfig = r.calls.find((c) => "replSetReconfig" in c.cmd)!.cmd["replSetReconfig"];
        expect(reconfig.version).toBe(5);
        expect(reconfig.members).toEqual([
            { _id: 0, host: members[0] },
            { _id: 1, host: members[1] },
        ]);
    });

    it("finishes when the set is complete, updating existing users (password rotation)", () => {
        const r = run((_h, _a, cmd) => {
            if ("hello" in cmd) return { ok: 1, setName: "rs0", primary: members[1] };
            if ("usersInfo" in cmd) return { ok: 1, users: [{ user: "agent-alpha" }] };
            if ("replSetGetConfig" in cmd)
                return { ok: 1, config: { version: 9, members: members.map((host, i) => ({ _id: i, host })) } };
            return { ok: 1 };
        });
        expect(r.code).toBe(0);
        expect(r.calls.find((c) => "updateUser" in c.cmd)).toMatchObject({
            host: members[1],
            auth: true,
            cmd: { updateUser: "agent-alpha", pwd: "alpha-pw" },
        });
        expect(r.commands).not.toContain("replSetReconfig");
    });

    it("talks to itself over loopback when it is the primary", () => {
        const r = run((_h, _a, cmd) => {
            if ("hello" in cmd) return { ok: 1, setName: "rs0", primary: members[0], isWritablePrimary: true };
            if ("usersInfo" in cmd) return { ok: 1, users: [] };
            if ("replSetGetConfig" in cmd)
                return { ok: 1, config: { version: 1, members: members.map((host, i) => ({ _id: i, host })) } };
            return { ok: 1 };
        });
        expect(r.code).toBe(0);
        expect([...new Set(r.calls.map((c) => c.host))]).toEqual(["127.0.0.1:27017"]);
    });

    it("fails (and retries later) without a client's password, or on a refused command", () => {
        const primary = (_h: string, _a: boolean, cmd: Cmd): Cmd =>
            "hello" in cmd
                ? { ok: 1, setName: "rs0", primary: members[0] }
                : "usersInfo" in cmd
                  ? { ok: 1, users: [] }
                  : { ok: 1 };
        expect(run(primary, { MONGO_INITDB_ROOT_USERNAME: "root", MONGO_INITDB_ROOT_PASSWORD: "r00t/pw" }).code).toBe(
            1,
        );
        expect(
            run((h, a, cmd) => ("createUser" in cmd ? { ok: 0, errmsg: "not primary" } : primary(h, a, cmd))).code,
        ).toBe(1);
    });
});
