/**
 * Issue 4 on the whole program and the real stack files: replicas and cluster mode per level, no
 * exposed data store, anti-affinity soft/soft/hard, credentials only by reference, immutable fields
 * identical across levels, `protect` at level 3, and external mode wired end to end.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { immutableFields } from "../lib/objects";
import { validateObjects } from "../tools/k8s/validate";
import { baseConfig, containersOf, engineConfig, find, K8sObject, ofKind, runStack, StackRun } from "./helpers";

const runs: Record<string, StackRun> = {};
beforeAll(async () => {
    for (const stack of ["dev", "staging", "prod"]) runs[stack] = await runStack(stack);
});

const STORES = ["qdrant", "mongodb", "postgresql"] as const;
const isStoreObject = (o: K8sObject) => o["metadata"]?.["labels"]?.["agentstack.io/data-store"] === "true";

describe("data stores on the stack files", () => {
    it("run Qdrant with 1 / 1 / 3 replicas, cluster mode only in prod", () => {
        const want = { dev: ["1", "false"], staging: ["1", "false"], prod: ["3", "true"] } as const;
        for (const [stack, [replicas, cluster]] of Object.entries(want)) {
            const sts = find(runs[stack]!.manifests, "StatefulSet", "qdrant");
            expect(String(sts["spec"]["replicas"]), stack).toBe(replicas);
            expect(
                find(runs[stack]!.manifests, "ConfigMap", "qdrant-config")["data"]["QDRANT__CLUSTER__ENABLED"],
                stack,
            ).toBe(cluster);
        }
    });

    it("never expose a data store through a LoadBalancer or NodePort", () => {
        for (const stack of Object.keys(runs)) {
            const services = ofKind(runs[stack]!.manifests, "Service").filter((s) =>
                ["qdrant", "mongodb", "postgresql"].includes(s["metadata"]["labels"]["app.kubernetes.io/name"]),
            );
            expect(services.length, stack).toBeGreaterThanOrEqual(6);
            for (const s of services)
                expect(s["spec"]["type"] ?? "ClusterIP", `${stack} ${s["metadata"]["name"]}`).toBe("ClusterIP");
        }
    });

    it("give MongoDB preferred / preferred / required anti-affinity (soft = weight 1 on the hostname)", () => {
        const aa = (stack: string) =>
            find(runs[stack]!.manifests, "StatefulSet", "mongodb")["spec"]["template"]["spec"]["affinity"][
                "podAntiAffinity"
            ];
        for (const stack of ["dev", "staging"]) {
            const p = aa(stack)["preferredDuringSchedulingIgnoredDuringExecution"];
            expect(p).toHaveLength(1);
            expect(p[0]["weight"]).toBe(1);
            expect(p[0]["podAffinityTerm"]["topologyKey"]).toBe("kubernetes.io/hostname");
            expect(aa(stack)["requiredDuringSchedulingIgnoredDuringExecution"]).toBeUndefined();
        }
        expect(aa("prod")["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"]).toBe(
            "kubernetes.io/hostname",
        );
        expect(aa("prod")["preferredDuringSchedulingIgnoredDuringExecution"]).toBeUndefined();
    });

    it("take every credential — server or client side — from a secretKeyRef", () => {
        const credential = /(PASSWORD|_PASS|API_KEY|_URI|USERNAME|_USER|KEY_FILE)$/;
        // postgres_exporter's DATA_SOURCE_URI is host:port/database only (its README); user and password
        // come as DATA_SOURCE_USER / DATA_SOURCE_PASS, which the loop below holds to secretKeyRef.
        const plainUri = new Set(["DATA_SOURCE_URI"]);
        for (const stack of Object.keys(runs)) {
            const m = runs[stack]!.manifests;
            const relevant = containersOf(m).filter(
                ({ owner }) =>
                    isStoreObject(owner) ||
                    ["agent", "keycloak"].includes(
                        owner["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
                    ),
            );
            for (const { container } of relevant) {
                for (const e of (container["env"] ?? []).filter((x: any) => plainUri.has(x.name)))
                    expect(e.value, `${stack} ${e.name}`).toMatch(/^127\.0\.0\.1:\d+\/\w+\?sslmode=disable$/);
            }
            const creds = relevant.flatMap(({ owner, container }) =>
                (container["env"] ?? [])
                    .filter((e: any) => credential.test(e.name) && !/_FILE$/.test(e.name) && !plainUri.has(e.name))
                    .map((e: any) => ({ where: `${owner["metadata"]["name"]}/${e.name}`, e })),
            );
            expect(creds.map((c) => c.where)).toEqual(
                expect.arrayContaining([
                    "agent-coder/QDRANT_API_KEY",
                    "agent-coder/MONGODB_URI",
                    "keycloak/KC_DB_PASSWORD",
                    "keycloak/KC_DB_USERNAME",
                ]),
            );
            for (const c of creds) {
                expect(c.e.value, `${stack} ${c.where}`).toBeUndefined();
                expect(c.e.valueFrom?.secretKeyRef, `${stack} ${c.where}`).toBeTruthy();
            }
        }
    });

    it("keep the StatefulSets' immutable fields byte-identical across dev, staging and prod", () => {
        for (const store of STORES) {
            const rendered = Object.keys(runs).map((stack) =>
                JSON.stringify(immutableFields(find(runs[stack]!.manifests, "StatefulSet", store))),
            );
            expect(new Set(rendered).size, store).toBe(1);
            expect(rendered[0]).toContain("volumeClaimTemplates");
        }
    });

    it("retain PVCs when a StatefulSet is deleted or scaled down", () => {
        for (const store of STORES) {
            expect(
                find(runs["prod"]!.manifests, "StatefulSet", store)["spec"]["persistentVolumeClaimRetentionPolicy"],
            ).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
        }
    });

    it("take storage size, class and retention from config (below level 3, retention may delete)", async () => {
        const run = await runStack("case", {
            config: engineConfig(
                baseConfig(1, {
                    qdrant: {
                        storage: { size: "50Gi", storageClassName: "fast-ssd", retention: { whenScaled: "Delete" } },
                    },
                }),
            ),
        });
        const sts = find(run.manifests, "StatefulSet", "qdrant");
        expect(sts["spec"]["persistentVolumeClaimRetentionPolicy"]).toEqual({
            whenDeleted: "Retain",
            whenScaled: "Delete",
        });
        expect(sts["spec"]["volumeClaimTemplates"][0]["spec"]).toMatchObject({
            storageClassName: "fast-ssd",
            resources: { requests: { storage: "50Gi" } },
        });
    });

    it("protect every data-store resource in prod, none in dev (as resources.json records it)", () => {
        const storeResources = (run: StackRun) => {
            const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
            return run.resources.filter((r) => {
                for (let cur: typeof r | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined)
                    if (cur.type.startsWith("agentstack:data:")) return true;
                return false;
            });
        };
        const prod = storeResources(runs["prod"]!);
        expect(prod.length).toBeGreaterThan(30);
        expect(prod.filter((r) => !r.options.protect).map((r) => r.urn)).toEqual([]);
        const dev = storeResources(runs["dev"]!);
        expect(dev.length).toBeGreaterThan(20);
        expect(dev.filter((r) => r.options.protect).map((r) => r.urn)).toEqual([]);
        // Nothing outside the data stores is protected: protection is for data.
        expect(runs["prod"]!.resources.filter((r) => r.options.protect && !prod.includes(r)).map((r) => r.urn)).toEqual(
            [],
        );
    });

    it("pass the strict offline Kubernetes check", () => {
        for (const stack of Object.keys(runs)) expect(validateObjects(runs[stack]!.manifests), stack).toEqual([]);
    });
});

describe("external mode", () => {
    it("renders no workload for an external store and wires its clients to the given address", async () => {
        const cfg = baseConfig(2, {
            mongodb: {
                mode: "external",
                host: "mongo.example.net",
                port: 27017,
                egressCidrs: ["198.51.100.7/32"],
                credentialsSecretRef: { name: "managed-mongo", uriKey: "uri" },
            },
        });
        const run = await runStack("case", { config: engineConfig(cfg) });
        const m = run.manifests;
        expect(
            m.filter((o) => o["metadata"]["name"] === "mongodb" && ["StatefulSet", "Service"].includes(o["kind"])),
        ).toEqual([]);
        expect(
            run.resources.some(
                (r) => r.type === "kubernetes:apps/v1:StatefulSet" && (r.inputs["metadata"] as any).name === "mongodb",
            ),
        ).toBe(false);
        const env = find(m, "Deployment", "agent-alpha")["spec"]["template"]["spec"]["containers"][0]["env"];
        const uri = env.find((e: any) => e.name === "MONGODB_URI");
        expect(uri.valueFrom.secretKeyRef).toEqual({ name: "managed-mongo", key: "uri" });
        const egress = ofKind(m, "NetworkPolicy").find(
            (p) => p["metadata"]["name"] === "agent-alpha-to-mongodb-external-egress",
        )!;
        expect(egress["spec"]["egress"]).toEqual([
            { to: [{ ipBlock: { cidr: "198.51.100.7/32" } }], ports: [{ port: 27017, protocol: "TCP" }] },
        ]);
        expect(ofKind(m, "NetworkPolicy").some((p) => p["metadata"]["name"] === "agent-alpha-to-mongodb-egress")).toBe(
            false,
        );
        expect(validateObjects(m)).toEqual([]);
    });
});
