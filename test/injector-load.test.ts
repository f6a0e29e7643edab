/**
 * The bench's load client (tools/injector/load-client.mjs), the API server's side of the injector's
 * latency figure: it reports what it measured and refuses an answer the API server would not take.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../tools/harness/stackConfig";
import { RunningInjector, podOf, podReview, startInjector } from "../tools/injector/run";
import { K8sObject, runStack } from "./helpers";

const CLIENT = join(PROJECT_DIR, "tools", "injector", "load-client.mjs");

function client(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(process.execPath, [CLIENT, ...args], { encoding: "utf8" }, (err, stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

describe("the injector load client", () => {
    let inj: RunningInjector;
    let dir: string;
    let pods: K8sObject[];
    let sidecarVolume: string;

    beforeAll(async () => {
        const manifests = (await runStack("prod")).manifests;
        inj = await startInjector(manifests, { extraArgs: ["--shutdown-delay-ms", "0"] });
        dir = mkdtempSync(join(tmpdir(), "injector-load-"));
        writeFileSync(join(dir, "ca.crt"), inj.ca);
        pods = manifests
            .filter((o) => o["kind"] === "Deployment" && o["metadata"]["namespace"] === "agentstack-agents")
            .map(podOf);
        const template = manifests.find(
            (o) => o["kind"] === "ConfigMap" && o["metadata"]["name"] === "envoy-sidecar-template",
        )!;
        sidecarVolume = JSON.parse(template["data"]["volumes.yaml"])[0].name;
    });
    afterAll(async () => {
        await inj?.stop();
    });

    const run = (bodies: unknown[], extra: string[] = []) => {
        const file = join(dir, `bodies-${Math.random().toString(36).slice(2)}.json`);
        writeFileSync(file, JSON.stringify(bodies.map((b) => JSON.stringify(b))));
        return client(["--port", String(inj.port), "--ca", join(dir, "ca.crt"), "--bodies", file, ...extra]);
    };

    it("sends the requests with the given concurrency and reports the latency figures", async () => {
        const bodies = pods.map((p, i) => podReview(p, `load-${i}`));
        const r = await run(bodies, ["--requests", "60", "--concurrency", "4", "--warmup", "10"]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        const out = JSON.parse(r.stdout);
        expect(out).toMatchObject({ requests: 60, concurrency: 4, warmup: 10 });
        expect(out.p50Ms).toBeGreaterThan(0);
        expect(out.p99Ms).toBeGreaterThanOrEqual(out.p50Ms);
        expect(out.maxMs).toBeGreaterThanOrEqual(out.p99Ms);
        // Every request reached the injector and was answered: 10 warm-up requests, then the 60 counted.
        const answered = () => inj.lines.filter((l) => /"uid":"load-\d+"/.test(l)).length;
        for (let i = 0; i < 200 && answered() < 70; i++) await new Promise((res) => setTimeout(res, 20));
        expect(answered()).toBe(70);
    });

    it("fails with the injector's answer when an answer is not an allowing AdmissionReview", async () => {
        const bad = { ...podReview(pods[0]!, "load-bad"), apiVersion: "admission.k8s.io/v1beta1" };
        const r = await run([bad], ["--requests", "1", "--concurrency", "1", "--warmup", "0"]);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^load-client: HTTP 400: expected apiVersion admission\.k8s\.io\/v1/);
    });

    it("fails when the injector denies the pod (allowed: false), as the API server would refuse it", async () => {
        const pod = structuredClone(pods[0]!);
        pod["spec"]["volumes"] = [...(pod["spec"]["volumes"] ?? []), { name: sidecarVolume, emptyDir: {} }];
        const r = await run(
            [podReview(pod, "load-denied")],
            ["--requests", "1", "--concurrency", "1", "--warmup", "0"],
        );
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^load-client: not an allowing answer for uid load-denied: /);
    });

    it("refuses an unknown argument", async () => {
        const r = await client(["--port", "1", "--bogus", "x"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('load-client: unknown argument "--bogus"\n');
    });
});
