/**
 * Identity: MCP servers authenticate every call (RS256 against Keycloak's JWKS from level 2),
 * agents enforce from level 2, Keycloak runs in production mode from level 2, clusters when it is
 * replicated, and never exposes its management port.
 *
 * Rule module: defines policies, no side effects.
 */
import { componentOf, fixHint } from "../lib/components";
import type { StackValidationArgs } from "@pulumi/policy";
import { AgentstackPolicy, Ctx, checkEach, resourcePolicy, stackPolicy } from "../lib/define";
import { K8sObject, containersOf, serviceSelects } from "../lib/k8s";
import { StackView } from "../lib/stack";
import { at, list, num, rec, str, strMap } from "../lib/values";
import { policyMeta } from "../catalog";
import { KEYCLOAK_MANAGEMENT_PORT } from "../../stacks/flows";

function mcpServers(stack: StackView): K8sObject[] {
    return stack.componentWorkloads("mcp-server");
}

/** Whether a main container reads env `name` from a Secret. */
function envFromSecret(w: K8sObject, name: string): boolean {
    return containersOf(w)
        .filter((c) => c.role === "main")
        .some((c) =>
            list(c.container, "env").some(
                (_, i) =>
                    str(c.container, "env", i, "name") === name &&
                    rec(c.container, "env", i, "valueFrom", "secretKeyRef") !== undefined,
            ),
        );
}

/**
 * Runs `check` on every MCP server workload with its token settings (MCP_AUTH_JWT_ALG and
 * MCP_AUTH_JWT_JWKS_URI); not applicable when the stack has none.
 */
function eachMcpAuth(
    stack: StackView,
    ctx: Ctx,
    args: Pick<StackValidationArgs, "notApplicable">,
    check: (w: K8sObject, alg: string | undefined, jwks: string | undefined) => void,
): void {
    checkEach(ctx, args, mcpServers(stack), "no MCP server workload", "its MCP authentication", (w) =>
        check(w, stack.envValue(w, "MCP_AUTH_JWT_ALG"), stack.envValue(w, "MCP_AUTH_JWT_JWKS_URI")),
    );
}

const mcpAuth = stackPolicy({
    meta: policyMeta("identity-mcp-auth"),
    validate: (stack, ctx, args) =>
        eachMcpAuth(stack, ctx, args, (w, alg, jwks) => {
            if (alg === undefined || alg === "") {
                ctx.report(
                    w,
                    `the MCP server does not authenticate callers (no MCP_AUTH_JWT_ALG); ${fixHint(w, "mcpAuth")}`,
                );
            } else if (alg === "HS256") {
                if (!envFromSecret(w, "MCP_AUTH_JWT_SECRET"))
                    ctx.report(
                        w,
                        `uses HS256 but MCP_AUTH_JWT_SECRET does not come from a Secret; ${fixHint(w, "mcpAuth")}`,
                    );
            } else if (alg === "RS256") {
                if (!jwks)
                    ctx.report(
                        w,
                        `uses RS256 but has no MCP_AUTH_JWT_JWKS_URI to verify tokens against; ${fixHint(w, "mcpAuth")}`,
                    );
            } else {
                ctx.report(
                    w,
                    `MCP_AUTH_JWT_ALG is ${alg}; only HS256 and RS256 are supported; ${fixHint(w, "mcpAuth")}`,
                );
            }
        }),
});

const mcpRs256 = stackPolicy({
    meta: policyMeta("identity-mcp-rs256"),
    validate: (stack, ctx, args) =>
        eachMcpAuth(stack, ctx, args, (w, alg, jwks) => {
            if (alg !== ctx.profile.mcpJwt.alg || !jwks) {
                ctx.report(
                    w,
                    `verifies ${alg ?? "no"} tokens${jwks ? "" : " without a JWKS URI"}; ${ctx.levelText} requires RS256 against Keycloak's JWKS (MCP_AUTH_JWT_JWKS_URI); ${fixHint(w, "mcpAuth")}`,
                );
            }
        }),
});

const agentEnforce = stackPolicy({
    meta: policyMeta("identity-agent-enforce"),
    validate: (stack, ctx, args) =>
        checkEach(ctx, args, stack.componentWorkloads("agent"), "no agent workload", "its SECURITY_MODE", (w) => {
            const mode = stack.envValue(w, "SECURITY_MODE");
            const want = ctx.profile.agentSecurityMode;
            if (mode !== want) {
                ctx.report(
                    w,
                    `runs with SECURITY_MODE=${mode ?? "<unset>"}; ${ctx.levelText} requires ${want}; ${fixHint(w, "securityMode")}`,
                );
            }
        }),
});

function keycloaks(stack: StackView): K8sObject[] {
    return stack.componentWorkloads("keycloak");
}

/** The command line (command + args) of a container. */
function commandLine(c: Record<string, unknown>): string[] {
    return [
        ...list(c, "command").map((_, i) => String(at(c, "command", i))),
        ...list(c, "args").map((_, i) => String(at(c, "args", i))),
    ];
}

const keycloakProduction = resourcePolicy({
    meta: policyMeta("identity-keycloak-production"),
    appliesTo: (o) => o.isWorkload && componentOf(o)?.component === "keycloak",
    notApplicable: "applies to the Keycloak workload",
    validate: (obj, ctx) => {
        ctx.guard(obj, "its command line", () => {
            const main = containersOf(obj).filter((c) => c.role === "main");
            const kc =
                main.find((c) => /keycloak/.test(str(c.container, "image") ?? "") || c.name === "keycloak") ?? main[0];
            if (!kc) return;
            const cmd = commandLine(kc.container);
            if (cmd.includes("start-dev"))
                ctx.report(
                    obj,
                    `Keycloak runs in development mode (start-dev); ${ctx.levelText} requires production mode (start); fix: set agentstack:securityLevel to ${ctx.checkLevel} or more`,
                );
            else if (!cmd.includes("start"))
                ctx.report(
                    obj,
                    `Keycloak's command line (${cmd.join(" ") || "the image default"}) does not say start: production mode cannot be verified; fix: set agentstack:securityLevel to ${ctx.checkLevel} or more`,
                );
        });
    },
});

/** A Keycloak setting from env, or the matching `--flag=value` argument. */
function keycloakSetting(stack: StackView, w: K8sObject, env: string, flag: string): string | undefined {
    const v = stack.envValue(w, env);
    if (v !== undefined) return v;
    for (const c of containersOf(w).filter((x) => x.role === "main")) {
        const cmd = commandLine(c.container);
        for (let i = 0; i < cmd.length; i++) {
            if (cmd[i]!.startsWith(`--${flag}=`)) return cmd[i]!.slice(flag.length + 3);
            if (cmd[i] === `--${flag}` && i + 1 < cmd.length) return cmd[i + 1];
        }
    }
    return undefined;
}

const keycloakClustering = stackPolicy({
    meta: policyMeta("identity-keycloak-clustering"),
    validate: (stack, ctx, args) =>
        checkEach(ctx, args, keycloaks(stack), "no Keycloak workload", "its clustering", (w) => {
            const replicas = stack.minReplicas(w) ?? 1;
            if (replicas < 2) return;
            const hint =
                "fix: config key: none — the keycloak component switches clustering on with 2+ replicas (agentstack:securityLevel 2+); restore it";
            const cache = keycloakSetting(stack, w, "KC_CACHE", "cache");
            const cacheStack = keycloakSetting(stack, w, "KC_CACHE_STACK", "cache-stack");
            if (cache !== "ispn")
                ctx.report(
                    w,
                    `runs ${replicas} replicas with KC_CACHE=${cache ?? "<unset>"}; a replicated Keycloak needs ispn (sessions are lost otherwise); ${hint}`,
                );
            if (cacheStack !== "jdbc-ping")
                ctx.report(
                    w,
                    `runs ${replicas} replicas with KC_CACHE_STACK=${cacheStack ?? "<unset>"}; the cluster discovers itself with jdbc-ping; ${hint}`,
                );
            const headless = stack.servicesSelecting(w).some((s) => str(s.props, "spec", "clusterIP") === "None");
            if (!headless)
                ctx.report(
                    w,
                    `runs ${replicas} replicas but no headless Service (clusterIP: None) selects its pods; ${hint}`,
                );
        }),
});

const keycloakManagementPort = stackPolicy({
    meta: policyMeta("identity-keycloak-management-port"),
    validate: (stack, ctx, args) =>
        checkEach(ctx, args, keycloaks(stack), "no Keycloak workload", "its Services", (w) => {
            const named = new Map<string, number>();
            for (const c of containersOf(w)) {
                list(c.container, "ports").forEach((_, i) => {
                    const n = str(c.container, "ports", i, "name");
                    const p = num(c.container, "ports", i, "containerPort");
                    if (n && p !== undefined) named.set(n, p);
                });
            }
            for (const svc of stack
                .ofKind("Service", "")
                .filter((s) => s.ns === w.ns && serviceSelects(strMap(s.props, "spec", "selector"), w.podLabels()))) {
                list(svc.props, "spec", "ports").forEach((_, i) => {
                    const port = num(svc.props, "spec", "ports", i, "port");
                    const target = at(svc.props, "spec", "ports", i, "targetPort");
                    const targetPort =
                        typeof target === "string" ? named.get(target) : typeof target === "number" ? target : port;
                    if (port === KEYCLOAK_MANAGEMENT_PORT || targetPort === KEYCLOAK_MANAGEMENT_PORT) {
                        ctx.report(
                            svc,
                            `exposes Keycloak's management port ${KEYCLOAK_MANAGEMENT_PORT} (health, metrics); fix: config key: none — remove the port from the Service`,
                        );
                    }
                });
            }
        }),
});

/** The identity policies. */
export const IDENTITY_POLICIES: readonly AgentstackPolicy[] = [
    mcpAuth,
    mcpRs256,
    agentEnforce,
    keycloakProduction,
    keycloakClustering,
    keycloakManagementPort,
];
