/**
 * The injector's latency per AdmissionReview, measured as the API server sees it: the rendered program
 * started with node, and a separate client process (tools/injector/load-client.mjs, as kube-apiserver
 * is a process of its own) sending AdmissionReviews over HTTPS keep-alive connections, `total` requests
 * with `concurrency` in flight, each answer checked (HTTP 200, the request's uid, allowed).
 *
 * Two figures: the first `total` requests a freshly started injector answers (both processes cold:
 * the JIT compilers of the server and of the client still at work), and the steady state, `total`
 * requests after `warmup` uncounted ones. The target is on the steady state: a webhook serves for days.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INJECTION_LABEL } from "../../lib/labels";
import { PROJECT_DIR } from "../harness/stackConfig";
import { K8sObject, podOf, podReview, startInjector } from "./run";

/** The load client's report (one JSON line). */
interface Latency {
    readonly requests: number;
    readonly concurrency: number;
    readonly warmup: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
}

interface InjectorLatency {
    /** The first requests after start: nothing warmed up. */
    readonly cold: Latency;
    /** After `warmup` uncounted requests. */
    readonly steady: Latency;
}

const LOAD_CLIENT = join(PROJECT_DIR, "tools", "injector", "load-client.mjs");

function runClient(args: readonly string[]): Promise<Latency> {
    return new Promise((resolve, reject) => {
        execFile(process.execPath, [LOAD_CLIENT, ...args], { encoding: "utf8" }, (err, stdout, stderr) => {
            if (err) return reject(new Error(`the injector load client failed: ${stderr.trim() || err.message}`));
            resolve(JSON.parse(stdout) as Latency);
        });
    });
}

export async function benchInjector(
    manifests: readonly K8sObject[],
    total = 1000,
    concurrency = 20,
    warmup = 5000,
): Promise<InjectorLatency> {
    const dir = mkdtempSync(join(tmpdir(), "injector-bench-"));
    const inj = await startInjector(manifests, { extraArgs: ["--shutdown-delay-ms", "0"] });
    try {
        // The namespaces the webhook's namespaceSelector picks: those labelled for injection.
        const injected = new Set(
            manifests
                .filter(
                    (o) =>
                        o["kind"] === "Namespace" &&
                        o["metadata"]["labels"]?.[INJECTION_LABEL.key] === INJECTION_LABEL.value,
                )
                .map((o) => o["metadata"]["name"]),
        );
        const pods = manifests
            .filter((o) => o["kind"] === "Deployment" && injected.has(o["metadata"]["namespace"]))
            .map(podOf);
        if (pods.length === 0) throw new Error("no workload in an injected namespace to send");
        writeFileSync(join(dir, "ca.crt"), inj.ca);
        writeFileSync(
            join(dir, "bodies.json"),
            JSON.stringify(pods.map((p, i) => JSON.stringify(podReview(p, `bench-${i}`)))),
        );
        const args = (w: number) => [
            ...["--port", String(inj.port), "--ca", join(dir, "ca.crt"), "--bodies", join(dir, "bodies.json")],
            ...["--requests", String(total), "--concurrency", String(concurrency), "--warmup", String(w)],
        ];
        // The cold run warms up only as many requests as there are connections (the TLS handshakes).
        const cold = await runClient(args(0));
        const steady = await runClient(args(warmup));
        return { cold, steady };
    } finally {
        await inj.stop();
        rmSync(dir, { recursive: true, force: true });
    }
}
