/**
 * Network: default-deny in every namespace, the sandbox's isolation at every level, data stores
 * reachable only from their declared clients, extauth only from Envoy sidecars, and no data store
 * exposed outside the cluster. Reachability is computed with the project's NetworkPolicy
 * connectivity evaluator (lib/connectivity), with full Kubernetes semantics.
 *
 * Rule module: defines policies, no side effects.
 */
import { ConnectivityModel, buildModel, connectionBetween } from "../../lib/connectivity/evaluate";
import { virtualPeers } from "../../lib/connectivity/virtual";
import { componentOf, fixHint } from "../lib/components";
import { AgentstackPolicy, Ctx, stackPolicy } from "../lib/define";
import { K8sObject, serviceSelects } from "../lib/k8s";
import { DeclaredClient, StackView, dataStoreSelectorReason } from "../lib/stack";
import { containsUnknown, isUnknown, list, peek, rec, str, strMap } from "../lib/values";
import { SIDECAR_POD_LABEL } from "../../lib/labels";
import { policyMeta } from "../catalog";

/** A pod somewhere else in the cluster (a namespace the stack does not know, no labels). */
const FOREIGN_POD = "a pod of another namespace";
/** Any address outside the cluster. */
const ANY_ADDRESS = "0.0.0.0/0";
/** True when what the connectivity evaluator reads of an object (policy spec; pod labels and ports) is unknown. */
function connectivityUnknown(o: K8sObject): boolean {
    if (o.is("NetworkPolicy", "networking.k8s.io")) return containsUnknown(o.props["spec"]);
    if (o.is("Namespace", "")) return containsUnknown(peek(o.props, "metadata", "labels"));
    if (!o.isWorkload) return false;
    const template = o.templatePath ?? [];
    if (containsUnknown(peek(o.props, ...template, "metadata", "labels"))) return true;
    const spec = peek(o.props, ...template, "spec");
    if (isUnknown(spec)) return true;
    return ["containers", "initContainers"].some((f) => {
        const cs = peek(spec, f);
        return (
            isUnknown(cs) || (Array.isArray(cs) && cs.some((c) => isUnknown(c) || containsUnknown(peek(c, "ports"))))
        );
    });
}

/** The connectivity model of a stack, or undefined (after reporting) when policies hold unknowns. */
function modelOf(stack: StackView, ctx: Ctx): ConnectivityModel | undefined {
    const unknown = stack.objects.filter(connectivityUnknown);
    for (const o of unknown) {
        ctx.report(
            o,
            "could not verify network reachability: its pod labels, ports or policy rules hold values unknown during preview; it is checked again on the update",
        );
    }
    if (unknown.length > 0) return undefined;
    let model = models.get(stack);
    if (!model) {
        const peers = virtualPeers({ kubeDns: true });
        model = buildModel(stack.manifests(), {
            extraWorkloads: [
                ...(peers.extraWorkloads ?? []),
                { name: FOREIGN_POD, namespace: "agentstack-policy-probe" },
            ],
            ipRanges: false,
        });
        models.set(stack, model);
    }
    return model;
}

/** The model of a stack view, built once for the network policies that share the view (define.ts). */
const models = new WeakMap<StackView, ConnectivityModel>();

/** The report name (`ns/name[Kind]`) of a workload in the model. */
function peerName(w: K8sObject): string {
    return `${w.ns}/${w.name}[${w.kind}]`;
}

interface Reach {
    readonly peer: string;
    readonly conn: string;
}

/** Every peer (workloads, synthetic peers, any address) that can connect to `dst`, except those `allowed` accepts. */
function reachersOf(
    model: ConnectivityModel,
    dst: string,
    allowed: (peer: { name: string; namespace?: string; labels: Record<string, string> }) => boolean,
): Reach[] {
    const out: Reach[] = [];
    for (const w of model.workloads) {
        if (w.name === dst) continue;
        const c = connectionBetween(model, w.name, dst);
        if (!c.isEmpty() && !allowed({ name: w.name, namespace: w.namespace, labels: { ...w.labels } }))
            out.push({ peer: w.name, conn: c.toString() });
    }
    const ip = connectionBetween(model, ANY_ADDRESS, dst);
    if (!ip.isEmpty() && !allowed({ name: ANY_ADDRESS, labels: {} }))
        out.push({ peer: "addresses outside the cluster", conn: ip.toString() });
    return out;
}

function describe(reach: readonly Reach[], max = 6): string {
    const shown = reach
        .slice(0, max)
        .map((r) => `${r.peer} (${r.conn})`)
        .join(", ");
    return reach.length > max ? `${shown} and ${reach.length - max} more` : shown;
}

/** True for a NetworkPolicy that denies all ingress and egress of every pod of its namespace. */
function isDefaultDeny(np: K8sObject): boolean {
    const sel = rec(np.props, "spec", "podSelector") ?? {};
    const emptySelector =
        Object.keys(strMap(sel, "matchLabels")).length === 0 && list(sel, "matchExpressions").length === 0;
    const types = list(np.props, "spec", "policyTypes").map((_, i) => str(np.props, "spec", "policyTypes", i));
    return (
        emptySelector &&
        types.includes("Ingress") &&
        types.includes("Egress") &&
        list(np.props, "spec", "ingress").length === 0 &&
        list(np.props, "spec", "egress").length === 0
    );
}

const defaultDeny = stackPolicy({
    meta: policyMeta("network-default-deny"),
    validate: (stack, ctx) => {
        const namespaces = new Map<string, K8sObject | undefined>();
        for (const n of stack.namespaceObjects()) namespaces.set(n.name, n);
        for (const w of stack.workloads()) if (!namespaces.has(w.ns)) namespaces.set(w.ns, undefined);
        const policies = stack.ofKind("NetworkPolicy", "networking.k8s.io");
        for (const [ns, obj] of namespaces) {
            const subject = obj ?? stack.workloads().find((w) => w.ns === ns);
            ctx.guard(subject, `default-deny in namespace ${ns}`, () => {
                if (!policies.some((p) => p.ns === ns && isDefaultDeny(p))) {
                    const hint = fixHint(
                        obj ?? subject,
                        "network",
                        "add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] and no rules",
                        ctx.checkLevel,
                    );
                    const what = obj ? "has" : `runs in namespace ${ns}, which has`;
                    ctx.report(
                        subject,
                        `${what} no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules): every pod not selected by another policy is open; ${hint}`,
                    );
                }
            });
        }
    },
});

const sandboxIsolation = stackPolicy({
    meta: policyMeta("network-sandbox-isolation"),
    validate: (stack, ctx, args) => {
        const sandboxes = stack.componentWorkloads("sandbox");
        if (sandboxes.length === 0) return args.notApplicable("no sandbox workload");
        const model = modelOf(stack, ctx);
        if (!model) return;
        const hint =
            "fix: config key: none — the sandbox's NetworkPolicy (deny all egress, ingress only from agents) exists at every agentstack:securityLevel; restore it";
        const agents = new Set(stack.componentWorkloads("agent").map(peerName));
        for (const s of sandboxes) {
            const me = peerName(s);
            const out: Reach[] = [];
            for (const w of model.workloads) {
                if (w.name === me) continue;
                const c = connectionBetween(model, me, w.name);
                if (!c.isEmpty()) out.push({ peer: w.name, conn: c.toString() });
            }
            const ip = connectionBetween(model, me, ANY_ADDRESS);
            if (!ip.isEmpty()) out.push({ peer: "addresses outside the cluster", conn: ip.toString() });
            if (out.length > 0)
                ctx.report(
                    s,
                    `the sandbox can open connections to ${describe(out)}; it must have no egress at all; ${hint}`,
                );
            const inbound = reachersOf(model, me, (p) => agents.has(p.name));
            if (inbound.length > 0)
                ctx.report(
                    s,
                    `the sandbox accepts connections from ${describe(inbound)}; only agents may call it; ${hint}`,
                );
        }
    },
});

function isDeclared(
    clients: readonly DeclaredClient[],
    peer: { namespace?: string; labels: Record<string, string> },
): boolean {
    return clients.some(
        (c) => c.namespace === peer.namespace && Object.entries(c.podLabels).every(([k, v]) => peer.labels[k] === v),
    );
}

const dataStoreClients = stackPolicy({
    meta: policyMeta("network-data-store-clients"),
    validate: (stack, ctx, args) => {
        const stores = stack.declaredDataStores();
        if (stores.length === 0) return args.notApplicable("no workload is labelled agentstack.io/data-store");
        const model = modelOf(stack, ctx);
        if (!model) return;
        for (const d of stores) {
            ctx.guard(d, "who can reach it", () => {
                const clients = stack.declaredClients(d);
                const reach = reachersOf(model, peerName(d), (p) => isDeclared(clients, p));
                if (reach.length > 0) {
                    ctx.report(
                        d,
                        `data store reachable from workloads that are not its declared clients: ${describe(reach)}; fix: set agentstack:securityLevel to ${ctx.checkLevel} or more (NetworkPolicies admit only the declared clients)`,
                    );
                }
            });
        }
    },
});

const extauthFromSidecars = stackPolicy({
    meta: policyMeta("network-extauth-from-sidecars"),
    validate: (stack, ctx, args) => {
        const extauth = stack.componentWorkloads("extauth");
        if (extauth.length === 0) return args.notApplicable("no extauth workload");
        const model = modelOf(stack, ctx);
        if (!model) return;
        for (const e of extauth) {
            const reach = reachersOf(
                model,
                peerName(e),
                (p) => p.labels[SIDECAR_POD_LABEL.key] === SIDECAR_POD_LABEL.value,
            );
            if (reach.length > 0) {
                ctx.report(
                    e,
                    `extauth accepts connections from pods without an Envoy sidecar: ${describe(reach)}; fix: set agentstack:securityLevel to ${ctx.checkLevel} or more`,
                );
            }
        }
    },
});

/** How a Service exposes its pods outside the cluster, naming the field; undefined for an in-cluster Service. */
function externalServiceType(svc: K8sObject): string | undefined {
    const type = str(svc.props, "spec", "type") ?? "ClusterIP";
    if (type === "LoadBalancer" || type === "NodePort") return `spec.type: ${type}`;
    if (list(svc.props, "spec", "externalIPs").length > 0) return "spec.externalIPs";
    return undefined;
}

/** Service names an exposure routes to (Ingress backends, Route `to`, HTTPRoute backendRefs), in its namespace. */
function exposureBackends(o: K8sObject): string[] {
    const out: string[] = [];
    if (o.is("Ingress", "networking.k8s.io") || o.is("Ingress", "extensions")) {
        const def = str(o.props, "spec", "defaultBackend", "service", "name");
        if (def) out.push(def);
        list(o.props, "spec", "rules").forEach((_, i) => {
            list(o.props, "spec", "rules", i, "http", "paths").forEach((__, j) => {
                const n =
                    str(o.props, "spec", "rules", i, "http", "paths", j, "backend", "service", "name") ??
                    str(o.props, "spec", "rules", i, "http", "paths", j, "backend", "serviceName");
                if (n) out.push(n);
            });
        });
    } else if (o.is("Route", "route.openshift.io")) {
        const n = str(o.props, "spec", "to", "name");
        if (n) out.push(n);
    } else if (
        o.is("HTTPRoute", "gateway.networking.k8s.io") ||
        o.is("GRPCRoute", "gateway.networking.k8s.io") ||
        o.is("TLSRoute", "gateway.networking.k8s.io") ||
        o.is("TCPRoute", "gateway.networking.k8s.io")
    ) {
        list(o.props, "spec", "rules").forEach((_, i) => {
            list(o.props, "spec", "rules", i, "backendRefs").forEach((__, j) => {
                const kind = str(o.props, "spec", "rules", i, "backendRefs", j, "kind") ?? "Service";
                const n = str(o.props, "spec", "rules", i, "backendRefs", j, "name");
                if (n && kind === "Service") out.push(n);
            });
        });
    }
    return out;
}

const dataStoreExposure = stackPolicy({
    meta: policyMeta("network-data-store-exposure"),
    validate: (stack, ctx) => {
        const stores = stack.dataStores();
        /** Services (ns/name) in front of a data store, and what the store is. */
        const storeServices = new Map<string, string>();
        for (const svc of stack.ofKind("Service", "")) {
            ctx.guard(svc, "what it exposes", () => {
                const selector = strMap(svc.props, "spec", "selector");
                const hit = stores.filter((d) => d.ns === svc.ns && serviceSelects(selector, d.podLabelsLoose()));
                const byLabels = hit.length === 0 ? dataStoreSelectorReason(selector) : undefined;
                if (hit.length === 0 && !byLabels) return;
                const what =
                    hit.length > 0
                        ? `the data store ${hit.map((d) => d.display).join(", ")}`
                        : `a data store (spec.selector ${byLabels})`;
                storeServices.set(`${svc.ns}/${svc.name}`, what);
                const ext = externalServiceType(svc);
                if (ext) {
                    const store = hit.length > 0 ? componentOf(hit[0]!) : undefined;
                    const hint = store
                        ? `fix: keep agentstack:${store.component}.service.type ClusterIP (no agentstack:* setting may expose a data store)`
                        : fixHint(
                              svc,
                              "network",
                              "make the Service type ClusterIP and remove spec.externalIPs (no NodePort, LoadBalancer or external IPs for a data store)",
                          );
                    ctx.report(svc, `exposes ${what} outside the cluster (${ext}); ${hint}`);
                }
            });
        }
        for (const o of stack.objects) {
            ctx.guard(o, "its backends", () => {
                for (const name of exposureBackends(o)) {
                    const what = storeServices.get(`${o.ns}/${name}`);
                    if (what)
                        ctx.report(
                            o,
                            `routes external traffic to Service ${name} of ${what}; fix: remove that backend from the ${o.kind} (config key: none exposes a data store)`,
                        );
                }
            });
        }
    },
});

/** The network policies. */
export const NETWORK_POLICIES: readonly AgentstackPolicy[] = [
    defaultDeny,
    sandboxIsolation,
    dataStoreClients,
    extauthFromSidecars,
    dataStoreExposure,
];
