/**
 * Issue 10: the envoy-injector tested as deployed. For dev, staging and prod: render the stack, take the
 * injector program from the rendered ConfigMap, start it with `node` exactly as the rendered Deployment
 * does (over HTTPS, with a certificate chain made here), send an AdmissionReview for the pod of every
 * workload in an injected namespace, apply the returned JSONPatch with a JSON Patch library, and check
 * the mutated pods with the strict validator, the Envoy-API check and the policy pack at level 3.
 */
import { Operation, applyPatch } from "fast-json-patch";
import { X509Certificate } from "node:crypto";
import { Agent } from "node:https";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateEnvoyConfig } from "../tools/envoy/validate";
import { RunningInjector, makeCerts, podOf, podReview, send, startInjector } from "../tools/injector/run";
import { validateObjects } from "../tools/k8s/validate";
import { evaluateManifests } from "../tools/policy/run";
import { INJECTOR_PROGRAM, injectorProgramSource } from "../components/envoyInjector";
import { ENVOY_HEALTH_PORT, ENVOY_UID } from "../components/envoySidecar";
import { K8sObject, find, runStack } from "./helpers";

const INJECTED = ["agentstack-gateway", "agentstack-agents", "agentstack-mcp"];

interface Mutated {
    readonly workload: K8sObject;
    readonly before: K8sObject;
    readonly after: K8sObject;
    readonly patch: Operation[];
}

describe.each(["dev", "staging", "prod"])("the injector of %s, run as deployed", (stack) => {
    let manifests: K8sObject[];
    let inj: RunningInjector;
    const mutated: Mutated[] = [];
    let uid = 0;
    const review = async (pod: K8sObject, headers: Record<string, string> = {}) => {
        const u = `uid-${stack}-${++uid}`;
        const r = await send(inj, { body: JSON.stringify(podReview(pod, u)), headers });
        expect(r.status).toBe(200);
        const body = JSON.parse(r.body);
        expect(body).toMatchObject({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: { uid: u, allowed: true },
        });
        return body.response as { patchType?: string; patch?: string };
    };

    beforeAll(async () => {
        manifests = (await runStack(stack)).manifests;
        inj = await startInjector(manifests, { extraArgs: ["--cert-reload-ms", "100", "--shutdown-delay-ms", "50"] });
        const workloads = manifests.filter(
            (o) =>
                (o["kind"] === "Deployment" || o["kind"] === "StatefulSet") &&
                INJECTED.includes(o["metadata"]["namespace"]),
        );
        for (const w of workloads) {
            const before = podOf(w);
            const res = await review(before);
            expect(res.patchType).toBe("JSONPatch");
            const patch = JSON.parse(Buffer.from(res.patch!, "base64").toString("utf8")) as Operation[];
            const after = applyPatch(structuredClone(before), patch, true, false).newDocument;
            mutated.push({ workload: w, before, after, patch });
        }
    });
    afterAll(async () => {
        await inj?.stop();
    });

    it("runs the very file of the repository, with node, as the Deployment's command", () => {
        const program = find(manifests, "ConfigMap", "envoy-injector-program")["data"][INJECTOR_PROGRAM.key];
        expect(program).toBe(injectorProgramSource());
        expect(program).toBe(readFileSync(INJECTOR_PROGRAM.file, "utf8"));
        const c = find(manifests, "Deployment", "envoy-injector")["spec"]["template"]["spec"]["containers"][0];
        expect(c["command"]).toEqual(["node", `${INJECTOR_PROGRAM.mountPath}/${INJECTOR_PROGRAM.key}`]);
        expect(c["image"]).toMatch(/^node:\d+\.\d+\.\d+-alpine[\d.]+$/);
        expect(inj.argv[0]).toMatch(/envoy-injector\.mjs$/);
    });

    it("mutates the pod of every workload in the gateway, agents and MCP namespaces", () => {
        const names = mutated.map((m) => `${m.workload["metadata"]["namespace"]}/${m.workload["metadata"]["name"]}`);
        expect(names).toContain("agentstack-gateway/gateway");
        expect(names.filter((n) => n.startsWith("agentstack-agents/")).length).toBeGreaterThanOrEqual(2);
        expect(names.filter((n) => n.startsWith("agentstack-mcp/")).length).toBeGreaterThanOrEqual(2);
    });

    it("adds one Envoy as a native sidecar, probed on a non-loopback listener, with its own uid", () => {
        for (const m of mutated) {
            const spec = m.after["spec"];
            const envoys = [...(spec["initContainers"] ?? []), ...spec["containers"]].filter(
                (c: K8sObject) => c["name"] === "envoy",
            );
            expect(envoys).toHaveLength(1);
            const envoy = spec["initContainers"][0];
            expect(envoy["name"]).toBe("envoy");
            expect(envoy["restartPolicy"]).toBe("Always");
            for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) {
                expect(envoy[p]["httpGet"]).toEqual({ path: "/ready", port: ENVOY_HEALTH_PORT });
            }
            const bootstrap = JSON.parse(envoy["args"][envoy["args"].indexOf("--config-yaml") + 1]);
            const health = bootstrap.static_resources.listeners.find(
                (l: any) => l.address.socket_address.port_value === ENVOY_HEALTH_PORT,
            );
            expect(health.address.socket_address.address).toBe("0.0.0.0");
            const outbound = bootstrap.static_resources.listeners.find((l: any) => l.name === "outbound");
            expect(outbound.address.socket_address.address).toBe("127.0.0.1");
            if (stack === "dev") {
                // Monitoring off (level 1): no admin interface at all, no stats listener.
                expect(bootstrap.admin).toBeUndefined();
                expect(bootstrap.static_resources.listeners.map((l: any) => l.name)).toEqual(["outbound", "health"]);
            } else {
                // Monitoring on: admin only on a Unix socket (mode 0600); the stats listener routes exactly GET /stats/prometheus there.
                expect(bootstrap.admin).toEqual({ address: { pipe: { path: "/tmp/envoy-admin.sock", mode: 0o600 } } });
                const stats = bootstrap.static_resources.listeners.find((l: any) => l.name === "stats");
                expect(stats.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 15090 });
                const routes = stats.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
                expect(routes.map((r: any) => r.match)).toEqual([
                    { path: "/stats/prometheus", headers: [{ name: ":method", string_match: { exact: "GET" } }] },
                    { prefix: "/" },
                ]);
                expect(routes[1].direct_response).toEqual({ status: 404 });
                expect(envoy["ports"].map((p: any) => p.containerPort)).toEqual([ENVOY_HEALTH_PORT, 15090]);
            }
            // The pod's identity for ExtAuth: namespace/instance.
            const source = `${m.workload["metadata"]["namespace"]}/${m.workload["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"]}`;
            expect(bootstrap.node.id).toBe(source);
            expect(JSON.stringify(bootstrap)).not.toContain("{{SOURCE}}");
            expect(
                outbound.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].typed_per_filter_config[
                    "envoy.filters.http.ext_authz"
                ].check_settings.context_extensions.source,
            ).toBe(source);
            expect(m.after["metadata"]["annotations"]["agentstack.io/envoy-source"]).toBe(source);
            expect(validateEnvoyConfig(bootstrap)).toEqual([]);
            // uid: Envoy's differs from every application container's effective uid.
            expect(envoy["securityContext"]["runAsUser"]).toBe(ENVOY_UID);
            for (const c of spec["containers"]) {
                const appUid = c["securityContext"]?.["runAsUser"] ?? spec["securityContext"]?.["runAsUser"];
                expect(appUid).toBeDefined();
                expect(appUid).not.toBe(ENVOY_UID);
            }
        }
    });

    it("gives every application container both proxy variables, HTTP and HTTPS", () => {
        for (const m of mutated) {
            for (const c of m.after["spec"]["containers"]) {
                const env = Object.fromEntries((c["env"] ?? []).map((e: K8sObject) => [e["name"], e["value"]]));
                for (const k of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"])
                    expect(env[k]).toBe("http://127.0.0.1:15001");
                // The application's own env is kept (the patch only adds).
                for (const e of m.before["spec"]["containers"].find((x: K8sObject) => x["name"] === c["name"])["env"] ??
                    []) {
                    expect(c["env"]).toContainEqual(e);
                }
            }
        }
    });

    it("leaves pods that pass the strict validator and the policy pack at level 3", async () => {
        const pods = mutated.map((m, i) => ({
            ...m.after,
            metadata: { ...m.after["metadata"], name: `${m.workload["metadata"]["name"]}-${i}` },
        }));
        const pathsOf = (o: K8sObject) => validateObjects([o]).map((x) => `${x.path}: ${x.message}`);
        for (const p of pods) expect(pathsOf(p)).toEqual([]);
        const violations = await evaluateManifests([...manifests, ...pods] as Record<string, unknown>[], { level: 3 });
        const onPods = violations.filter((v) => v.resource.kind === "Pod" && v.enforcement === "mandatory");
        // dev is a level-1 stack: judged at level 3 its agents' observe mode and single replicas fail the
        // identity and availability checklists, as they should. What the sidecar changes (pod hardening,
        // secrets, zero trust) must pass at every stack.
        const sidecarRelevant =
            stack === "dev" ? onPods.filter((v) => /^(pod|secrets|zerotrust)-/.test(v.policy)) : onPods;
        expect(sidecarRelevant).toEqual([]);
        expect(pods.length).toBeGreaterThanOrEqual(5);
    });

    it("gives no second sidecar to a pod it already mutated, nor to an opted-out pod, nor to anything but a Pod CREATE", async () => {
        for (const m of mutated.slice(0, 3)) {
            const again = await review(m.after);
            expect(again.patch).toBeUndefined();
        }
        const optOut = structuredClone(mutated[0]!.before);
        optOut["metadata"]["labels"]["agentstack.io/inject"] = "false";
        expect((await review(optOut)).patch).toBeUndefined();
        const update = podReview(mutated[0]!.before, "uid-update");
        update["request"]["operation"] = "UPDATE";
        const r = await send(inj, { body: JSON.stringify(update) });
        expect(JSON.parse(r.body).response).toEqual({ uid: "uid-update", allowed: true });
        const deployment = podReview(mutated[0]!.workload, "uid-deploy");
        deployment["request"]["kind"] = { group: "apps", version: "v1", kind: "Deployment" };
        expect(JSON.parse((await send(inj, { body: JSON.stringify(deployment) })).body).response).toEqual({
            uid: "uid-deploy",
            allowed: true,
        });
    });

    it("answers bad requests with a clean 4xx and a one-line reason, and keeps serving", async () => {
        const good = JSON.stringify(podReview(mutated[0]!.before, "uid-good"));
        const cases: [string, Parameters<typeof send>[1], number][] = [
            ["malformed JSON", { body: '{"apiVersion": ' }, 400],
            [
                "wrong apiVersion",
                { body: JSON.stringify({ ...JSON.parse(good), apiVersion: "admission.k8s.io/v1beta1" }) },
                400,
            ],
            ["wrong kind", { body: JSON.stringify({ ...JSON.parse(good), kind: "Pod" }) }, 400],
            [
                "missing request",
                { body: JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }) },
                400,
            ],
            [
                "request without uid",
                {
                    body: JSON.stringify({
                        apiVersion: "admission.k8s.io/v1",
                        kind: "AdmissionReview",
                        request: { kind: { group: "", kind: "Pod" } },
                    }),
                },
                400,
            ],
            ["not an object", { body: "[1,2,3]" }, 400],
            ["body over the limit", { body: Buffer.alloc(3 * 1024 * 1024, 32) }, 413],
            ["wrong content type", { body: good, headers: { "content-type": "text/plain" } }, 415],
            ["wrong method", { method: "GET" }, 405],
            ["wrong method (PUT)", { method: "PUT", body: good }, 405],
            ["unknown path", { path: "/nope", method: "GET" }, 404],
        ];
        for (const [what, req, status] of cases) {
            const r = await send(inj, req);
            expect(r.status, what).toBe(status);
            expect(r.body.trim().split("\n"), what).toHaveLength(1);
            expect(r.body, what).not.toMatch(/\bat \S+ \(|Error:|node:internal/);
            // ... and the next good request is served.
            const ok = await send(inj, { body: good });
            expect(ok.status, `after ${what}`).toBe(200);
        }
        expect(inj.proc.exitCode).toBeNull();
    });

    it("answers health and readiness, exports metrics, and logs one line per request without secrets", async () => {
        expect((await send(inj, { method: "GET", path: "/healthz" })).status).toBe(200);
        expect((await send(inj, { method: "GET", path: "/readyz" })).status).toBe(200);
        const u = `uid-${stack}-logged`;
        const r = await send(inj, {
            body: JSON.stringify(podReview(mutated[0]!.before, u)),
            headers: { authorization: "Bearer sekrit-token-123", cookie: "session=sekrit-cookie" },
        });
        expect(r.status).toBe(200);
        let logged: string[] = [];
        for (let i = 0; i < 100 && logged.length === 0; i++) {
            await new Promise((res) => setTimeout(res, 20));
            logged = inj.lines.filter((l) => l.includes(`"${u}"`));
        }
        expect(logged).toHaveLength(1);
        const entry = JSON.parse(logged[0]!);
        expect(entry).toMatchObject({ method: "POST", path: "/mutate", status: 200, outcome: "patched" });
        expect(inj.lines.join("\n")).not.toMatch(/sekrit|Bearer|authorization|cookie/i);
        const metrics = (await send(inj, { method: "GET", path: "/metrics" })).body;
        expect(metrics).toMatch(/^agentstack_injector_requests_total\{outcome="patched",code="200"\} \d+$/m);
        expect(metrics).toMatch(/^agentstack_injector_request_duration_seconds_count \d+$/m);
        // The serving certificate's notAfter (the alert InjectorCertificateExpiringSoon reads it).
        const served = new X509Certificate(readFileSync(join(inj.dir, "mounts", "tls", "tls.crt"), "utf8"));
        const expiry = metrics.match(/^agentstack_injector_certificate_expiry_timestamp_seconds (\d+)$/m);
        expect(expiry).not.toBeNull();
        expect(Number(expiry![1])).toBe(Math.floor(Date.parse(served.validTo) / 1000));
    });

    it("picks up a rotated certificate without a restart", async () => {
        const fresh = makeCerts(join(inj.dir, "pki-rotated"), "ca2");
        // Kubernetes swaps the ..data symlink of the Secret volume; writing through it is the same for the reader.
        writeFileSync(join(inj.dir, "mounts", "tls", "tls.crt"), fresh.cert);
        writeFileSync(join(inj.dir, "mounts", "tls", "tls.key"), fresh.key);
        const rotated = { port: inj.port, ca: fresh.ca };
        let status = 0;
        for (let i = 0; i < 100 && status !== 200; i++) {
            await new Promise((r) => setTimeout(r, 50));
            status = await send(rotated, {
                method: "GET",
                path: "/healthz",
                agent: new Agent({ keepAlive: false }),
            }).then(
                (r) => r.status,
                () => 0,
            );
        }
        expect(status).toBe(200);
        // The old CA no longer verifies it.
        await expect(
            send(inj, { method: "GET", path: "/healthz", agent: new Agent({ keepAlive: false }) }),
        ).rejects.toThrow();
        inj = Object.assign(inj, { ca: fresh.ca });
    });

    it("stops gracefully on SIGTERM: not ready, then exit 0", async () => {
        const ready = send(inj, { method: "GET", path: "/readyz" });
        expect((await ready).status).toBe(200);
        inj.proc.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 10));
        const during = await send(inj, { method: "GET", path: "/readyz", agent: new Agent({ keepAlive: false }) }).then(
            (r) => r.status,
            () => 0,
        );
        expect([503, 0]).toContain(during);
        const code = await new Promise<number | null>((r) =>
            inj.proc.exitCode !== null ? r(inj.proc.exitCode) : inj.proc.once("exit", (c) => r(c)),
        );
        expect(code).toBe(0);
        expect(inj.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    });
});
