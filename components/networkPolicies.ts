/**
 * NetworkPolicies generated from the flow table (stacks/flows.ts): at levels 2 and 3 a default-deny
 * policy in every namespace the program creates plus exactly the allow rules of the table; at level 1
 * only the sandbox's own isolation (unless `agentstack:network.defaultDenyAtLevel1` asks for all).
 * Each flow becomes an ingress policy on its destination and an egress policy on its source, both
 * named after the flow, so a reviewer can read them one flow at a time.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, Flow, flowTable, sandboxFlows } from "../stacks/flows";
import { Namespaces, PlatformSpec } from "../stacks/resolve";
import { FLOW_LABEL, PART_OF, PART_OF_LABEL } from "../lib/labels";

/** Name of the default-deny policy of every namespace. */
export const DEFAULT_DENY = "default-deny";

/** Addresses never reachable through a broad egress CIDR unless the config lists them itself. */
export const GUARDED_CIDRS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"] as const;

/** A NetworkPolicy as a plain object (metadata + spec). */
export interface NetworkPolicyObject {
    readonly metadata: { readonly name: string; readonly namespace: string; readonly labels: Record<string, string> };
    readonly spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

function ipv4(cidr: string): { start: number; end: number } {
    const [addr, bits] = cidr.split("/") as [string, string];
    const n = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const start = n - (n % size);
    return { start, end: start + size - 1 };
}

/** The guarded ranges strictly inside a CIDR (they become `except`, unless listed on their own). */
export function guardedExcept(cidr: string, listed: readonly string[]): string[] {
    const outer = ipv4(cidr);
    return GUARDED_CIDRS.filter((g) => {
        if (listed.includes(g)) return false;
        const inner = ipv4(g);
        return (
            inner.start >= outer.start &&
            inner.end <= outer.end &&
            (inner.start !== outer.start || inner.end !== outer.end)
        );
    });
}

/** The NetworkPolicy peer of an endpoint; undefined means "any source" (a rule without `from`). */
export function peerOf(
    e: Endpoint,
    spec: PlatformSpec,
    listed: readonly string[],
): k8s.types.input.networking.v1.NetworkPolicyPeer[] | undefined {
    const nsSel = (ns: string) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });
    switch (e.kind) {
        case "pods":
            return [
                { namespaceSelector: nsSel(spec.namespaces[e.zone]), podSelector: { matchLabels: { ...e.selector } } },
            ];
        case "ingress-controller":
            return [
                {
                    namespaceSelector: nsSel(spec.cluster.ingressNamespace),
                    podSelector: { matchLabels: { ...spec.cluster.ingressPodLabels } },
                },
            ];
        case "kube-dns":
            return [
                {
                    namespaceSelector: nsSel(spec.cluster.dnsNamespace),
                    podSelector: { matchLabels: { ...spec.cluster.dnsPodLabels } },
                },
            ];
        case "prometheus":
            return [
                {
                    namespaceSelector: nsSel(spec.monitoring.prometheus.namespace),
                    podSelector: { matchLabels: { ...spec.monitoring.prometheus.podLabels } },
                },
            ];
        case "apiserver":
            return spec.cluster.apiServerCidrs.length === 0
                ? undefined
                : spec.cluster.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } }));
        case "cidrs":
            return e.cidrs.map((cidr) => {
                const except = guardedExcept(cidr, listed);
                return { ipBlock: except.length > 0 ? { cidr, except } : { cidr } };
            });
    }
}

/** Every CIDR the config lists itself (a listed guarded range stays reachable). */
function listedCidrs(spec: PlatformSpec): string[] {
    return [
        ...spec.llm.egressCidrs,
        ...spec.mcpServers.flatMap((m) => m.egress.map((e) => e.cidr)),
        ...spec.cluster.apiServerCidrs,
    ];
}

/** The NetworkPolicies of one flow: ingress on its destination pods, egress on its source pods. */
export function flowPolicies(flow: Flow, spec: PlatformSpec): NetworkPolicyObject[] {
    const listed = listedCidrs(spec);
    const labels = { [PART_OF_LABEL]: PART_OF, [FLOW_LABEL]: flow.id };
    const ports = flow.ports.map((p) => ({ port: p.port, protocol: p.protocol }));
    const out: NetworkPolicyObject[] = [];
    if (flow.to.kind === "pods") {
        const from = peerOf(flow.from, spec, listed);
        out.push({
            metadata: { name: `${flow.id}-ingress`, namespace: spec.namespaces[flow.to.zone], labels },
            spec: {
                podSelector: { matchLabels: { ...flow.to.selector } },
                policyTypes: ["Ingress"],
                ingress: [{ ...(from ? { from } : {}), ports }],
            },
        });
    }
    if (flow.from.kind === "pods") {
        const to = peerOf(flow.to, spec, listed);
        out.push({
            metadata: { name: `${flow.id}-egress`, namespace: spec.namespaces[flow.from.zone], labels },
            spec: {
                podSelector: { matchLabels: { ...flow.from.selector } },
                policyTypes: ["Egress"],
                egress: [{ ...(to ? { to } : {}), ports }],
            },
        });
    }
    return out;
}

/** A default-deny (ingress and egress) policy for one namespace. */
export function defaultDeny(namespace: string): NetworkPolicyObject {
    return {
        metadata: { name: DEFAULT_DENY, namespace, labels: { [PART_OF_LABEL]: PART_OF } },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    };
}

/** Whether the platform runs default-deny plus the whole flow table. */
export function enforcesFlowTable(spec: PlatformSpec): boolean {
    return spec.profile.networkPolicies === "default-deny" || spec.network.defaultDenyAtLevel1;
}

/** Every NetworkPolicy of the platform, sorted by namespace and name (`flows`: the spec's flow table, computed once per run). */
export function networkPolicyObjects(
    spec: PlatformSpec,
    flows: readonly Flow[] = flowTable(spec),
): NetworkPolicyObject[] {
    const policies = enforcesFlowTable(spec)
        ? [
              ...(Object.keys(spec.namespaces) as (keyof Namespaces)[]).map((z) => defaultDeny(spec.namespaces[z])),
              ...flows.flatMap((f) => flowPolicies(f, spec)),
          ]
        : [
              defaultDeny(spec.namespaces.sandbox),
              ...sandboxFlows(spec)
                  .flatMap((f) => flowPolicies(f, spec))
                  .filter((p) => p.metadata.namespace === spec.namespaces.sandbox),
          ];
    const names = new Set<string>();
    for (const p of policies) {
        const key = `${p.metadata.namespace}/${p.metadata.name}`;
        if (names.has(key)) throw new Error(`two NetworkPolicies named ${key}: flow ids must be unique`);
        names.add(key);
    }
    return policies.sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    );
}

export interface NetworkPoliciesArgs {
    /** The resolved platform spec (flows are derived from it). */
    readonly spec: PlatformSpec;
    /** Namespace objects' name outputs by zone, so each policy waits for its namespace. */
    readonly namespaces: Readonly<Record<keyof Namespaces, pulumi.Input<string>>>;
    /** The flow table of `spec` (stacks/flows.ts), computed once by the caller. Default: computed here. */
    readonly flows?: readonly Flow[];
}

export class NetworkPolicies extends pulumi.ComponentResource {
    /** Number of policies created. */
    public readonly count: number;
    /**
     * The policy created last, after every other one: depending on it waits for all of them (the engine
     * orders dependencies transitively). Workloads depend on it instead of on this component, which the
     * SDK would expand into every policy for every dependent — a dependency list per resource as long as
     * the policy list, growing with agents × MCP servers.
     */
    public readonly ready: pulumi.Resource;

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:network:NetworkPolicies", name, {}, opts);
        const zoneOf = new Map(
            (Object.keys(args.spec.namespaces) as (keyof Namespaces)[]).map((z) => [args.spec.namespaces[z], z]),
        );
        const objects = networkPolicyObjects(args.spec, args.flows);
        const created: k8s.networking.v1.NetworkPolicy[] = [];
        for (const [i, p] of objects.entries()) {
            const zone = zoneOf.get(p.metadata.namespace)!;
            const last = i === objects.length - 1;
            created.push(
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-${p.metadata.namespace}-${p.metadata.name}`,
                    {
                        metadata: { ...p.metadata, namespace: args.namespaces[zone] },
                        spec: p.spec,
                    },
                    { parent: this, ...(last && created.length > 0 ? { dependsOn: [...created] } : {}) },
                ),
            );
        }
        this.count = objects.length;
        this.ready = created[created.length - 1]!;
        this.registerOutputs({ count: this.count });
    }
}
