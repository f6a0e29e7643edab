// @ts-check
/**
 * agentstack envoy-injector: the mutating admission webhook that adds the Envoy sidecar to the pods of
 * the injected namespaces. It has no dependency beyond Node.js built-ins: the program (Pulumi) puts
 * this very file into a ConfigMap and runs it on the official Node.js image, and the tests run the
 * same file the same way, over HTTPS, with AdmissionReview requests.
 *
 *   node envoy-injector.mjs --port 8443 --tls-cert tls.crt --tls-key tls.key --template-dir /etc/envoy-injector
 *
 * The template directory holds the files of the `envoy-sidecar-template` ConfigMap (JSON documents):
 *   sidecar.yaml  the sidecar container (a native sidecar: an init container with restartPolicy Always)
 *   volumes.yaml  the volumes the sidecar needs
 *   app-env.yaml  the env added to every application container (the proxy variables)
 * Every occurrence of `{{SOURCE}}` in the sidecar is replaced with `<namespace>/<app.kubernetes.io/instance>`
 * of the pod, the identity ExtAuth decides on.
 *
 * Endpoints (HTTPS): POST /mutate (AdmissionReview admission.k8s.io/v1), GET /healthz, GET /readyz,
 * GET /metrics (Prometheus text format: requests by outcome, latency, and the serving certificate's
 * expiry time, so an alert fires before the webhook's TLS lapses). Bad requests get a 4xx with a one-line reason; the server
 * keeps serving. One JSON log line per request, without headers or bodies. SIGTERM: not ready, then
 * drain and exit. Rotated certificate files are picked up without a restart.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PLACEHOLDER = "{{SOURCE}}";
export const OPT_OUT_LABEL = "agentstack.io/inject";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
/** Largest AdmissionReview body accepted (a Pod is at most ~1.5 MiB in etcd). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Idle keep-alive timeout: longer than the API server's idle-connection timeout (90 s). */
const KEEP_ALIVE_MS = 120000;
/** Beyond this, a body is not even read to its end: the connection is cut after the 413. */
const DISCARD_LIMIT_BYTES = 8 * MAX_BODY_BYTES;

const USAGE =
    "usage: node envoy-injector.mjs --port <port> --tls-cert <pem file> --tls-key <pem file> --template-dir <dir> " +
    "[--cert-reload-ms <ms, default 10000>] [--shutdown-delay-ms <ms, default 3000>]";

/**
 * Parses the command line. Throws an Error whose message is one line for the operator.
 * @param {readonly string[]} argv
 */
export function parseArgs(argv) {
    /** @type {Record<string, string>} */
    const raw = {};
    const known = new Set([
        "--port",
        "--tls-cert",
        "--tls-key",
        "--template-dir",
        "--cert-reload-ms",
        "--shutdown-delay-ms",
    ]);
    for (let i = 0; i < argv.length; i += 2) {
        const flag = argv[i] ?? "";
        const value = argv[i + 1];
        if (!known.has(flag)) throw new Error(`unknown argument ${JSON.stringify(flag)}`);
        if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
        raw[flag] = value;
    }
    for (const f of ["--port", "--tls-cert", "--tls-key", "--template-dir"])
        if (!(f in raw)) throw new Error(`${f} is required`);
    const int = (
        /** @type {string} */ f,
        /** @type {number} */ dflt,
        /** @type {number} */ min,
        /** @type {number} */ max,
    ) => {
        const v = raw[f];
        if (v === undefined) return dflt;
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
            throw new Error(`${f} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
        return Number(v);
    };
    return {
        port: int("--port", 0, 0, 65535),
        tlsCert: /** @type {string} */ (raw["--tls-cert"]),
        tlsKey: /** @type {string} */ (raw["--tls-key"]),
        templateDir: /** @type {string} */ (raw["--template-dir"]),
        certReloadMs: int("--cert-reload-ms", 10000, 50, 3600000),
        shutdownDelayMs: int("--shutdown-delay-ms", 3000, 0, 60000),
    };
}

/**
 * Reads and checks the sidecar template.
 * @param {string} dir
 */
export function loadTemplate(dir) {
    const read = (/** @type {string} */ name) => {
        const file = join(dir, name);
        try {
            return JSON.parse(readFileSync(file, "utf8"));
        } catch (e) {
            throw new Error(`template file ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
    };
    const sidecar = read("sidecar.yaml");
    const volumes = read("volumes.yaml");
    const appEnv = read("app-env.yaml");
    if (!isObject(sidecar) || typeof sidecar["name"] !== "string" || typeof sidecar["image"] !== "string") {
        throw new Error(`template file ${join(dir, "sidecar.yaml")}: must be a container with a name and an image`);
    }
    if (!Array.isArray(volumes) || !volumes.every((v) => isObject(v) && typeof v["name"] === "string")) {
        throw new Error(`template file ${join(dir, "volumes.yaml")}: must be a list of volumes with names`);
    }
    if (!Array.isArray(appEnv) || !appEnv.every((v) => isObject(v) && typeof v["name"] === "string")) {
        throw new Error(`template file ${join(dir, "app-env.yaml")}: must be a list of env vars with names`);
    }
    // The patch is written as JSON text from these pieces, serialized once here rather than per request.
    return {
        sidecar,
        volumes,
        appEnv,
        sidecarParts: JSON.stringify(sidecar).split(PLACEHOLDER),
        volumesJson: JSON.stringify(volumes),
        volumeJson: volumes.map((v) => JSON.stringify(v)),
        appEnvJson: JSON.stringify(appEnv),
        appEnvItemJson: appEnv.map((e) => JSON.stringify(e)),
    };
}

/**
 * One JSONPatch operation as JSON text (the same text JSON.stringify gives for `{ op, path, value }`).
 * @param {"add" | "replace"} op @param {string} path @param {string} valueJson the value, already JSON
 */
const patchOp = (op, path, valueJson) => `{"op":"${op}","path":${JSON.stringify(path)},"value":${valueJson}}`;

/** @param {unknown} v @returns {v is Record<string, any>} */
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An error answered with an HTTP status and a one-line reason. */
export class HttpError extends Error {
    /** @param {number} status @param {string} message */
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

/**
 * Escapes a JSON Pointer token (RFC 6901).
 * @param {string} s
 */
const ptr = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The decision for one AdmissionReview: its response and what happened (for the log).
 * @param {unknown} review the parsed request body
 * @param {ReturnType<typeof loadTemplate>} template
 * @returns {{ response: Record<string, unknown>, outcome: string, namespace?: string, pod?: string, uid: string }}
 */
export function review(review, template) {
    if (!isObject(review)) throw new HttpError(400, "the body must be a JSON object (an AdmissionReview)");
    if (review["apiVersion"] !== "admission.k8s.io/v1" || review["kind"] !== "AdmissionReview") {
        throw new HttpError(
            400,
            `expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got ${JSON.stringify(review["apiVersion"])} ${JSON.stringify(review["kind"])}`,
        );
    }
    const req = review["request"];
    if (!isObject(req)) throw new HttpError(400, "the AdmissionReview has no request");
    const uid = req["uid"];
    if (typeof uid !== "string" || uid === "") throw new HttpError(400, "the AdmissionReview request has no uid");
    const allow = (/** @type {string} */ outcome, /** @type {Record<string, unknown>} */ extra = {}) => ({
        response: { uid, allowed: true, ...extra },
        outcome,
        uid,
    });

    const kind = req["kind"];
    const isPod = isObject(kind) && kind["group"] === "" && kind["kind"] === "Pod";
    if (!isPod || req["operation"] !== "CREATE" || (req["subResource"] ?? "") !== "") return allow("not-a-pod-create");
    const pod = req["object"];
    if (!isObject(pod) || !isObject(pod["spec"]) || !Array.isArray(pod["spec"]["containers"])) {
        throw new HttpError(400, "the AdmissionReview request.object is not a Pod with spec.containers");
    }
    const meta = isObject(pod["metadata"]) ? pod["metadata"] : {};
    const labels = isObject(meta["labels"]) ? meta["labels"] : {};
    const namespace =
        typeof req["namespace"] === "string"
            ? req["namespace"]
            : typeof meta["namespace"] === "string"
              ? meta["namespace"]
              : "";
    const podName =
        typeof meta["name"] === "string" && meta["name"]
            ? meta["name"]
            : typeof meta["generateName"] === "string"
              ? `${meta["generateName"]}*`
              : "";
    const ctx = { namespace, pod: podName };
    if (labels[OPT_OUT_LABEL] === "false") return { ...allow("opted-out"), ...ctx };

    const spec = pod["spec"];
    const containers = /** @type {Record<string, any>[]} */ (spec["containers"]);
    const inits = Array.isArray(spec["initContainers"])
        ? /** @type {Record<string, any>[]} */ (spec["initContainers"])
        : undefined;
    const sidecarName = template.sidecar["name"];
    if ([...containers, ...(inits ?? [])].some((c) => isObject(c) && c["name"] === sidecarName))
        return { ...allow("already-injected"), ...ctx };

    const volumes = Array.isArray(spec["volumes"]) ? /** @type {Record<string, any>[]} */ (spec["volumes"]) : undefined;
    const clash = template.volumes.find((v) => volumes?.some((x) => isObject(x) && x["name"] === v["name"]));
    if (clash) {
        return {
            response: {
                uid,
                allowed: false,
                status: {
                    code: 400,
                    message: `envoy-injector: the pod already has a volume named ${clash["name"]}, which the Envoy sidecar needs; rename it or opt out with the label ${OPT_OUT_LABEL}: "false"`,
                },
            },
            outcome: "denied-volume-clash",
            uid,
            ...ctx,
        };
    }

    const instance = typeof labels[INSTANCE_LABEL] === "string" ? labels[INSTANCE_LABEL] : "";
    const source = `${namespace}/${instance}`;
    // The source is a label value and a namespace name (no quotes or backslashes), but escape it for JSON all the same.
    const sidecarJson = template.sidecarParts.join(JSON.stringify(source).slice(1, -1));

    /** @type {string[]} the operations, each as JSON text */
    const patch = [];
    patch.push(
        inits
            ? patchOp("add", "/spec/initContainers/0", sidecarJson)
            : patchOp("add", "/spec/initContainers", `[${sidecarJson}]`),
    );
    if (volumes) for (const v of template.volumeJson) patch.push(patchOp("add", "/spec/volumes/-", v));
    else patch.push(patchOp("add", "/spec/volumes", template.volumesJson));
    containers.forEach((c, i) => {
        const env =
            isObject(c) && Array.isArray(c["env"]) ? /** @type {Record<string, any>[]} */ (c["env"]) : undefined;
        if (!env) {
            patch.push(patchOp("add", `/spec/containers/${i}/env`, template.appEnvJson));
            return;
        }
        template.appEnv.forEach((e, k) => {
            const at = env.findIndex((x) => isObject(x) && x["name"] === e["name"]);
            const value = /** @type {string} */ (template.appEnvItemJson[k]);
            patch.push(
                at >= 0
                    ? patchOp("replace", `/spec/containers/${i}/env/${at}`, value)
                    : patchOp("add", `/spec/containers/${i}/env/-`, value),
            );
        });
    });
    if (!isObject(meta["annotations"])) patch.push(patchOp("add", "/metadata/annotations", "{}"));
    patch.push(patchOp("add", `/metadata/annotations/${ptr("agentstack.io/envoy-source")}`, JSON.stringify(source)));
    return {
        ...allow(instance ? "patched" : "patched-without-instance", {
            patchType: "JSONPatch",
            patch: Buffer.from(`[${patch.join(",")}]`).toString("base64"),
        }),
        ...ctx,
    };
}

/** Request counters and a latency histogram, in the Prometheus text format. */
class Metrics {
    constructor() {
        /** @type {Map<string, number>} */
        this.requests = new Map();
        this.buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
        this.counts = this.buckets.map(() => 0);
        this.sum = 0;
        this.total = 0;
        /** notAfter of the serving certificate, in Unix seconds (NaN when unreadable). */
        this.certExpiry = Number.NaN;
    }
    /** @param {string} outcome @param {number} code @param {number} seconds */
    observe(outcome, code, seconds) {
        const key = `outcome="${outcome}",code="${code}"`;
        this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
        this.buckets.forEach((b, i) => {
            if (seconds <= b) this.counts[i] = (this.counts[i] ?? 0) + 1;
        });
        this.sum += seconds;
        this.total += 1;
    }
    text() {
        const lines = [
            "# HELP agentstack_injector_requests_total AdmissionReview requests by outcome and HTTP status.",
            "# TYPE agentstack_injector_requests_total counter",
            ...[...this.requests].map(([k, v]) => `agentstack_injector_requests_total{${k}} ${v}`),
            "# HELP agentstack_injector_request_duration_seconds Time to answer an AdmissionReview.",
            "# TYPE agentstack_injector_request_duration_seconds histogram",
            ...this.buckets.map(
                (b, i) => `agentstack_injector_request_duration_seconds_bucket{le="${b}"} ${this.counts[i]}`,
            ),
            `agentstack_injector_request_duration_seconds_bucket{le="+Inf"} ${this.total}`,
            `agentstack_injector_request_duration_seconds_sum ${this.sum}`,
            `agentstack_injector_request_duration_seconds_count ${this.total}`,
            ...(Number.isFinite(this.certExpiry)
                ? [
                      "# HELP agentstack_injector_certificate_expiry_timestamp_seconds When the webhook's serving certificate expires (its notAfter), in Unix seconds.",
                      "# TYPE agentstack_injector_certificate_expiry_timestamp_seconds gauge",
                      `agentstack_injector_certificate_expiry_timestamp_seconds ${this.certExpiry}`,
                  ]
                : []),
        ];
        return `${lines.join("\n")}\n`;
    }
}

/**
 * notAfter of the first certificate of a PEM bundle, in Unix seconds; NaN when it cannot be read.
 * @param {string} pem
 */
export function certificateExpiry(pem) {
    try {
        return Math.floor(Date.parse(new X509Certificate(pem).validTo) / 1000);
    } catch {
        return Number.NaN;
    }
}

/**
 * Log lines waiting for the end of this turn of the event loop. The line of each request is written
 * after its answer, and the lines of one turn in one write: stdout is a pipe (the container runtime's),
 * written synchronously on Linux, and a write per request would cost a system call on every answer's
 * path — or block the server while the reader is slow.
 * @type {string[]}
 */
let pendingLines = [];

function flushLog() {
    if (pendingLines.length === 0) return;
    const text = pendingLines.join("");
    pendingLines = [];
    process.stdout.write(text);
}

/** @param {Record<string, unknown>} fields */
function log(fields) {
    if (pendingLines.length === 0) setImmediate(flushLog);
    pendingLines.push(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}
process.on("exit", flushLog);

/**
 * Starts the server. Resolves once it listens, with its port and a stop function.
 * @param {ReturnType<typeof parseArgs>} opts
 */
export async function start(opts) {
    const template = loadTemplate(opts.templateDir);
    const readTls = () => ({ cert: readFileSync(opts.tlsCert, "utf8"), key: readFileSync(opts.tlsKey, "utf8") });
    let tls = readTls();
    const metrics = new Metrics();
    metrics.certExpiry = certificateExpiry(tls.cert);
    let ready = true;

    // Idle keep-alive connections are closed by the client, never by us: a server that closes an idle
    // connection just as the API server reuses it makes that admission fail (Go's transport keeps idle
    // connections 90 s; Node's default here would be 5 s).
    const server = createServer(
        { ...tls, minVersion: "TLSv1.2", requestTimeout: 10000, headersTimeout: 5000, keepAliveTimeout: KEEP_ALIVE_MS },
        (req, res) => {
            const started = process.hrtime.bigint();
            /** @type {Record<string, unknown>} */
            const entry = { method: req.method, path: (req.url ?? "").split("?")[0] };
            const finish = (
                /** @type {number} */ status,
                /** @type {string} */ body,
                /** @type {string} */ type,
                /** @type {string} */ outcome,
                /** @type {Record<string, string>} */ headers = {},
            ) => {
                res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
                res.end(body);
                const seconds = Number(process.hrtime.bigint() - started) / 1e9;
                if (entry["path"] === "/mutate") metrics.observe(outcome, status, seconds);
                log({ ...entry, status, outcome, ms: Math.round(seconds * 1e6) / 1e3 });
            };
            const fail = (
                /** @type {number} */ status,
                /** @type {string} */ reason,
                /** @type {Record<string, string>} */ headers = {},
            ) =>
                finish(
                    status,
                    `${reason.replace(/[\r\n]+/g, " ")}\n`,
                    "text/plain; charset=utf-8",
                    `error-${status}`,
                    headers,
                );

            const path = /** @type {string} */ (entry["path"]);
            if (path === "/healthz" || path === "/readyz" || path === "/metrics") {
                if (req.method !== "GET" && req.method !== "HEAD")
                    return fail(405, "method not allowed: use GET", { allow: "GET, HEAD" });
                if (path === "/metrics")
                    return finish(200, metrics.text(), "text/plain; version=0.0.4; charset=utf-8", "metrics");
                if (path === "/readyz" && !ready) return fail(503, "shutting down");
                return finish(200, "ok\n", "text/plain; charset=utf-8", "health");
            }
            if (path !== "/mutate") return fail(404, `not found: ${path.slice(0, 100)}`);
            if (req.method !== "POST") return fail(405, "method not allowed: use POST", { allow: "POST" });
            const type = String(req.headers["content-type"] ?? "")
                .split(";")[0]
                ?.trim()
                .toLowerCase();
            if (type !== "application/json")
                return fail(415, `unsupported content type ${JSON.stringify(type)}: send application/json`);
            // Over the limit: stop keeping the body, read (and drop) the rest so the client gets its answer,
            // then answer 413. A body far over the limit is cut off at once.
            const declared = Number(req.headers["content-length"] ?? "0");
            if (declared > DISCARD_LIMIT_BYTES) {
                res.setHeader("connection", "close");
                fail(413, `request body over ${MAX_BODY_BYTES} bytes`);
                req.destroy();
                return;
            }
            /** @type {Buffer[]} */
            const chunks = [];
            let size = 0;
            req.on("data", (/** @type {Buffer} */ chunk) => {
                size += chunk.length;
                if (size > DISCARD_LIMIT_BYTES) {
                    if (!res.headersSent) {
                        res.setHeader("connection", "close");
                        fail(413, `request body over ${MAX_BODY_BYTES} bytes`);
                    }
                    req.destroy();
                    return;
                }
                if (size <= MAX_BODY_BYTES) chunks.push(chunk);
            });
            req.on("error", () => {
                if (!res.headersSent) fail(400, "the request body could not be read");
            });
            req.on("end", () => {
                if (res.headersSent) return;
                if (size > MAX_BODY_BYTES) {
                    res.setHeader("connection", "close");
                    return fail(413, `request body over ${MAX_BODY_BYTES} bytes`);
                }
                let body;
                try {
                    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
                } catch {
                    return fail(400, "the body is not valid JSON");
                }
                try {
                    const out = review(body, template);
                    Object.assign(entry, { uid: out.uid, namespace: out.namespace, pod: out.pod });
                    return finish(
                        200,
                        JSON.stringify({
                            apiVersion: "admission.k8s.io/v1",
                            kind: "AdmissionReview",
                            response: out.response,
                        }),
                        "application/json",
                        out.outcome,
                    );
                } catch (e) {
                    if (e instanceof HttpError) return fail(e.status, e.message);
                    log({
                        level: "error",
                        msg: "unexpected error while reviewing",
                        error: e instanceof Error ? e.message : String(e),
                    });
                    return fail(500, "internal error");
                }
            });
        },
    );
    server.on("tlsClientError", () => {}); // a bad handshake is the client's problem; keep serving
    server.on("clientError", (_err, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    });

    // Certificate rotation: re-read the files and swap the TLS context when they change.
    const reload = setInterval(() => {
        try {
            const next = readTls();
            if (next.cert === tls.cert && next.key === tls.key) return;
            server.setSecureContext({ ...next, minVersion: "TLSv1.2" });
            tls = next;
            metrics.certExpiry = certificateExpiry(tls.cert);
            log({ msg: "reloaded the serving certificate" });
        } catch (e) {
            log({
                level: "error",
                msg: "could not reload the serving certificate; keeping the current one",
                error: e instanceof Error ? e.message : String(e),
            });
        }
    }, opts.certReloadMs);
    reload.unref();

    await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.port, () => resolve(undefined));
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : opts.port;
    log({ msg: "listening", port, sidecar: template.sidecar["name"], image: template.sidecar["image"] });

    /** Graceful stop: not ready at once, keep serving for the delay (endpoints update), then drain. */
    const stop = () =>
        new Promise((resolve) => {
            ready = false;
            clearInterval(reload);
            setTimeout(() => {
                server.close(() => resolve(undefined));
                server.closeIdleConnections();
            }, opts.shutdownDelayMs);
        });
    return { port, stop };
}

async function main() {
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`envoy-injector: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
        process.exit(2);
    }
    let server;
    try {
        server = await start(opts);
    } catch (e) {
        process.stderr.write(`envoy-injector: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
    }
    let stopping = false;
    const onSignal = (/** @type {string} */ signal) => {
        if (stopping) return;
        stopping = true;
        log({ msg: "stopping", signal });
        server.stop().then(() => {
            log({ msg: "stopped" });
            process.exit(0);
        });
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));
}

/** True when this file is the program node was started with (a ConfigMap mounts it behind symlinks, so compare real paths). */
function isMain() {
    try {
        return (
            Boolean(process.argv[1]) &&
            realpathSync(/** @type {string} */ (process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))
        );
    } catch {
        return false;
    }
}

if (isMain()) main();
