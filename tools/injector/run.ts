/**
 * Runs the envoy-injector as the cluster runs it, from a rendered stack: the program file is taken from
 * the rendered ConfigMap `envoy-injector-program` and laid out the way a ConfigMap volume lays it out
 * (behind a `..data` symlink), the sidecar template from `envoy-sidecar-template`, and the command line
 * from the rendered Deployment (mount paths mapped onto a work directory). It is then started with
 * `node` and spoken to over HTTPS with AdmissionReview requests. Used by the tests and the bench.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type K8sObject = Record<string, any>;

/** A CA and a serving certificate for `localhost`, made with openssl. */
interface TestCerts {
    readonly dir: string;
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

/** Makes a CA and a localhost serving certificate signed by it (openssl, EC P-256). */
export function makeCerts(dir: string, name = "ca"): TestCerts {
    mkdirSync(dir, { recursive: true });
    const f = (n: string) => join(dir, n);
    const run = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    /** `openssl req` arguments that make a new EC P-256 key, unencrypted. */
    const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    run(
        "req",
        "-x509",
        ...newKey,
        "-keyout",
        f(`${name}.key`),
        "-out",
        f(`${name}.crt`),
        "-days",
        "2",
        "-subj",
        `/CN=test ${name}`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    );
    run("req", ...newKey, "-keyout", f("tls.key"), "-out", f("tls.csr"), "-subj", "/CN=localhost");
    writeFileSync(f("ext.cnf"), "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n");
    run(
        "x509",
        "-req",
        "-in",
        f("tls.csr"),
        "-CA",
        f(`${name}.crt`),
        "-CAkey",
        f(`${name}.key`),
        "-CAcreateserial",
        "-out",
        f("tls.crt"),
        "-days",
        "1",
        "-extfile",
        f("ext.cnf"),
    );
    return {
        dir,
        ca: readFileSync(f(`${name}.crt`), "utf8"),
        cert: readFileSync(f("tls.crt"), "utf8"),
        key: readFileSync(f("tls.key"), "utf8"),
    };
}

/** Writes a ConfigMap's data the way the kubelet mounts it: files behind `..data` symlinks. */
function mountConfigMap(dir: string, data: Record<string, string>): void {
    const real = join(dir, "..2026_12_02_00_00_00.000000001");
    mkdirSync(real, { recursive: true });
    for (const [k, v] of Object.entries(data)) writeFileSync(join(real, k), v);
    symlinkSync("..2026_12_02_00_00_00.000000001", join(dir, "..data"));
    for (const k of Object.keys(data)) symlinkSync(join("..data", k), join(dir, k));
}

function findObject(objs: readonly K8sObject[], kind: string, name: string): K8sObject {
    const o = objs.find((x) => x["kind"] === kind && x["metadata"]?.["name"] === name);
    if (!o) throw new Error(`no ${kind} ${name} in the rendered stack`);
    return o;
}

/** A running injector. */
export interface RunningInjector {
    readonly port: number;
    readonly ca: string;
    readonly proc: ChildProcess;
    /** Every line it printed so far (stdout and stderr). */
    readonly lines: string[];
    /** The command line it was started with (after mapping the mount paths). */
    readonly argv: readonly string[];
    /** The work directory (program, template and certificate mounts). */
    readonly dir: string;
    stop(): Promise<number | null>;
}

/**
 * Starts the injector of a rendered stack. `extraArgs` may tune reload and shutdown timings (flags the
 * program documents); everything else is the rendered Deployment's command.
 */
export async function startInjector(
    manifests: readonly K8sObject[],
    opts: { certs?: TestCerts; extraArgs?: string[] } = {},
): Promise<RunningInjector> {
    const dir = mkdtempSync(join(tmpdir(), "envoy-injector-"));
    const certs = opts.certs ?? makeCerts(join(dir, "pki"));
    const deploy = findObject(manifests, "Deployment", "envoy-injector");
    const pod = deploy["spec"]["template"]["spec"];
    const container = pod["containers"][0];
    // Map each volume mount of the container onto a directory here, filled as the kubelet would.
    const mounts: [string, string][] = [];
    for (const m of container["volumeMounts"] as K8sObject[]) {
        const vol = (pod["volumes"] as K8sObject[]).find((v) => v["name"] === m["name"])!;
        const local = join(dir, "mounts", m["name"]);
        mkdirSync(local, { recursive: true });
        if (vol["configMap"])
            mountConfigMap(local, findObject(manifests, "ConfigMap", vol["configMap"]["name"])["data"]);
        else if (vol["secret"])
            mountConfigMap(local, { "tls.crt": certs.cert, "tls.key": certs.key, "ca.crt": certs.ca });
        mounts.push([m["mountPath"], local]);
    }
    const mapPath = (a: string) => {
        const hit = mounts.find(([p]) => a === p || a.startsWith(`${p}/`));
        return hit ? hit[1] + a.slice(hit[0].length) : a;
    };
    const rendered: string[] = [...(container["command"] ?? []), ...(container["args"] ?? [])];
    if (rendered[0] !== "node") throw new Error(`the injector's command is not node: ${rendered.join(" ")}`);
    const args = rendered.slice(1).map(mapPath);
    const portAt = args.indexOf("--port");
    if (portAt >= 0) args[portAt + 1] = "0"; // any free port here
    const argv = [...args, ...(opts.extraArgs ?? [])];
    const proc = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
        let buf = "";
        const onData = (chunk: Buffer) => {
            buf += chunk.toString();
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                lines.push(line);
                try {
                    const j = JSON.parse(line);
                    if (j.msg === "listening") resolve(j.port);
                } catch {
                    /* not JSON: stderr text */
                }
            }
        };
        proc.stdout!.on("data", onData);
        proc.stderr!.on("data", onData);
        proc.once("exit", (code) =>
            reject(new Error(`the injector exited with ${code} before listening:\n${lines.join("\n")}`)),
        );
    });
    return {
        port,
        ca: certs.ca,
        proc,
        lines,
        argv,
        dir,
        stop: () =>
            new Promise((resolve) => {
                if (proc.exitCode !== null) return resolve(proc.exitCode);
                proc.once("exit", (code) => resolve(code));
                proc.kill("SIGTERM");
            }),
    };
}

/** One HTTPS exchange with the injector. */
interface Reply {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly body: string;
}

/** Sends a request to the injector (trusting only the given CA, as the API server does with caBundle). */
export function send(
    inj: Pick<RunningInjector, "port" | "ca">,
    opts: {
        method?: string;
        path?: string;
        body?: string | Buffer;
        headers?: Record<string, string>;
        agent?: import("node:https").Agent;
    },
): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = request(
            {
                host: "127.0.0.1",
                servername: "localhost",
                port: inj.port,
                method: opts.method ?? "POST",
                path: opts.path ?? "/mutate",
                ca: inj.ca,
                ...(opts.agent ? { agent: opts.agent } : {}),
                headers: {
                    ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
                    ...(opts.headers ?? {}),
                },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: Buffer.concat(chunks).toString("utf8"),
                    }),
                );
                res.on("error", reject);
            },
        );
        req.on("error", reject);
        if (opts.body !== undefined) req.end(opts.body);
        else req.end();
    });
}

/** The Pod a workload's template makes, as the API server would pass it to the webhook (CREATE). */
export function podOf(workload: K8sObject): K8sObject {
    const t = workload["spec"]["template"];
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            generateName: `${workload["metadata"]["name"]}-`,
            namespace: workload["metadata"]["namespace"],
            ...structuredClone(t["metadata"] ?? {}),
        },
        spec: structuredClone(t["spec"]),
    };
}

/** An AdmissionReview request for a Pod CREATE. */
export function podReview(pod: K8sObject, uid: string): K8sObject {
    return {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
            uid,
            kind: { group: "", version: "v1", kind: "Pod" },
            resource: { group: "", version: "v1", resource: "pods" },
            requestKind: { group: "", version: "v1", kind: "Pod" },
            requestResource: { group: "", version: "v1", resource: "pods" },
            namespace: pod["metadata"]["namespace"],
            operation: "CREATE",
            userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
            object: pod,
            oldObject: null,
            dryRun: false,
            options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
        },
    };
}
