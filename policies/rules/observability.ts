/**
 * Observability: where the Envoy injector runs, the cluster's Prometheus scrapes it (a ServiceMonitor
 * or PodMonitor selecting its pods) and a PrometheusRule alerts when it is unavailable — with
 * failurePolicy Fail an injector outage silently stops every new pod of the injected namespaces.
 * Mandatory at level 3, advisory at level 2; not checked where only level 1 is required (monitoring
 * is off by default there).
 *
 * Rule module: defines policies, no side effects.
 */
import { AgentstackPolicy, stackPolicy } from "../lib/define";
import { K8sObject, selectorMatches } from "../lib/k8s";
import { StackView } from "../lib/stack";
import { at, list, rec, str } from "../lib/values";
import { INJECTOR_UNAVAILABLE_ALERT, policyMeta } from "../catalog";

/** The API group of the Prometheus Operator's objects. */
const MONITORING_GROUP = "monitoring.coreos.com";

/** The injector's workloads: the envoy-injector component (Deployment). */
function injectorWorkloads(stack: StackView): K8sObject[] {
    return stack.componentWorkloads("envoy-injector");
}

/** True when a ServiceMonitor/PodMonitor in the workload's namespace selects its pods (via a Service for a ServiceMonitor). */
function scraped(stack: StackView, w: K8sObject): boolean {
    const podMonitors = stack.inNamespace("PodMonitor", w.ns, MONITORING_GROUP);
    if (
        podMonitors.some(
            (m) =>
                list(m.props, "spec", "podMetricsEndpoints").length > 0 &&
                selectorMatches(rec(m.props, "spec", "selector"), w.podLabels()),
        )
    )
        return true;
    const services = stack.servicesSelecting(w);
    return stack
        .inNamespace("ServiceMonitor", w.ns, MONITORING_GROUP)
        .some(
            (m) =>
                list(m.props, "spec", "endpoints").length > 0 &&
                services.some((s) => selectorMatches(rec(m.props, "spec", "selector"), s.labels)),
        );
}

const monitoringEnabled = stackPolicy({
    meta: policyMeta("observability-monitoring"),
    validate: (stack, ctx, args) => {
        if (ctx.settings.requiredLevel === 1) return args.notApplicable("level 1 requires no monitoring");
        const injectors = injectorWorkloads(stack);
        if (injectors.length === 0) return args.notApplicable("no envoy-injector workload");
        for (const w of injectors) {
            ctx.guard(w, "its monitors", () => {
                if (!scraped(stack, w)) {
                    ctx.report(
                        w,
                        `no ServiceMonitor or PodMonitor in ${w.ns} scrapes it: an injector outage would go unnoticed; fix: set agentstack:monitoring.enabled to true (the default at ${ctx.levelText})`,
                    );
                }
            });
        }
    },
});

const injectorAlert = stackPolicy({
    meta: policyMeta("observability-injector-alert"),
    validate: (stack, ctx, args) => {
        if (ctx.settings.requiredLevel === 1) return args.notApplicable("level 1 requires no alerts");
        const injectors = injectorWorkloads(stack);
        if (injectors.length === 0) return args.notApplicable("no envoy-injector workload");
        const rules = stack
            .ofKind("PrometheusRule", MONITORING_GROUP)
            .flatMap((r) =>
                list(r.props, "spec", "groups").flatMap((_, g) =>
                    list(r.props, "spec", "groups", g, "rules").map(
                        (__, i) => rec(r.props, "spec", "groups", g, "rules", i) ?? {},
                    ),
                ),
            );
        for (const w of injectors) {
            ctx.guard(w, "its alert", () => {
                const found = rules.some(
                    (r) =>
                        str(r, "alert") === INJECTOR_UNAVAILABLE_ALERT &&
                        (str(r, "expr") ?? "").includes(`deployment="${w.name}"`) &&
                        typeof at(r, "labels", "severity") === "string",
                );
                if (!found) {
                    ctx.report(
                        w,
                        `no PrometheusRule alerts when it is unavailable (alert ${INJECTOR_UNAVAILABLE_ALERT} on deployment="${w.name}", with a severity): with failurePolicy Fail its outage stops every new pod unnoticed; fix: set agentstack:monitoring.enabled to true`,
                    );
                }
            });
        }
    },
});

/** The observability policies. */
export const OBSERVABILITY_POLICIES: readonly AgentstackPolicy[] = [monitoringEnabled, injectorAlert];
