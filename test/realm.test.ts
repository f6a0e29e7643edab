/**
 * Issue 11 (identity): the realm document is minimal and correct, and a keycloak-config-cli Job applies
 * it on every change — a level change, a new agent or MCP server, a rotated secret. Also Keycloak's
 * trusted proxy addresses and MongoDB's re-runnable key-file init.
 */
import { execFileSync } from "child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import {
    REALM_SYNC_DEADLINE_SECONDS,
    keycloakArgs,
    keycloakSettings,
    realmSyncChecksum,
    realmSyncSettings,
} from "../components/keycloak";
import { mcpAuthSettings } from "../components/mcpAuth";
import { keyfileInitScript } from "../components/mongodb";
import {
    AGENT_DEFAULT_SCOPES,
    GATEWAY_CLIENT_ID,
    GATEWAY_SCOPES,
    STANDARD_DEFAULT_SCOPES,
    audienceScope,
    realmRepresentation,
    scopeEnvName,
} from "../components/realm";
import { ConfigError } from "../stacks/errors";
import { REALM_SYNC_INSTANCE, flowTable } from "../stacks/flows";
import { resolvePlatformSpec } from "../stacks/resolve";
import { diffObjects } from "../tools/diff/compare";
import { makeTree } from "../tools/diff/tree";
import { analyzeConnectivity } from "../lib/connectivity/index";
import { platformAnalyzeOptions } from "../tools/harness/connectivityReport";
import {
    baseConfig,
    engineConfig,
    expectHardened,
    find,
    K8sObject,
    ofKind,
    rawInputs,
    runStack,
    StackRun,
} from "./helpers";

type Client = {
    clientId: string;
    defaultClientScopes: string[];
    optionalClientScopes: string[];
    secret: string;
    serviceAccountsEnabled: boolean;
};

const sample = realmRepresentation({
    gatewayUrl: "https://a.example.com",
    webOrigins: ["https://ui.example.com"],
    gatewayClientSecret: "gw-secret",
    agents: [
        { name: "alpha", mcpServers: ["search"], clientSecret: "alpha-secret" },
        { name: "beta", mcpServers: ["search", "files", "legacy"], clientSecret: "beta-secret" },
    ],
    // `legacy` is declared by beta but verifies HS256: it gets no audience scope.
    mcpServers: ["search", "files"],
}) as {
    clientScopes: { name: string; protocolMappers: { protocolMapper: string; config: Record<string, string> }[] }[];
    clients: Client[];
    defaultDefaultClientScopes: string[];
};
const clientOf = (realm: { clients: Client[] }, id: string) => realm.clients.find((c) => c.clientId === id)!;

describe("the realm document", () => {
    it("leaves Keycloak's standard scopes to Keycloak and references them as the realm's defaults", () => {
        expect([...STANDARD_DEFAULT_SCOPES].sort()).toEqual([
            "acr",
            "basic",
            "email",
            "profile",
            "roles",
            "web-origins",
        ]);
        // Declaring a standard scope would replace Keycloak's own (with its `sub` mapper in `basic`).
        expect(sample.clientScopes.map((s) => s.name)).toEqual(["mcp-search", "mcp-files"]);
        expect(sample.defaultDefaultClientScopes).toEqual([...STANDARD_DEFAULT_SCOPES]);
    });

    it("gives the gateway client every scope it asks for at login, and each of them exists", () => {
        expect([...GATEWAY_SCOPES]).toEqual(["openid", "profile", "email"]);
        const gw = clientOf(sample, GATEWAY_CLIENT_ID);
        const existing = new Set<string>([...STANDARD_DEFAULT_SCOPES, ...sample.clientScopes.map((s) => s.name)]);
        for (const scope of GATEWAY_SCOPES.filter((s) => s !== "openid")) {
            expect([...gw.defaultClientScopes, ...gw.optionalClientScopes], scope).toContain(scope);
            expect(existing.has(scope), scope).toBe(true);
        }
        // `basic` makes Keycloak put `sub` in user tokens.
        expect(gw.defaultClientScopes).toContain("basic");
        expect(gw.optionalClientScopes).toEqual([]);
        // The gateway's Envoy requires aud = the gateway client: an audience mapper puts it there.
        expect((gw as any).protocolMappers).toEqual([
            expect.objectContaining({
                protocolMapper: "oidc-audience-mapper",
                config: expect.objectContaining({
                    "included.client.audience": GATEWAY_CLIENT_ID,
                    "access.token.claim": "true",
                }),
            }),
        ]);
    });

    it("lets each agent request exactly the audiences of its declared RS256 servers", () => {
        expect(clientOf(sample, "agent-alpha").optionalClientScopes).toEqual(["mcp-search"]);
        expect(clientOf(sample, "agent-beta").optionalClientScopes).toEqual(["mcp-search", "mcp-files"]);
        for (const id of ["agent-alpha", "agent-beta"]) {
            const c = clientOf(sample, id);
            // No audience is granted by default: a token names a server only when the agent asks for it.
            expect(c.defaultClientScopes).toEqual([...AGENT_DEFAULT_SCOPES]);
            expect(c.serviceAccountsEnabled).toBe(true);
        }
    });

    it("maps each audience scope to the audience its MCP server verifies", () => {
        for (const server of ["search", "files"]) {
            const scope = sample.clientScopes.find((s) => s.name === audienceScope(server))!;
            expect(scope.protocolMappers).toHaveLength(1);
            const m = scope.protocolMappers[0]!;
            expect(m.protocolMapper).toBe("oidc-audience-mapper");
            const verified = mcpAuthSettings("RS256", server, resolvedNamespaces(), "auth.a.example.com")[
                "MCP_AUTH_JWT_AUDIENCE"
            ];
            expect(m.config["included.custom.audience"]).toBe(verified);
            expect(m.config["access.token.claim"]).toBe("true");
        }
    });

    it("references only scopes that exist", () => {
        const existing = new Set<string>([...STANDARD_DEFAULT_SCOPES, ...sample.clientScopes.map((s) => s.name)]);
        for (const c of sample.clients)
            for (const s of [...c.defaultClientScopes, ...c.optionalClientScopes])
                expect(existing.has(s), `${c.clientId}: ${s}`).toBe(true);
    });
});

function resolvedNamespaces() {
    return resolvePlatformSpec(engineConfig(baseConfig(2))).namespaces;
}

describe("the realm on a real stack (level 2)", () => {
    let run: StackRun;
    beforeAll(async () => {
        run = await runStack("realm-l2", {
            config: engineConfig(
                baseConfig(2, {
                    mcpServers: [{ name: "search" }, { name: "files" }],
                    agents: [
                        { name: "alpha", mcpServers: ["search"] },
                        { name: "beta", mcpServers: ["search", "files"] },
                    ],
                }),
            ),
        });
    });
    const realmOf = (r: StackRun) =>
        JSON.parse(rawInputs(r, "Secret", "keycloak-realm")["stringData"]["agentstack-realm.json"]);

    it("tells each agent the scope to request per server, and that scope is one the agent's client may request", () => {
        const realm = realmOf(run);
        for (const [agent, servers] of [
            ["alpha", ["search"]],
            ["beta", ["search", "files"]],
        ] as const) {
            const cm = find(run.manifests, "ConfigMap", `agent-${agent}-config`)["data"];
            const client = realm.clients.find((c: Client) => c.clientId === `agent-${agent}`);
            for (const s of servers) {
                expect(cm[scopeEnvName(s)]).toBe(`mcp-${s}`);
                expect(client.optionalClientScopes).toContain(cm[scopeEnvName(s)]);
                // ... and the server verifies exactly the audience that scope adds.
                const mapper = realm.clientScopes.find((x: { name: string }) => x.name === cm[scopeEnvName(s)])
                    .protocolMappers[0];
                expect(find(run.manifests, "ConfigMap", `mcp-${s}-config`)["data"]["MCP_AUTH_JWT_AUDIENCE"]).toBe(
                    mapper.config["included.custom.audience"],
                );
            }
            expect(
                Object.keys(cm)
                    .filter((k) => /^MCP_.*_AUTH_SCOPE$/.test(k))
                    .sort(),
            ).toEqual(servers.map(scopeEnvName).sort());
        }
        expect(find(run.manifests, "ConfigMap", "agent-alpha-config")["data"]["MCP_AUTH_SCOPE"]).toBe("mcp-search");
        expect(find(run.manifests, "ConfigMap", "agent-beta-config")["data"]["MCP_AUTH_SCOPE"]).toBeUndefined();
    });

    it("applies the realm with a hardened keycloak-config-cli Job after Keycloak is ready", () => {
        const job = find(run.manifests, "Job", REALM_SYNC_INSTANCE);
        expect(job["metadata"]["namespace"]).toBe("agentstack-identity");
        const pod = job["spec"]["template"]["spec"];
        expect(pod["restartPolicy"]).toBe("Never");
        expect(pod["automountServiceAccountToken"]).toBe(false);
        expect(job["spec"]["activeDeadlineSeconds"]).toBe(REALM_SYNC_DEADLINE_SECONDS);
        const c = pod["containers"][0];
        expectHardened(c, pod, "realm sync", { probes: false });
        expect(c["image"]).toBe("docker.io/adorsys/keycloak-config-cli:6.4.0-26.1.0");
        expect(pod["securityContext"]["runAsUser"]).toBe(65534);
        const env = Object.fromEntries(c["env"].map((e: K8sObject) => [e["name"], e]));
        expect(env["KEYCLOAK_URL"]["value"]).toBe("http://keycloak.agentstack-identity.svc.cluster.local:8080");
        expect(env["KEYCLOAK_USER"]["valueFrom"]["secretKeyRef"]).toEqual({ name: "keycloak-admin", key: "username" });
        expect(env["KEYCLOAK_PASSWORD"]["valueFrom"]["secretKeyRef"]).toEqual({
            name: "keycloak-admin",
            key: "password",
        });
        expect(env["IMPORT_FILES_LOCATIONS"]["value"]).toBe("file:/config/agentstack-realm.json");
        expect(env["IMPORT_MANAGED_CLIENTSCOPE"]["value"]).toBe("no-delete");
        // The realm (with its secrets) comes from the Secret, never from a ConfigMap.
        const realmVolume = pod["volumes"].find((v: K8sObject) => v["name"] === "realm");
        expect(realmVolume["secret"]["secretName"]).toBe("keycloak-realm");
        expect(c["volumeMounts"]).toContainEqual({ name: "realm", mountPath: "/config", readOnly: true });
        expect(pod["volumes"].find((v: K8sObject) => v["name"].endsWith("-tmp"))["emptyDir"]).toBeDefined();
        for (const cm of ofKind(run.manifests, "ConfigMap"))
            expect(JSON.stringify(cm["data"] ?? {})).not.toContain('"clientScopes"');
        // Keycloak no longer imports the realm at start (which skips an existing realm).
        const kc = find(run.manifests, "Deployment", "keycloak")["spec"]["template"]["spec"];
        expect(kc["containers"][0]["args"]).toEqual(["start"]);
        expect(kc["volumes"].map((v: K8sObject) => v["name"])).not.toContain("realm");
        // Replaced as a whole (fixed name: delete first), after the Keycloak workload.
        const rec = run.resources.find((r) => r.type === "kubernetes:batch/v1:Job")!;
        expect(rec.options.deleteBeforeReplace).toBe(true);
        expect(
            rec.options.dependsOn.some((u) =>
                u.endsWith("kubernetes:apps/v1:Deployment::agentstack-keycloak-workload-deployment"),
            ),
        ).toBe(true);
    });

    it("lets the sync Job reach Keycloak's HTTP port and nothing else", () => {
        const entries = analyzeConnectivity(run.manifests, platformAnalyzeOptions(run, { internet: false }));
        const from = entries
            .filter((e) => e.src === `agentstack-identity/${REALM_SYNC_INSTANCE}[Job]`)
            .map((e) => `${e.dst} ${e.conn}`)
            .sort();
        expect(from).toEqual(["agentstack-identity/keycloak[Deployment] TCP 8080", "kube-dns TCP 53;UDP 53"]);
        expect(entries.filter((e) => e.dst === `agentstack-identity/${REALM_SYNC_INSTANCE}[Job]`)).toEqual([]);
        expect(
            flowTable(run.spec)
                .filter((f) => f.from.kind === "pods" && f.from.name === REALM_SYNC_INSTANCE)
                .map((f) => f.id),
        ).toEqual(["keycloak-realm-sync-to-keycloak"]);
    });
});

describe("the realm sync re-runs when the realm changes", () => {
    const l1 = baseConfig(1);
    const l1More = baseConfig(1, {
        agents: [
            { name: "alpha", mcpServers: ["search"] },
            { name: "beta", mcpServers: ["files"] },
            { name: "gamma", mcpServers: ["search"] },
        ],
    });
    const runs: Record<string, StackRun> = {};
    beforeAll(async () => {
        runs["l1"] = await runStack("sync-l1", { config: engineConfig(l1) });
        runs["l1again"] = await runStack("sync-l1", { config: engineConfig(l1) });
        runs["l1More"] = await runStack("sync-l1", { config: engineConfig(l1More) });
        runs["l2"] = await runStack("sync-l1", {
            config: engineConfig({ ...l1, securityLevel: 2, gateway: baseConfig(2)["gateway"] }),
        });
    });
    const checksumOf = (r: StackRun) =>
        find(r.manifests, "Job", REALM_SYNC_INSTANCE)["spec"]["template"]["metadata"]["annotations"][
            "checksum/config"
        ] as string;
    const jobAction = (a: StackRun, b: StackRun) =>
        diffObjects(makeTree(a.manifests), makeTree(b.manifests)).find((d) => d.kind === "Job")?.action ?? "none";
    const clientsOf = (r: StackRun) =>
        JSON.parse(rawInputs(r, "Secret", "keycloak-realm")["stringData"]["agentstack-realm.json"]).clients.map(
            (c: Client) => [c.clientId, c.optionalClientScopes],
        );

    it("stays put when nothing changed", () => {
        expect(checksumOf(runs["l1again"]!)).toBe(checksumOf(runs["l1"]!));
        expect(jobAction(runs["l1"]!, runs["l1again"]!)).toBe("none");
    });

    it("is replaced (so it runs again) when the level moves from 1 to 2: the agents' audiences appear", () => {
        // Level 1 (HS256 MCP auth): every agent has its client already, with no audience to request.
        expect(clientsOf(runs["l1"]!)).toEqual([
            ["gateway", []],
            ["agent-alpha", []],
            ["agent-beta", []],
        ]);
        expect(clientsOf(runs["l2"]!)).toEqual([
            ["gateway", []],
            ["agent-alpha", ["mcp-search"]],
            ["agent-beta", ["mcp-files"]],
        ]);
        expect(checksumOf(runs["l2"]!)).not.toBe(checksumOf(runs["l1"]!));
        expect(jobAction(runs["l1"]!, runs["l2"]!)).toBe("replace");
    });

    it("is replaced when an agent is added", () => {
        expect(clientsOf(runs["l1More"]!).map((c: [string, string[]]) => c[0])).toEqual([
            "gateway",
            "agent-alpha",
            "agent-beta",
            "agent-gamma",
        ]);
        expect(checksumOf(runs["l1More"]!)).not.toBe(checksumOf(runs["l1"]!));
        expect(jobAction(runs["l1"]!, runs["l1More"]!)).toBe("replace");
    });

    it("changes with a rotated secret, the sync settings or the image, and with nothing else", () => {
        const realm = (secret: string) =>
            JSON.stringify(
                realmRepresentation({
                    gatewayUrl: "https://a",
                    webOrigins: [],
                    gatewayClientSecret: secret,
                    agents: [],
                    mcpServers: [],
                }),
            );
        const settings = realmSyncSettings("http://keycloak.ns.svc.cluster.local:8080");
        const image = "docker.io/adorsys/keycloak-config-cli:6.4.0-26.1.0";
        const base = realmSyncChecksum(realm("one"), settings, image);
        expect(realmSyncChecksum(realm("one"), settings, image)).toBe(base);
        expect(realmSyncChecksum(realm("two"), settings, image)).not.toBe(base);
        expect(realmSyncChecksum(realm("one"), { ...settings, IMPORT_CACHE_ENABLED: "true" }, image)).not.toBe(base);
        expect(
            realmSyncChecksum(realm("one"), settings, "docker.io/adorsys/keycloak-config-cli:6.4.1-26.1.0"),
        ).not.toBe(base);
        // A Keycloak restart is not needed for a realm change: its own checksum ignores the realm.
        expect(
            find(runs["l1More"]!.manifests, "Deployment", "keycloak")["spec"]["template"]["metadata"]["annotations"][
                "checksum/config"
            ],
        ).toBe(
            find(runs["l1"]!.manifests, "Deployment", "keycloak")["spec"]["template"]["metadata"]["annotations"][
                "checksum/config"
            ],
        );
    });
});

describe("Keycloak's trusted proxies", () => {
    const spec = (extra: Record<string, unknown>) =>
        resolvePlatformSpec(engineConfig(baseConfig(2, { keycloak: extra }))).keycloak;

    it("reads no forwarded header unless the proxy's addresses are configured", () => {
        const off = keycloakSettings(spec({}));
        expect(off["KC_PROXY_HEADERS"]).toBeUndefined();
        expect(off["KC_PROXY_TRUSTED_ADDRESSES"]).toBeUndefined();
        const on = keycloakSettings(spec({ proxyTrustedAddresses: ["10.244.0.0/16", "fd00::/8", "192.168.1.7"] }));
        expect(on["KC_PROXY_HEADERS"]).toBe("xforwarded");
        expect(on["KC_PROXY_TRUSTED_ADDRESSES"]).toBe("10.244.0.0/16,fd00::/8,192.168.1.7");
        expect(keycloakArgs(spec({}))).toEqual(["start"]);
    });

    it("rejects a value that is not an address, naming the key", () => {
        try {
            resolvePlatformSpec(
                engineConfig(
                    baseConfig(2, { keycloak: { proxyTrustedAddresses: ["10.244.0.0/16", "ingress-nginx"] } }),
                ),
            );
            throw new Error("accepted");
        } catch (e) {
            expect(e).toBeInstanceOf(ConfigError);
            expect((e as ConfigError).issues.map((i) => i.key)).toEqual([
                "agentstack:keycloak.proxyTrustedAddresses[1]",
            ]);
            expect((e as ConfigError).issues[0]!.message).toMatch(/IP address or CIDR/);
        }
    });
});

describe("MongoDB's key-file init", () => {
    /** Runs a script with dash (the mongo image's /bin/sh) as an unprivileged user, like the init container. */
    function runAsNobody(script: string): void {
        const cmd =
            process.getuid?.() === 0
                ? (["runuser", ["-u", "nobody", "--", "/bin/dash", "-c", script]] as const)
                : (["/bin/dash", ["-c", script]] as const);
        execFileSync(cmd[0], [...cmd[1]], { stdio: "pipe", timeout: 10_000 });
    }

    it("succeeds when the init container runs again, leaving a 0400 copy of the current key", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "keyfile-"));
        try {
            chmodSync(dir, 0o755);
            mkdirSync(path.join(dir, "secret"));
            mkdirSync(path.join(dir, "keyfile"), { mode: 0o777 });
            chmodSync(path.join(dir, "keyfile"), 0o777); // an emptyDir is world-writable
            const source = path.join(dir, "secret", "keyfile");
            const target = path.join(dir, "keyfile", "keyfile");
            writeFileSync(source, "first-key");
            chmodSync(source, 0o444);
            const script = keyfileInitScript(source, target);
            runAsNobody(script);
            expect(statSync(target).mode & 0o777).toBe(0o400);
            expect(readFileSync(target, "utf8")).toBe("first-key");
            // Again (a Pod restart keeps the emptyDir), with a rotated key.
            chmodSync(source, 0o644);
            writeFileSync(source, "second-key");
            runAsNobody(script);
            expect(statSync(target).mode & 0o777).toBe(0o400);
            expect(readFileSync(target, "utf8")).toBe("second-key");
            // The plain copy it replaces fails exactly there.
            expect(() => runAsNobody(`cp ${source} ${target} && chmod 0400 ${target}`)).toThrow(/Permission denied/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
