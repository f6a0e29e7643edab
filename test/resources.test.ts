/**
 * Level 1 fits a single 4 vCPU / 8 GiB dev node with room for the system: the requests of the rendered
 * dev stack, summed as the scheduler counts them (tools/k8s/requests.ts) — every pod as admitted, the
 * Envoy sidecar added by the real injector's review() with the rendered sidecar template — stay within
 * 2 CPUs and 4 GiB, the realm-sync Job included. Levels 2 and 3 keep their sizes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyPatch, Operation } from "fast-json-patch";
import { beforeAll, describe, expect, it } from "vitest";
import { podReview } from "../tools/injector/run";
import { platformRequests, PlatformRequests, podRequests } from "../tools/k8s/requests";
import { K8sObject, find, runStack } from "./helpers";

interface Injector {
    loadTemplate(dir: string): unknown;
    review(review: unknown, template: unknown): { response: { patch?: string } };
}

/** Every workload's pods as the dev cluster admits them, with the injector of the rendered stack. */
async function requestsOf(stack: string): Promise<PlatformRequests> {
    const manifests = (await runStack(stack)).manifests;
    const injector = (await import(path.join(__dirname, "..", "injector", "envoy-injector.mjs"))) as Injector;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sidecar-template-"));
    const template = find(manifests, "ConfigMap", "envoy-sidecar-template");
    for (const [k, v] of Object.entries(template["data"] as Record<string, string>))
        fs.writeFileSync(path.join(dir, k), v);
    const loaded = injector.loadTemplate(dir);
    let uid = 0;
    return platformRequests(manifests, (pod) => {
        const patch = injector.review(podReview(pod as K8sObject, `uid-${++uid}`), loaded).response.patch;
        if (!patch) return pod;
        return applyPatch(
            structuredClone(pod),
            JSON.parse(Buffer.from(patch, "base64").toString("utf8")) as Operation[],
            true,
            false,
        ).newDocument;
    });
}

const row = (r: PlatformRequests, ns: string, name: string) => {
    const w = r.workloads.find((x) => x.namespace === ns && x.name === name);
    if (!w) throw new Error(`no workload ${ns}/${name}`);
    return w;
};

describe("effective pod requests (KEP-753 rules)", () => {
    it("app containers and sidecars add up; an init container counts with the sidecars started before it", () => {
        const c = (cpu: string, memory: string, extra: K8sObject = {}) => ({
            name: "x",
            resources: { requests: { cpu, memory } },
            ...extra,
        });
        expect(podRequests({ containers: [c("100m", "256Mi"), c("50m", "64Mi")] })).toEqual({
            cpuMillis: 150,
            memoryMiB: 320,
        });
        expect(
            podRequests({
                initContainers: [c("20m", "48Mi", { restartPolicy: "Always" })],
                containers: [c("100m", "256Mi")],
            }),
        ).toEqual({ cpuMillis: 120, memoryMiB: 304 });
        // An init container larger than the steady state sets the pod's request (with the sidecar before it).
        expect(
            podRequests({
                initContainers: [c("20m", "48Mi", { restartPolicy: "Always" }), c("1", "1Gi")],
                containers: [c("100m", "256Mi")],
            }),
        ).toEqual({ cpuMillis: 1020, memoryMiB: 1072 });
        // A sidecar started after an init container does not run beside it.
        expect(
            podRequests({
                initContainers: [c("1", "1Gi"), c("20m", "48Mi", { restartPolicy: "Always" })],
                containers: [c("100m", "256Mi")],
            }),
        ).toEqual({ cpuMillis: 1000, memoryMiB: 1024 });
    });
});

describe("level 1 (dev) fits a 4 vCPU / 8 GiB node", () => {
    let dev: PlatformRequests;
    beforeAll(async () => {
        dev = await requestsOf("dev");
    }, 120_000);

    it("the injected pods carry the Envoy sidecar (20m / 48Mi each) — gateway, agents, MCP servers", () => {
        const injected = dev.workloads
            .filter((w) => w.mutated)
            .map((w) => `${w.namespace}/${w.name}`)
            .sort();
        expect(injected).toEqual([
            "agentstack-agents/agent-coder",
            "agentstack-agents/agent-support",
            "agentstack-gateway/gateway",
            "agentstack-mcp/mcp-code-tools",
            "agentstack-mcp/mcp-web-search",
        ]);
        // REQUIREMENTS' agent requests (100m / 256Mi) plus the sidecar.
        expect(row(dev, "agentstack-agents", "agent-coder").pod).toEqual({ cpuMillis: 120, memoryMiB: 304 });
        expect(row(dev, "agentstack-mcp", "mcp-web-search").pod).toEqual({ cpuMillis: 120, memoryMiB: 176 });
    });

    it("data stores and Keycloak are sized for an idle dev platform (docs/resources.md)", () => {
        expect(row(dev, "agentstack-identity", "keycloak").pod).toEqual({ cpuMillis: 250, memoryMiB: 1250 });
        expect(row(dev, "agentstack-data", "qdrant").pod).toEqual({ cpuMillis: 100, memoryMiB: 256 });
        expect(row(dev, "agentstack-data", "mongodb").pod).toEqual({ cpuMillis: 100, memoryMiB: 384 });
        expect(row(dev, "agentstack-identity", "postgresql").pod).toEqual({ cpuMillis: 100, memoryMiB: 256 });
    });

    it("sums to at most 2 CPUs and 4 GiB, sidecars and the realm-sync Job included", () => {
        expect(dev.running).toEqual({ cpuMillis: 1370, memoryMiB: 3586 });
        expect(dev.jobs).toEqual({ cpuMillis: 100, memoryMiB: 384 });
        expect(dev.total.cpuMillis).toBeLessThanOrEqual(2000);
        expect(dev.total.memoryMiB).toBeLessThanOrEqual(4096);
    });
});
