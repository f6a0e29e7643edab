// @ts-check
/**
 * The API server's side of the injector bench: a process of its own, as kube-apiserver is, that sends
 * AdmissionReview requests over HTTPS keep-alive connections (trusting only the given CA, as the API
 * server trusts the webhook's caBundle) with `--concurrency` in flight, and prints the latency figures
 * as one JSON line. It checks every answer as the API server would: HTTP 200, an AdmissionReview whose
 * response has the request's uid and `allowed: true`.
 *
 *   node tools/injector/load-client.mjs --port <p> --ca <pem file> --bodies <json file: array of request bodies>
 *        [--requests 1000] [--concurrency 20] [--warmup 1000]
 *
 * `--warmup` requests are sent first and not counted: the figures are the injector's steady state, a
 * long-running server's, not its first seconds of JIT compilation. Kept apart from the bench harness
 * so that the harness's heap (the rendered stacks it holds) and its garbage collector's pauses are not
 * measured as the injector's latency. Node.js built-ins only.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";

/** @param {readonly string[]} argv */
function parseArgs(argv) {
    /** @type {Record<string, string>} */
    const raw = {};
    for (let i = 0; i < argv.length; i += 2) raw[argv[i] ?? ""] = argv[i + 1] ?? "";
    const known = ["--port", "--ca", "--bodies", "--requests", "--concurrency", "--warmup"];
    const unknown = Object.keys(raw).find((k) => !known.includes(k));
    if (unknown !== undefined) throw new Error(`unknown argument ${JSON.stringify(unknown)}`);
    const int = (/** @type {string} */ f, /** @type {number} */ dflt) => {
        const v = raw[f] ?? String(dflt);
        if (!/^\d+$/.test(v)) throw new Error(`${f} must be a whole number, got ${JSON.stringify(v)}`);
        return Number(v);
    };
    for (const f of ["--port", "--ca", "--bodies"]) if (!raw[f]) throw new Error(`${f} is required`);
    return {
        port: int("--port", 0),
        ca: readFileSync(/** @type {string} */ (raw["--ca"]), "utf8"),
        // Each body with its request's uid (read once: the answers are checked against it).
        bodies: /** @type {string[]} */ (JSON.parse(readFileSync(/** @type {string} */ (raw["--bodies"]), "utf8"))).map(
            (text) => ({ text, uid: /** @type {{ request: { uid: string } }} */ (JSON.parse(text)).request.uid }),
        ),
        requests: int("--requests", 1000),
        concurrency: Math.max(1, int("--concurrency", 20)),
        warmup: int("--warmup", 1000),
    };
}

/**
 * One AdmissionReview exchange; resolves with its latency in milliseconds, rejects on a wrong answer.
 * @param {ReturnType<typeof parseArgs>} o @param {Agent} agent @param {{ text: string, uid: string }} review
 * @returns {Promise<number>}
 */
function exchange(o, agent, { text: body, uid }) {
    return new Promise((resolve, reject) => {
        const start = performance.now();
        const req = request(
            {
                host: "127.0.0.1",
                servername: "localhost",
                port: o.port,
                method: "POST",
                path: "/mutate",
                ca: o.ca,
                agent,
                headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
            },
            (res) => {
                /** @type {Buffer[]} */
                const chunks = [];
                res.on("data", (/** @type {Buffer} */ c) => chunks.push(c));
                res.on("error", reject);
                res.on("end", () => {
                    const ms = performance.now() - start;
                    const text = Buffer.concat(chunks).toString("utf8");
                    if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text.trim()}`));
                    const response = JSON.parse(text).response;
                    if (response?.uid !== uid || response?.allowed !== true)
                        return reject(new Error(`not an allowing answer for uid ${uid}: ${text.slice(0, 200)}`));
                    resolve(ms);
                });
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

/**
 * Sends `total` requests with `concurrency` in flight; the latencies, in milliseconds.
 * @param {ReturnType<typeof parseArgs>} o @param {Agent} agent @param {number} total
 */
async function run(o, agent, total) {
    /** @type {number[]} */
    const times = [];
    let next = 0;
    const worker = async () => {
        while (next < total) {
            const i = next++;
            times.push(
                await exchange(o, agent, /** @type {{ text: string, uid: string }} */ (o.bodies[i % o.bodies.length])),
            );
        }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    return times;
}

/** @param {readonly number[]} sorted @param {number} p */
const percentile = (sorted, p) =>
    /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

async function main() {
    const o = parseArgs(process.argv.slice(2));
    if (o.bodies.length === 0) throw new Error("--bodies holds no request");
    const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
    await run(o, agent, Math.max(o.warmup, o.concurrency));
    const started = performance.now();
    const times = await run(o, agent, o.requests);
    const wallMs = performance.now() - started;
    agent.destroy();
    const sorted = [...times].sort((a, b) => a - b);
    process.stdout.write(
        `${JSON.stringify({
            requests: times.length,
            concurrency: o.concurrency,
            warmup: o.warmup,
            p50Ms: percentile(sorted, 50),
            p99Ms: percentile(sorted, 99),
            maxMs: sorted[sorted.length - 1],
            wallMs,
        })}\n`,
    );
}

main().catch((e) => {
    process.stderr.write(`load-client: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
});
