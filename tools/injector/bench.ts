/**
 * The injector's latency per AdmissionReview, measured as the API server sees it: the rendered program
 * started with node, HTTPS with keep-alive connections, `total` requests with `concurrency` in flight.
 */
import { Agent } from "node:https";
import { performance } from "node:perf_hooks";
import { K8sObject, podOf, podReview, send, startInjector } from "./run";

interface InjectorLatency {
    readonly requests: number;
    readonly concurrency: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchInjector(
    manifests: readonly K8sObject[],
    total = 1000,
    concurrency = 20,
): Promise<InjectorLatency> {
    const inj = await startInjector(manifests, { extraArgs: ["--shutdown-delay-ms", "0"] });
    try {
        const workloads = manifests.filter(
            (o) =>
                o["kind"] === "Deployment" &&
                ["agentstack-gateway", "agentstack-agents", "agentstack-mcp"].includes(o["metadata"]["namespace"]),
        );
        const bodies = workloads.map((w, i) => JSON.stringify(podReview(podOf(w), `bench-${i}`)));
        const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
        // Warm up the connections and the JIT.
        await Promise.all(
            Array.from({ length: concurrency }, (_, i) => send(inj, { body: bodies[i % bodies.length]!, agent })),
        );
        const times: number[] = [];
        let next = 0;
        const worker = async () => {
            while (next < total) {
                const i = next++;
                const start = performance.now();
                const r = await send(inj, { body: bodies[i % bodies.length]!, agent });
                times.push(performance.now() - start);
                if (r.status !== 200) throw new Error(`request ${i}: HTTP ${r.status}: ${r.body}`);
            }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        agent.destroy();
        const sorted = [...times].sort((a, b) => a - b);
        return {
            requests: times.length,
            concurrency,
            p50Ms: percentile(sorted, 50),
            p99Ms: percentile(sorted, 99),
            maxMs: sorted[sorted.length - 1]!,
        };
    } finally {
        await inj.stop();
    }
}
