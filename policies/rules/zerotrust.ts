/**
 * Zero trust: the Envoy injection webhook (failurePolicy per level, a backend that can honour
 * `Fail`, selectors that never catch its own namespace or kube-system), the namespaces labelled for
 * injection, the sidecar template the injector uses, and ext_authz failing closed.
 *
 * Rule module: defines policies, no side effects.
 */
import { componentOf, fixHint } from "../lib/components";
import { AgentstackPolicy, Ctx, resourcePolicy, stackPolicy } from "../lib/define";
import { K8sObject, TemplateError, envoyBootstrap, selectorMatches, sidecarContainer } from "../lib/k8s";
import { StackView, Unresolvable, pdbBlocksDrain } from "../lib/stack";
import { isUnknown, list, rec, str } from "../lib/values";
import { INJECTED_ZONES, INJECTION_LABEL, SIDECAR_POD_LABEL, ZONE_LABEL } from "../../lib/labels";
import { policyMeta } from "../catalog";

const WEBHOOK_KINDS = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

function isWebhookConfig(o: K8sObject): boolean {
    return o.group === "admissionregistration.k8s.io" && WEBHOOK_KINDS.includes(o.kind);
}

/** True for the Envoy injection webhook (by name, component label, or backend Service name). */
function isInjector(o: K8sObject): boolean {
    if (!(o.group === "admissionregistration.k8s.io" && o.kind === "MutatingWebhookConfiguration")) return false;
    if (o.name === "envoy-injector" || componentOf(o)?.component === "envoy-injector") return true;
    const hooks = o.props["webhooks"];
    return (
        Array.isArray(hooks) &&
        hooks.some((h) => {
            const svc = h && typeof h === "object" ? (h as Record<string, unknown>)["clientConfig"] : undefined;
            const name =
                svc && typeof svc === "object"
                    ? ((svc as Record<string, unknown>)["service"] as Record<string, unknown> | undefined)?.["name"]
                    : undefined;
            return name === "envoy-injector";
        })
    );
}

/** The failurePolicy a webhook has (absent: Fail in admissionregistration/v1, Ignore in v1beta1). */
function failurePolicyOf(cfg: K8sObject, i: number): string {
    return str(cfg.props, "webhooks", i, "failurePolicy") ?? (cfg.version === "v1" ? "Fail" : "Ignore");
}

function hookName(cfg: K8sObject, i: number): string {
    return str(cfg.props, "webhooks", i, "name") ?? `webhooks[${i}]`;
}

const webhookFailurePolicy = resourcePolicy({
    meta: policyMeta("zerotrust-webhook-failure-policy"),
    appliesTo: isInjector,
    notApplicable: "applies to the Envoy injection MutatingWebhookConfiguration",
    validate: (obj, ctx) => {
        const want = ctx.profile.envoyInjector.failurePolicy;
        ctx.guard(obj, "its webhooks", () => {
            const hooks = list(obj.props, "webhooks");
            if (hooks.length === 0)
                ctx.report(obj, `has no webhooks: nothing injects the sidecar; ${fixHint(obj, "level")}`);
            hooks.forEach((_, i) => {
                const fp = failurePolicyOf(obj, i);
                if (fp !== want) {
                    ctx.report(
                        obj,
                        `webhook ${hookName(obj, i)} has failurePolicy ${fp}; ${ctx.levelText} requires ${want} (a pod must never start without its Envoy sidecar); fix: set agentstack:securityLevel to ${ctx.checkLevel} or more and remove an agentstack:zeroTrust.failurePolicy override`,
                    );
                }
            });
        });
    },
});

/** The Service a webhook calls, or why it cannot be told. */
function backendService(stack: StackView, cfg: K8sObject, i: number): K8sObject {
    const svc = rec(cfg.props, "webhooks", i, "clientConfig", "service");
    if (!svc)
        throw new Unresolvable(`webhook ${hookName(cfg, i)} calls a URL, so its backend's replicas cannot be checked`);
    const ns = str(svc, "namespace") ?? "default";
    const name = str(svc, "name") ?? "";
    const found = stack.find("Service", ns, name, "");
    if (!found)
        throw new Unresolvable(
            `webhook ${hookName(cfg, i)} calls Service ${ns}/${name}, which is not among the evaluated objects`,
        );
    return found;
}

const webhookBackend = stackPolicy({
    meta: policyMeta("zerotrust-webhook-backend"),
    validate: (stack, ctx) => {
        const configs = stack.objects.filter(isWebhookConfig);
        if (configs.length === 0) return;
        for (const cfg of configs) {
            ctx.guard(cfg, "its webhooks", () => {
                list(cfg.props, "webhooks").forEach((_, i) => {
                    if (failurePolicyOf(cfg, i) !== "Fail") return;
                    ctx.guard(cfg, `webhook ${hookName(cfg, i)}`, () => {
                        const svc = backendService(stack, cfg, i);
                        const backends = stack.workloadsBehind(svc);
                        const hint = isInjector(cfg)
                            ? "fix: set agentstack:securityLevel to 2 or more (2 injector replicas and a PDB) — failurePolicy Fail needs them"
                            : "fix: run 2+ replicas with a PodDisruptionBudget, or set failurePolicy: Ignore (not an agentstack component, so no agentstack:* config key applies)";
                        if (backends.length === 0) {
                            ctx.report(
                                cfg,
                                `webhook ${hookName(cfg, i)} has failurePolicy Fail but its Service ${svc.ns}/${svc.name} selects no workload: every matching API request would fail; ${hint}`,
                            );
                            return;
                        }
                        const replicas = backends.reduce((n, w) => n + (stack.minReplicas(w) ?? 1), 0);
                        if (replicas < 2) {
                            ctx.report(
                                cfg,
                                `webhook ${hookName(cfg, i)} has failurePolicy Fail but its backend ${backends.map((w) => w.display).join(", ")} runs ${replicas} replica: when it is down, every matching request (pod creation) is rejected; ${hint}`,
                            );
                        }
                        for (const w of backends) {
                            const pdbs = stack.pdbsFor(w);
                            if (pdbs.length === 0) {
                                ctx.report(
                                    cfg,
                                    `webhook ${hookName(cfg, i)} has failurePolicy Fail but its backend ${w.display} has no PodDisruptionBudget: a node drain can take every replica down; ${hint}`,
                                );
                            }
                            for (const p of pdbs) {
                                const why = pdbBlocksDrain(p, stack.minReplicas(w) ?? 1);
                                if (why)
                                    ctx.report(
                                        cfg,
                                        `webhook backend ${w.display}: PodDisruptionBudget ${p.name} blocks node drains (${why}); ${hint}`,
                                    );
                            }
                        }
                    });
                });
            });
        }
    },
});

/** Labels of a namespace: its object's labels, plus the name label the API server adds. */
function namespaceLabels(stack: StackView, ns: string): Record<string, string> {
    const obj = stack.find("Namespace", undefined, ns, "");
    return { ...(obj ? obj.labels : {}), "kubernetes.io/metadata.name": ns };
}

function nsSelectorMatches(cfg: K8sObject, i: number, labels: Record<string, string>): boolean {
    const sel = rec(cfg.props, "webhooks", i, "namespaceSelector") ?? {};
    return selectorMatches(sel, labels);
}

const webhookSelectors = stackPolicy({
    meta: policyMeta("zerotrust-webhook-selectors"),
    validate: (stack, ctx) => {
        for (const cfg of stack.objects.filter(isWebhookConfig)) {
            ctx.guard(cfg, "its webhooks", () => {
                list(cfg.props, "webhooks").forEach((_, i) => {
                    ctx.guard(cfg, `webhook ${hookName(cfg, i)}`, () => {
                        const svc = rec(cfg.props, "webhooks", i, "clientConfig", "service");
                        const own = svc ? (str(svc, "namespace") ?? "default") : undefined;
                        for (const ns of new Set([...(own ? [own] : []), "kube-system"])) {
                            if (nsSelectorMatches(cfg, i, namespaceLabels(stack, ns))) {
                                const what = ns === "kube-system" ? "kube-system" : `its own namespace ${ns}`;
                                const hint = isInjector(cfg)
                                    ? "fix: config key: none — the envoy-injector component sets the namespaceSelector (agentstack.io/envoy-injection: enabled); restore it"
                                    : "fix: narrow the namespaceSelector (not an agentstack component, so no agentstack:* config key applies)";
                                ctx.report(
                                    cfg,
                                    `webhook ${hookName(cfg, i)} selects ${what}: a webhook must never intercept ${ns === "kube-system" ? "kube-system" : "the namespace it runs in (its own pods could not start)"}; ${hint}`,
                                );
                            }
                        }
                    });
                });
            });
        }
    },
});

const injection = stackPolicy({
    meta: policyMeta("zerotrust-injection"),
    validate: (stack, ctx, args) => {
        const zones = stack.namespaceObjects().filter((n) => n.labelsLoose[ZONE_LABEL] !== undefined);
        if (zones.length === 0) return args.notApplicable("no namespace carries an agentstack.io/zone label");
        const injectors = stack.objects.filter(isInjector);
        const hint =
            "fix: config key: none — components/namespaces.ts labels the zones and the workloads carry sidecar: envoy at every agentstack:securityLevel";
        for (const ns of zones) {
            ctx.guard(ns, "its labels", () => {
                const zone = ns.labels[ZONE_LABEL]!;
                const injected = ns.labels[INJECTION_LABEL.key] === INJECTION_LABEL.value;
                if (INJECTED_ZONES.includes(zone) && !injected) {
                    ctx.report(
                        ns,
                        `zone ${zone} is a workload zone but lacks ${INJECTION_LABEL.key}: ${INJECTION_LABEL.value}, so its pods get no Envoy sidecar; ${hint}`,
                    );
                }
                if (zone === "sandbox" && injected) {
                    ctx.report(
                        ns,
                        `the sandbox zone is labelled ${INJECTION_LABEL.key}: ${INJECTION_LABEL.value}; the sandbox has no egress at all and must never get a sidecar; ${hint}`,
                    );
                }
                for (const inj of injectors) {
                    ctx.guard(inj, "its namespaceSelector", () => {
                        list(inj.props, "webhooks").forEach((_, i) => {
                            const matches = nsSelectorMatches(inj, i, namespaceLabels(stack, ns.name));
                            if (INJECTED_ZONES.includes(zone) && !matches) {
                                ctx.report(
                                    inj,
                                    `webhook ${hookName(inj, i)} does not select the ${zone} zone namespace ${ns.name}: its pods would start without a sidecar; ${hint}`,
                                );
                            }
                            if (zone === "sandbox" && matches) {
                                ctx.report(
                                    inj,
                                    `webhook ${hookName(inj, i)} selects the sandbox namespace ${ns.name}; ${hint}`,
                                );
                            }
                        });
                    });
                }
            });
            if (INJECTED_ZONES.includes(ns.labelsLoose[ZONE_LABEL] ?? "")) {
                for (const w of stack.workloads().filter((x) => x.ns === ns.name)) {
                    ctx.guard(w, "its pod labels", () => {
                        if (w.podLabels()[SIDECAR_POD_LABEL.key] !== SIDECAR_POD_LABEL.value) {
                            ctx.report(
                                w,
                                `runs in the injected namespace ${ns.name} but its pods lack the label ${SIDECAR_POD_LABEL.key}: ${SIDECAR_POD_LABEL.value}; ${hint}`,
                            );
                        }
                    });
                }
            }
        }
        for (const w of stack.componentWorkloads("sandbox")) {
            ctx.guard(w, "its pod labels", () => {
                if (w.podLabels()[SIDECAR_POD_LABEL.key] === SIDECAR_POD_LABEL.value)
                    ctx.report(
                        w,
                        `the sandbox carries ${SIDECAR_POD_LABEL.key}: ${SIDECAR_POD_LABEL.value}; it must never get a sidecar; ${hint}`,
                    );
            });
        }
    },
});

const sidecarTemplate = stackPolicy({
    meta: policyMeta("zerotrust-sidecar-template"),
    validate: (stack, ctx) => {
        const injectors = stack.objects.filter(isInjector);
        if (injectors.length === 0) return;
        const templates = stack.objects.filter((o) => o.isSidecarTemplate);
        const hint =
            'fix: config key: none — the envoy-injector component must describe its sidecar in the envoy-sidecar-template ConfigMap (label agentstack.io/sidecar-template: "true")';
        if (templates.length === 0) {
            for (const inj of injectors)
                ctx.report(
                    inj,
                    `injects a sidecar but no sidecar-template ConfigMap describes it, so the injected container cannot be checked; ${hint}`,
                );
            return;
        }
        for (const t of templates) {
            ctx.guard(t, "the injected sidecar", () => {
                const c = sidecarContainer(t);
                if (str(c, "name") !== "envoy")
                    ctx.report(
                        t,
                        `the injected container is named ${String(str(c, "name") ?? "<none>")}, expected envoy; ${hint}`,
                    );
                envoyBootstrap(t);
            });
        }
    },
});

/** The ext_authz filter configs of an Envoy bootstrap (HTTP and network filters). */
function extAuthzConfigs(bootstrap: unknown): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === "object") {
            const o = v as Record<string, unknown>;
            if (typeof o["@type"] === "string" && /\.ext_authz\.v3\.ExtAuthz$/.test(o["@type"])) out.push(o);
            Object.values(o).forEach(walk);
        }
    };
    walk(bootstrap);
    return out;
}

function checkFailClosed(obj: K8sObject, ctx: Ctx): void {
    const failOpen = ctx.profile.extAuthzFailOpen;
    const configs = extAuthzConfigs(envoyBootstrap(obj));
    const hint = `fix: set agentstack:securityLevel to ${ctx.checkLevel} or more (the level table sets ext_authz failure_mode_allow ${failOpen})`;
    if (configs.length === 0) {
        ctx.report(
            obj,
            `the Envoy bootstrap has no ext_authz filter: the sidecar does not ask extauth at all; ${hint}`,
        );
        return;
    }
    configs.forEach((c, i) => {
        const v = c["failure_mode_allow"];
        if (isUnknown(v)) throw new TemplateError(`ext_authz filter ${i} has an unknown failure_mode_allow`);
        if (!failOpen && v !== false) {
            const what =
                v === true
                    ? "failure_mode_allow: true (fails open: requests pass when extauth is down)"
                    : "no explicit failure_mode_allow: false";
            ctx.report(
                obj,
                `ext_authz filter ${i} of the Envoy bootstrap has ${what}; ${ctx.levelText} requires it to fail closed; ${hint}`,
            );
        }
    });
}

const extAuthzFailClosed = resourcePolicy({
    meta: policyMeta("zerotrust-extauth-fail-closed"),
    appliesTo: (o) => o.isSidecarTemplate,
    notApplicable: "applies to the sidecar-template ConfigMap",
    validate: (obj, ctx) => ctx.guard(obj, "the Envoy bootstrap", () => checkFailClosed(obj, ctx)),
});

/** The zero-trust policies. */
export const ZEROTRUST_POLICIES: readonly AgentstackPolicy[] = [
    webhookFailurePolicy,
    webhookBackend,
    webhookSelectors,
    injection,
    sidecarTemplate,
    extAuthzFailClosed,
];
