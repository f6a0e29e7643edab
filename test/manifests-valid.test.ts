/**
 * Every object the program renders passes the strict offline Kubernetes check (schema and formats,
 * unknown fields, name and label syntax) — for each stack file and for each exposure kind.
 */
import { describe, expect, it } from "vitest";
import { validateObjects } from "../tools/k8s/validate";
import { baseConfig, engineConfig, runStack } from "./helpers";

describe("strict offline validation", () => {
    it.each(["dev", "staging", "prod"])("accepts every object of %s", async (stack) => {
        const run = await runStack(stack);
        expect(run.manifests.length).toBeGreaterThan(30);
        expect(validateObjects(run.manifests)).toEqual([]);
    });

    it("accepts the Gateway API exposure", async () => {
        const cfg = baseConfig(2, {
            gateway: {
                hostname: "a.example.com",
                exposure: "httproute",
                gatewayRef: { name: "edge", namespace: "gateway-system" },
                tls: { mode: "secret", secretName: "gw-tls" },
            },
        });
        const run = await runStack("case", { config: engineConfig(cfg) });
        expect(
            run.manifests
                .filter((o) => o["kind"] === "HTTPRoute")
                .map((o) => `${o["metadata"]["namespace"]}/${o["metadata"]["name"]}`)
                .sort(),
        ).toEqual([
            "agentstack-gateway/gateway",
            "agentstack-gateway/gateway-https-redirect",
            "agentstack-identity/keycloak",
            "agentstack-identity/keycloak-https-redirect",
        ]);
        expect(validateObjects(run.manifests)).toEqual([]);
    });

    it("accepts the OpenShift Route exposure (but for externalCertificate, newer than the bundled Route schema)", async () => {
        const run = await runStack("case", {
            config: engineConfig(baseConfig(1, { gateway: { hostname: "a.example.com", exposure: "route" } })),
        });
        const route = run.manifests.find((o) => o["kind"] === "Route" && o["metadata"]["name"] === "gateway")!;
        expect(route["spec"]["tls"]).toEqual({
            termination: "edge",
            insecureEdgeTerminationPolicy: "Redirect",
            externalCertificate: { name: "gateway-tls" },
        });
        const issues = validateObjects(run.manifests);
        expect(issues.map((i) => `${i.kind}/${i.name}:${i.path}`)).toEqual([
            "Route/gateway:spec.tls.externalCertificate",
            "Route/keycloak:spec.tls.externalCertificate",
        ]);
    });

    it("rejects what it should (the check can fail)", async () => {
        const run = await runStack("dev");
        const broken = JSON.parse(JSON.stringify(run.manifests.find((o) => o["kind"] === "Deployment")));
        broken.spec.template.spec.containers[0].securityContxt = {};
        broken.metadata.labels["bad label"] = "x";
        const paths = validateObjects([broken]).map((i) => i.path);
        expect(paths).toContain("spec.template.spec.containers[0].securityContxt");
        expect(paths.some((p) => p.includes("bad label"))).toBe(true);
    });
});
