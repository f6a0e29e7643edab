/**
 * The pure halves of the components (issue 14): each component is a thin class over a `createX`
 * function, and what can be computed without creating resources is a function of its own. These tests
 * call those functions directly, on the resolved specs of the repo's stacks — no mocks, no program run.
 */
import { describe, expect, it } from "vitest";
import { INJECTOR_WEBHOOK_PORT, KEYCLOAK_HTTP_PORT, KEYCLOAK_MANAGEMENT_PORT } from "../stacks/flows";
import { PlatformSpec, resolvePlatformSpec } from "../stacks/resolve";
import {
    INJECTOR_PATHS,
    INJECTOR_UID,
    WEBHOOK_NAME,
    injectorWorkloadArgs,
    sidecarTemplateData,
    webhookArgs,
} from "../components/envoyInjector";
import {
    ExposureArgs,
    certificateArgs,
    exposureTlsSecretName,
    gatewayApiArgs,
    ingressArgs,
    routeArgs,
} from "../components/exposure";
import { GATEWAY_CONFIG_DIR, GatewayArgs, chatUiWorkloadArgs, gatewayWorkloadArgs } from "../components/gateway";
import {
    KEYCLOAK_UID,
    REALM_SYNC_CONFIG_DIR,
    REALM_SYNC_UID,
    keycloakAdminRef,
    keycloakPorts,
    keycloakSettings,
    keycloakWorkloadArgs,
    realmSyncPodSpec,
} from "../components/keycloak";
import { extauthWorkloadArgs } from "../components/extauth";
import { platformRealmJson } from "../components/platform";
import { sandboxWorkloadArgs } from "../components/sandbox";
import { HardenedWorkloadArgs, checksum, workloadMeta, workloadObjects } from "../components/workload";
import { PROJECT_DIR, loadEngineConfig } from "../tools/harness/stackConfig";

const specs = Object.fromEntries(
    (["dev", "staging", "prod"] as const).map((s) => [s, resolvePlatformSpec(loadEngineConfig(PROJECT_DIR, s))]),
) as Record<"dev" | "staging" | "prod", PlatformSpec>;
const dev = specs.dev;
const prod = specs.prod;

describe("keycloak", () => {
    it("refers to the generated admin Secret, or to the user's own", () => {
        expect(keycloakAdminRef(dev.keycloak)).toEqual({
            name: "keycloak-admin",
            usernameKey: "username",
            passwordKey: "password",
        });
        const own = {
            ...dev.keycloak,
            admin: { kind: "secretRef" as const, name: "kc-root", usernameKey: "u", passwordKey: "p" },
        };
        expect(keycloakAdminRef(own)).toEqual({ name: "kc-root", usernameKey: "u", passwordKey: "p" });
    });

    it("opens the JGroups ports only when clustered", () => {
        expect(dev.keycloak.clustering).toBe(false);
        expect(keycloakPorts(dev.keycloak)).toEqual([
            { name: "http", containerPort: KEYCLOAK_HTTP_PORT },
            { name: "management", containerPort: KEYCLOAK_MANAGEMENT_PORT },
        ]);
        expect(prod.keycloak.clustering).toBe(true);
        expect(keycloakPorts(prod.keycloak).map((p) => p.name)).toEqual([
            "http",
            "management",
            "jgroups",
            "jgroups-fd",
        ]);
    });

    it("builds the workload from the spec: replicas, PDB, uid, the seeded Quarkus folder, env by reference", () => {
        const settings = keycloakSettings(prod.keycloak);
        const w = keycloakWorkloadArgs({
            spec: prod.keycloak,
            namespace: "ns",
            settings,
            settingsConfigMap: "keycloak-config",
            admin: keycloakAdminRef(prod.keycloak),
            databaseEnv: [{ name: "KC_DB_URL", value: "jdbc:x" }],
        });
        expect(w.replicas).toEqual({ fixed: 3 });
        expect(w.pdbMinAvailable).toBe(1);
        expect(w.uid).toBe(KEYCLOAK_UID);
        expect(w.headlessService).toBe(true);
        expect(w.configChecksum).toBe(checksum({ settings }));
        expect(w.childOptions).toBeUndefined();
        expect(w.initContainers![0]!.command).toEqual(["/bin/sh", "-c", "cp -a /opt/keycloak/lib/quarkus/. /seed/"]);
        const env = w.containers[0]!.env as any[];
        expect(env.find((e: any) => e.name === "KC_BOOTSTRAP_ADMIN_PASSWORD")).toEqual({
            name: "KC_BOOTSTRAP_ADMIN_PASSWORD",
            valueFrom: { secretKeyRef: { name: "keycloak-admin", key: "password" } },
        });
        expect(env.at(-1)).toEqual({ name: "KC_DB_URL", value: "jdbc:x" });
        expect(w.containers[0]!.args).toEqual(["start"]);
        expect(
            keycloakWorkloadArgs({
                spec: dev.keycloak,
                namespace: "ns",
                settings,
                settingsConfigMap: "c",
                admin: keycloakAdminRef(dev.keycloak),
                databaseEnv: [],
            }).containers[0]!.args,
        ).toEqual(["start-dev"]);
    });

    it("runs the realm sync once per pod, as keycloak-config-cli's user, with the realm mounted read-only", () => {
        const pod = realmSyncPodSpec({
            image: "img:1",
            settings: { KEYCLOAK_URL: "http://kc:8080" },
            serviceAccountName: "realm-sync",
            admin: { name: "adm", usernameKey: "u", passwordKey: "p" },
            realmSecret: "keycloak-realm",
        });
        expect(pod.restartPolicy).toBe("Never");
        expect(pod.securityContext).toMatchObject({ runAsUser: REALM_SYNC_UID, runAsNonRoot: true });
        expect(pod.automountServiceAccountToken).toBe(false);
        const c = (pod.containers as any[])[0];
        expect(c.env.map((e: any) => e.name)).toEqual(["KEYCLOAK_URL", "KEYCLOAK_USER", "KEYCLOAK_PASSWORD"]);
        expect(c.volumeMounts).toContainEqual({ name: "realm", mountPath: REALM_SYNC_CONFIG_DIR, readOnly: true });
        expect(pod.volumes).toContainEqual({
            name: "realm",
            secret: { secretName: "keycloak-realm", defaultMode: 0o440 },
        });
    });
});

describe("exposure", () => {
    const base: ExposureArgs = {
        hostname: "a.example.com",
        namespace: "gw",
        service: { name: "gateway", port: 8080 },
        settings: dev.gateway,
        labels: { app: "x" },
    };
    const meta = { name: "gateway", namespace: "gw", labels: { app: "x" } };

    it("names the TLS Secret after the service unless the user's Secret is given", () => {
        expect(exposureTlsSecretName(dev.gateway, "gateway")).toBe("gateway-tls");
        expect(exposureTlsSecretName({ ...dev.gateway, tls: { mode: "secret", secretName: "mine" } }, "gateway")).toBe(
            "mine",
        );
    });

    it("routes the Gateway API way: the route with the LLM timeout, a 301 redirect and the Secret's ReferenceGrant", () => {
        const g = gatewayApiArgs(base, meta, "gateway-tls");
        expect(g.route.spec.parentRefs).toEqual([{ name: "edge", namespace: "gateway-system", sectionName: "https" }]);
        expect(g.route.spec.rules[0].timeouts).toEqual({ request: "300s", backendRequest: "300s" });
        expect(g.route.spec.rules[0].backendRefs).toEqual([{ name: "gateway", port: 8080 }]);
        expect(g.redirect.metadata).toMatchObject({ name: "gateway-https-redirect" });
        expect(g.redirect.spec.rules).toEqual([
            { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
        ]);
        expect(g.referenceGrant.spec.from).toEqual([
            { group: "gateway.networking.k8s.io", kind: "Gateway", namespace: "gateway-system" },
        ]);
        expect(g.referenceGrant.spec.to).toEqual([{ group: "", kind: "Secret", name: "gateway-tls" }]);
    });

    it("builds the Ingress, the Route and the Certificate from the same settings", () => {
        const ing = ingressArgs(base, meta, "gateway-tls") as any;
        expect(ing.spec.tls).toEqual([{ hosts: ["a.example.com"], secretName: "gateway-tls" }]);
        expect(ing.metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]).toBe("300");
        const route = routeArgs(base, meta, "gateway-tls") as any;
        expect(route.metadata.annotations["haproxy.router.openshift.io/timeout"]).toBe("300s");
        expect(route.spec.tls).toEqual({
            termination: "edge",
            insecureEdgeTerminationPolicy: "Redirect",
            externalCertificate: { name: "gateway-tls" },
        });
        const cert = certificateArgs(base, { ...meta, name: "gateway-tls" }, "gateway-tls", {
            name: "le",
            kind: "ClusterIssuer",
        }) as any;
        expect(cert.spec).toMatchObject({
            secretName: "gateway-tls",
            dnsNames: ["a.example.com"],
            issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" },
        });
        expect(cert.metadata.annotations["pulumi.com/waitFor"]).toBe("condition=Ready");
    });
});

describe("gateway", () => {
    const args: GatewayArgs = {
        spec: prod.gateway,
        namespaces: prod.namespaces,
        namespace: "gw",
        agents: [{ name: "support", port: 8080 }],
        oidc: { issuer: "https://auth/realms/agentstack", clientId: "gateway", clientSecret: undefined as never },
    };

    it("autoscales the Envoy workload on CPU and memory, with the metrics port only when monitoring is on", () => {
        const w = gatewayWorkloadArgs(args, { some: "config" }, "gateway-envoy");
        expect(w.replicas).toEqual({ min: 2, max: 10 });
        expect(w.hpaMemory).toBe(true);
        expect(w.configChecksum).toBe(checksum({ some: "config" }));
        expect(w.containers[0]!.ports.map((p) => p.name)).toEqual(["http"]);
        expect(w.containers[0]!.volumeMounts).toEqual([
            { name: "envoy-config", mountPath: GATEWAY_CONFIG_DIR, readOnly: true },
        ]);
        expect(
            gatewayWorkloadArgs({ ...args, metrics: true }, {}, "c").containers[0]!.ports.map((p) => p.name),
        ).toEqual(["http", "metrics"]);
    });

    it("gives the chat UI the gateway's scale and the OIDC client secret by reference", () => {
        const ui = { image: "ui:1", port: 3000, healthPath: "/health" };
        const w = chatUiWorkloadArgs(
            args,
            ui,
            { PORT: "3000" },
            { configMap: "chat-ui-config", oidcSecret: "chat-ui-oidc" },
        );
        expect(w.instance).toBe("gateway-chat-ui");
        expect(w.replicas).toEqual({ min: 2, max: 10 });
        expect(w.containers[0]!.env).toContainEqual({
            name: "OIDC_CLIENT_SECRET",
            valueFrom: { secretKeyRef: { name: "chat-ui-oidc", key: "client-secret" } },
        });
    });
});

describe("envoy injector", () => {
    const args = {
        zeroTrust: prod.zeroTrust,
        namespace: "sys",
        namespaceName: "agentstack-system",
        sidecar: { name: "envoy", image: "envoy:1" },
        bootstrap: { admin: {} },
    };

    it("writes the sidecar template as JSON documents", () => {
        const t = sidecarTemplateData(args);
        expect(Object.keys(t)).toEqual(["sidecar.yaml", "volumes.yaml", "app-env.yaml", "envoy.yaml"]);
        expect(JSON.parse(t["sidecar.yaml"]!)).toEqual({ name: "envoy", image: "envoy:1" });
        expect(t["envoy.yaml"]).toBe('{\n  "admin": {}\n}\n');
    });

    it("runs the program from its ConfigMap over HTTPS, with the spec's replicas and anti-affinity", () => {
        const w = injectorWorkloadArgs({
            args,
            tlsSecret: "envoy-injector-tls",
            templateConfigMap: "t",
            programConfigMap: "p",
            configChecksum: "c",
        });
        expect(w.replicas).toEqual({ fixed: 2 });
        expect(w.antiAffinity).toBe("required");
        expect(w.uid).toBe(INJECTOR_UID);
        expect(w.containers[0]!.ports).toEqual([{ name: "https", containerPort: INJECTOR_WEBHOOK_PORT }]);
        expect(w.volumes).toContainEqual({
            name: "tls",
            secret: { secretName: "envoy-injector-tls", defaultMode: 0o440 },
        });
        expect(w.containers[0]!.volumeMounts).toContainEqual({
            name: "tls",
            mountPath: INJECTOR_PATHS.tls,
            readOnly: true,
        });
    });

    it("mutates pod creation only, with the CA bundle when the program makes the TLS", () => {
        const wh = webhookArgs({
            args,
            labels: {},
            tlsSecret: "envoy-injector-tls",
            serviceName: "envoy-injector",
            caBundle: "Q0E=",
        }) as any;
        expect(wh.metadata.annotations).toBeUndefined();
        expect(wh.webhooks[0].name).toBe(WEBHOOK_NAME);
        expect(wh.webhooks[0].failurePolicy).toBe("Fail");
        expect(wh.webhooks[0].rules).toEqual([
            { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" },
        ]);
        expect(wh.webhooks[0].clientConfig).toEqual({
            service: { name: "envoy-injector", namespace: "sys", path: "/mutate", port: 443 },
            caBundle: "Q0E=",
        });
        const cm = {
            ...args,
            zeroTrust: {
                ...prod.zeroTrust,
                injector: {
                    ...prod.zeroTrust.injector,
                    tls: { mode: "cert-manager" as const, validityHours: 100, earlyRenewalHours: 10 },
                },
            },
        };
        const viaCertManager = webhookArgs({
            args: cm,
            labels: {},
            tlsSecret: "envoy-injector-tls",
            serviceName: "envoy-injector",
        }) as any;
        expect(Object.keys(viaCertManager.metadata.annotations)).toEqual(["cert-manager.io/inject-ca-from"]);
        expect(viaCertManager.webhooks[0].clientConfig.caBundle).toBeUndefined();
    });
});

describe("hardened workload objects", () => {
    const base: HardenedWorkloadArgs = {
        component: "agent",
        instance: "agent-x",
        namespace: "agents",
        replicas: { min: 2, max: 5 },
        antiAffinity: "preferred",
        pdbMinAvailable: 1,
        containers: [
            {
                name: "app",
                image: "img:1",
                ports: [{ name: "http", containerPort: 8080 }],
                resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
                probes: {},
            },
        ],
    };

    it("makes an autoscaled Deployment: no replica count, an HPA over it, a PDB that never blocks drains", () => {
        const o = workloadObjects(base, "agent-x") as any;
        expect(o.kind).toBe("Deployment");
        expect(o.workload.spec.replicas).toBeUndefined();
        expect(o.workload.spec.strategy).toEqual({
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        expect(o.workload.spec.template.spec.serviceAccountName).toBe("agent-x");
        expect(o.hpa.spec).toMatchObject({
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "agent-x" },
            minReplicas: 2,
            maxReplicas: 5,
        });
        expect(o.pdb.spec).toMatchObject({ minAvailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
        expect(o.headless).toBeUndefined();
        expect(o.service.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
    });

    it("makes a fixed StatefulSet with its headless Service, and no HPA", () => {
        const o = workloadObjects(
            { ...base, replicas: { fixed: 3 }, statefulSet: {}, workloadAnnotations: { a: "b" } },
            "sa",
        ) as any;
        expect(o.kind).toBe("StatefulSet");
        expect(o.workload.spec.replicas).toBe(3);
        expect(o.workload.spec.serviceName).toBe("agent-x-headless");
        expect(o.workload.metadata.annotations).toEqual({ a: "b" });
        expect(o.meta.annotations).toBeUndefined();
        expect(o.workload.spec.persistentVolumeClaimRetentionPolicy).toEqual({
            whenDeleted: "Retain",
            whenScaled: "Retain",
        });
        expect(o.headless.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect(o.hpa).toBeUndefined();
        expect(workloadMeta(base)).toEqual(o.meta);
    });
});

describe("platform realm document", () => {
    it("lists the gateway, every agent's client and only the RS256 servers", () => {
        const realm = JSON.parse(
            platformRealmJson(
                prod,
                "gw-secret",
                prod.agents.map((a) => ({ name: a.name, mcpServers: a.mcpServers, clientSecret: `${a.name}-secret` })),
            ),
        );
        const clients = (realm.clients as any[]).map((c) => c.clientId);
        expect(clients).toContain("gateway");
        for (const a of prod.agents) expect(clients).toContain(`agent-${a.name}`);
        expect(realm.clients.find((c: any) => c.clientId === "gateway").secret).toBe("gw-secret");
        const devRealm = JSON.parse(platformRealmJson(dev, "s", []));
        expect(dev.mcpServers.every((m) => m.auth.alg === "HS256")).toBe(true);
        expect((devRealm.clients as any[]).map((c) => c.clientId)).not.toContain("mcp-web-search");
    });
});

describe("extauth and sandbox workloads", () => {
    it("runs OPA with its API on loopback and the policy mounted read-only, rolled by the policy's checksum", () => {
        const data = { "policy.rego": "package x" };
        const w = extauthWorkloadArgs(
            { zeroTrust: prod.zeroTrust, namespace: "sys", allowed: {} },
            data,
            "extauth-policy",
        );
        expect(w.replicas).toEqual({ fixed: prod.zeroTrust.extauth.replicas });
        expect(w.configChecksum).toBe(checksum(data));
        expect(w.containers[0]!.args).toContain("--addr=127.0.0.1:8181");
        expect(w.volumes).toEqual([{ name: "policy", configMap: { name: "extauth-policy" } }]);
        expect(w.containers[0]!.volumeMounts).toEqual([{ name: "policy", mountPath: "/policy", readOnly: true }]);
    });

    it("gives the sandbox fixed replicas, no token, a 5 s grace period and no network for its code", () => {
        const w = sandboxWorkloadArgs({ namespaces: prod.namespaces, spec: prod.sandbox, namespace: "sb" });
        expect(w.replicas).toEqual({ fixed: 2 });
        expect(w.serviceAccountToken).toBe(false);
        expect(w.terminationGracePeriodSeconds).toBe(5);
        expect(w.childOptions).toBeUndefined();
        expect(w.containers[0]!.env).toContainEqual({ name: "SANDBOX_NETWORK", value: "none" });
    });
});
