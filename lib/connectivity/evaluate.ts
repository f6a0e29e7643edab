/**
 * Connectivity evaluation with Kubernetes NetworkPolicy semantics.
 *
 * Model and decisions (following the Kubernetes API reference, and the static
 * analyzers such as np-guard's netpol-analyzer where the API leaves room):
 *
 * - Peers are workloads (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
 *   ReplicationController, Job, CronJob; see workloads.ts), synthetic workloads
 *   passed by the caller, named IP peers passed by the caller, and disjoint IP
 *   ranges. All pods of one workload are assumed identical (same labels,
 *   same container ports).
 * - Namespaces: labels of the Namespace objects in the input; a namespace with
 *   no object has only `kubernetes.io/metadata.name: <name>`, and that label
 *   is always forced to the namespace name (the API server does so).
 * - Only `networking.k8s.io` NetworkPolicies count (Calico/Cilium/Admin
 *   policies are ignored). A policy selects the pods of its own namespace that
 *   match `spec.podSelector` (absent = all). `policyTypes` absent or empty
 *   defaults to `[Ingress]`, plus `Egress` when `spec.egress` has at least one
 *   rule (the API server's defaulting; `egress: []` alone does not add it).
 * - A pod is isolated in a direction iff some policy selecting it has that
 *   policy type; a non-isolated direction allows every connection. The allowed
 *   set of an isolated direction is the union of all rules of all the policies
 *   that select the pod for that direction. A rule with an absent/empty
 *   `from`/`to` matches every peer (all pods and all IPs); an absent/empty
 *   `ports` matches every port of every protocol.
 * - Peers: only `podSelector` = matching pods in the policy's namespace; only
 *   `namespaceSelector` = all pods of matching namespaces; both = matching pods
 *   in matching namespaces. Selectors support matchLabels and matchExpressions
 *   (In, NotIn, Exists, DoesNotExist); `{}` selects everything.
 * - Pod-to-pod: allowed = egress(src) ∩ ingress(dst). Pod IPs are treated as
 *   NOT inside any ipBlock (as static analyzers do, since pod IPs are unknown
 *   before deployment), so only selector peers (or "match every peer" rules)
 *   admit pod traffic.
 * - IP ranges: the address space is cut into the coarsest disjoint ranges
 *   bounded by every `cidr` and `except` mentioned in the policies; IPv4 is
 *   always covered (0.0.0.0-255.255.255.255), IPv6 only when a policy (or a
 *   named IP peer) mentions an IPv6 address. Every range behaves uniformly
 *   under all the policies. Pod-to-range = egress of the pod (traffic outside
 *   the cluster is not subject to any policy); range-to-pod = ingress of the
 *   pod (an ingress-unisolated pod is open to every range). Range-to-range is
 *   not reported (no policy governs it).
 * - Ports: numeric ports; `endPort` ranges (`port..endPort`); protocol
 *   defaults to TCP; a port entry with only a protocol means all its ports.
 *   Named ports resolve against the container ports (same name and protocol)
 *   of the destination pod: on ingress that is the selected pod, on egress the
 *   peer pod. A named port cannot be resolved for an IP destination, so such an
 *   entry grants nothing towards IP ranges (a warning is emitted). A named port
 *   a pod does not declare grants nothing for that pod.
 * - Self loops (a workload to itself) are omitted from the report, like
 *   np-guard. `connectionBetween(model, w, w)` still computes them, read as
 *   "between two replicas of the workload".
 * - Synthetic workloads behave exactly like pods with the given namespace,
 *   labels and ports (policies of their namespace select them too). Named IP
 *   peers are address sets; since a set may straddle ranges with different
 *   rules, `match: "any"` (default) reports the union over the addresses
 *   ("some address of the peer is reachable with…"), `match: "all"` the
 *   intersection ("every address of the peer is reachable with…").
 * - Input the API server would reject is warned about and made inert: an
 *   invalid selector/peer/port entry matches nothing.
 */
import {
    contains,
    disjointRanges,
    formatRange,
    hasIpv6,
    ipSet,
    overlaps,
    parseCidr,
    parseRange,
    subtract,
    type IpFamily,
    type IpRange,
    type IpSet,
    universe,
} from "./ipblock";
import {
    isNetworkPolicy,
    parseNetworkPolicy,
    type NetworkPolicyModel,
    type PolicyPeer,
    type PolicyPort,
    type PolicyRule,
} from "./policies";
import { ConnectionSet, isProtocol, MAX_PORT, MIN_PORT, type Protocol } from "./ports";
import { matchesSelector, type Labels } from "./selectors";
import { sortEntries, type ConnEntry } from "./report";
import { compareStrings, type Obj } from "../objects";
import { NAMESPACE_NAME_LABEL, parseCluster, type ContainerPort, type Workload } from "./workloads";

/** A pod-like peer supplied by the caller (e.g. "outside" for the ingress controller, "kube-dns"). */
export interface SyntheticWorkload {
    /** Name shown in the report; must not clash with another peer. */
    readonly name: string;
    readonly namespace: string;
    /** Pod labels (default none). */
    readonly labels?: Readonly<Record<string, string>>;
    /** Extra labels of the namespace, merged over those of its Namespace object (if any). */
    readonly namespaceLabels?: Readonly<Record<string, string>>;
    /** Container ports, for named-port resolution (protocol defaults to TCP). */
    readonly ports?: ReadonlyArray<{
        readonly name?: string;
        readonly containerPort: number;
        readonly protocol?: Protocol;
    }>;
}

/** How a named IP peer's connectivity is aggregated over its addresses. */
export type IpMatch = "any" | "all";

/** An address set supplied by the caller (e.g. "internet", "kube-apiserver"), reported under `name`. */
export interface NamedIpPeer {
    /** Name shown in the report; must not clash with another peer. */
    readonly name: string;
    /** CIDRs making up the peer. */
    readonly cidrs: readonly string[];
    /** CIDRs removed from `cidrs`. */
    readonly except?: readonly string[];
    /** `any` (default): union over the peer's addresses; `all`: intersection. */
    readonly match?: IpMatch;
}

/** Options of `buildModel` / `analyzeConnectivity`. */
export interface AnalyzeOptions {
    /** Namespace of objects without `metadata.namespace` (default `default`). */
    readonly defaultNamespace?: string;
    /** Synthetic pod-like peers added to the workloads. */
    readonly extraWorkloads?: readonly SyntheticWorkload[];
    /** Named address sets added as peers. */
    readonly ipPeers?: readonly NamedIpPeer[];
    /** Report the anonymous disjoint IP ranges (default true). */
    readonly ipRanges?: boolean;
    /** Receives warnings about input that was skipped or interpreted (they are also kept in the model). */
    readonly onWarning?: (message: string) => void;
}

/** A named IP peer with its addresses resolved. */
export interface ResolvedIpPeer {
    readonly name: string;
    readonly addresses: IpSet;
    readonly match: IpMatch;
}

/** The policies that isolate one workload, per direction. */
export interface Isolation {
    /** Policies selecting the pod that have Ingress in their types (empty = not isolated). */
    readonly ingress: readonly NetworkPolicyModel[];
    /** Policies selecting the pod that have Egress in their types (empty = not isolated). */
    readonly egress: readonly NetworkPolicyModel[];
}

/** Everything needed to answer connectivity questions; build once with `buildModel`. */
export interface ConnectivityModel {
    /** Real and synthetic workloads, sorted by name. */
    readonly workloads: readonly Workload[];
    /** Labels of every namespace known to the model (input objects, workloads, synthetic peers, policies). */
    readonly namespaces: ReadonlyMap<string, Labels>;
    readonly policies: readonly NetworkPolicyModel[];
    /** Disjoint IP ranges covering the address space (IPv4; IPv6 when mentioned). */
    readonly ipRanges: readonly IpRange[];
    readonly ipPeers: readonly ResolvedIpPeer[];
    /** Whether `connectivityEntries` reports `ipRanges` by default. */
    readonly reportIpRanges: boolean;
    readonly warnings: readonly string[];
    /** Per workload: the policies isolating it. */
    readonly isolation: ReadonlyMap<Workload, Isolation>;
}

/** The side of a connection the evaluator looks at: a pod, or one address. */
type Endpoint =
    | { readonly kind: "pod"; readonly workload: Workload }
    | { readonly kind: "ip"; readonly family: IpFamily; readonly address: bigint };

function namespaceLabels(model: Pick<ConnectivityModel, "namespaces">, ns: string): Labels {
    return model.namespaces.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns };
}

function peerMatches(model: ConnectivityModel, policy: NetworkPolicyModel, peer: PolicyPeer, ep: Endpoint): boolean {
    switch (peer.type) {
        case "none":
            return false;
        case "ipBlock":
            return ep.kind === "ip" && contains(peer.block, ep.family, ep.address);
        case "pods": {
            if (ep.kind !== "pod") return false;
            const w = ep.workload;
            if (peer.namespaceSelector === undefined) {
                if (w.namespace !== policy.namespace) return false;
            } else if (!matchesSelector(peer.namespaceSelector, namespaceLabels(model, w.namespace))) {
                return false;
            }
            return peer.podSelector === undefined || matchesSelector(peer.podSelector, w.labels);
        }
    }
}

/** The ports one entry grants towards `dst` (undefined = an IP destination). */
function portEntryConns(entry: PolicyPort, dst: Workload | undefined): ConnectionSet {
    if (entry.port === undefined) return ConnectionSet.protocol(entry.protocol);
    if (typeof entry.port === "number")
        return ConnectionSet.ports(entry.protocol, entry.port, entry.endPort ?? entry.port);
    if (dst === undefined) return ConnectionSet.none();
    let acc = ConnectionSet.none();
    for (const cp of dst.ports) {
        if (cp.name === entry.port && cp.protocol === entry.protocol)
            acc = acc.union(ConnectionSet.ports(cp.protocol, cp.port));
    }
    return acc;
}

/**
 * Per rule, what it was already found to give: whether its peers match a workload, and the ports it
 * grants towards a destination (undefined: an IP). A report asks every rule about every pair of
 * workloads; the answers depend only on the rule and one workload. Rules and workloads are made by
 * one buildModel, so a rule's answers are those of its own model.
 */
interface RuleMemo {
    readonly matches: Map<Workload, boolean>;
    readonly ports: Map<Workload | undefined, ConnectionSet>;
}
const ruleMemos = new WeakMap<PolicyRule, RuleMemo>();

function memoOf(rule: PolicyRule): RuleMemo {
    let memo = ruleMemos.get(rule);
    if (memo === undefined) {
        memo = { matches: new Map(), ports: new Map() };
        ruleMemos.set(rule, memo);
    }
    return memo;
}

function rulePeersMatch(
    model: ConnectivityModel,
    policy: NetworkPolicyModel,
    peers: readonly PolicyPeer[],
    memo: RuleMemo,
    ep: Endpoint,
): boolean {
    if (ep.kind !== "pod") return peers.some((p) => peerMatches(model, policy, p, ep));
    let hit = memo.matches.get(ep.workload);
    if (hit === undefined) {
        hit = peers.some((p) => peerMatches(model, policy, p, ep));
        memo.matches.set(ep.workload, hit);
    }
    return hit;
}

function ruleConns(
    model: ConnectivityModel,
    policy: NetworkPolicyModel,
    rule: PolicyRule,
    peer: Endpoint,
    dst: Workload | undefined,
): ConnectionSet {
    const memo = memoOf(rule);
    if (rule.peers !== "any" && !rulePeersMatch(model, policy, rule.peers, memo, peer)) return ConnectionSet.none();
    if (rule.ports === "any") return ConnectionSet.all();
    let conns = memo.ports.get(dst);
    if (conns === undefined) {
        conns = rule.ports.reduce((acc, e) => acc.union(portEntryConns(e, dst)), ConnectionSet.none());
        memo.ports.set(dst, conns);
    }
    return conns;
}

function directionConns(
    model: ConnectivityModel,
    policies: readonly NetworkPolicyModel[],
    rulesOf: (p: NetworkPolicyModel) => readonly PolicyRule[],
    peer: Endpoint,
    dst: Workload | undefined,
): ConnectionSet {
    if (policies.length === 0) return ConnectionSet.all();
    let acc = ConnectionSet.none();
    for (const p of policies) {
        for (const r of rulesOf(p)) {
            acc = acc.union(ruleConns(model, p, r, peer, dst));
            if (acc.isAll()) return acc;
        }
    }
    return acc;
}

function isolationOf(model: ConnectivityModel, w: Workload): Isolation {
    const iso = model.isolation.get(w);
    if (iso === undefined) throw new Error(`workload ${w.name} is not part of this model`);
    return iso;
}

/** What `src`'s egress allows towards `dst`. */
function egressConns(model: ConnectivityModel, src: Workload, dst: Endpoint): ConnectionSet {
    return directionConns(
        model,
        isolationOf(model, src).egress,
        (p) => p.egress ?? [],
        dst,
        dst.kind === "pod" ? dst.workload : undefined,
    );
}

/** What `dst`'s ingress allows from `src`. */
function ingressConns(model: ConnectivityModel, dst: Workload, src: Endpoint): ConnectionSet {
    return directionConns(model, isolationOf(model, dst).ingress, (p) => p.ingress ?? [], src, dst);
}

/** Connections between a workload and a single disjoint range, in the given direction. */
function rangeConns(model: ConnectivityModel, w: Workload, range: IpRange, workloadIsSource: boolean): ConnectionSet {
    const ep: Endpoint = { kind: "ip", family: range.family, address: range.start };
    return workloadIsSource ? egressConns(model, w, ep) : ingressConns(model, w, ep);
}

/** Connections between a workload and an address set, aggregated per `match` over the disjoint ranges it touches. */
function setConns(
    model: ConnectivityModel,
    w: Workload,
    set: IpSet,
    match: IpMatch,
    workloadIsSource: boolean,
): ConnectionSet {
    let acc: ConnectionSet | undefined;
    // IPv6 ranges exist only when mentioned; otherwise the whole IPv6 space is one uniform range.
    const ranges = model.ipRanges.some((r) => r.family === 6) ? model.ipRanges : [...model.ipRanges, universe(6)];
    for (const r of ranges) {
        if (!overlaps(set, r)) continue;
        const c = rangeConns(model, w, r, workloadIsSource);
        acc = acc === undefined ? c : match === "any" ? acc.union(c) : acc.intersect(c);
    }
    return acc ?? ConnectionSet.none();
}

function parseAddressList(cidrs: readonly string[], what: string): IpRange[] {
    return cidrs.map((c) => {
        const r = parseCidr(c) ?? parseRange(c);
        if (r === undefined) throw new Error(`${what}: invalid CIDR or range "${c}"`);
        return r;
    });
}

/**
 * Builds the connectivity model of a set of Kubernetes objects (anything else
 * than workloads, Namespaces and NetworkPolicies is ignored). Throws when a
 * synthetic peer or IP peer is malformed or its name clashes with another peer.
 */
export function buildModel(
    objects: ReadonlyArray<Record<string, unknown>>,
    options: AnalyzeOptions = {},
): ConnectivityModel {
    const warnings: string[] = [];
    const warn = (m: string): void => {
        warnings.push(m);
        options.onWarning?.(m);
    };
    const defaultNamespace = options.defaultNamespace ?? "default";
    const objs = objects.filter((o): o is Obj => typeof o === "object" && o !== null && !Array.isArray(o));
    const cluster = parseCluster(objs, defaultNamespace, warn);
    const policies = objs.filter(isNetworkPolicy).map((o) => parseNetworkPolicy(o, defaultNamespace, warn));
    for (const o of objs) {
        if (o.kind === "NetworkPolicy" && !isNetworkPolicy(o))
            warn(`NetworkPolicy of apiVersion ${String(o.apiVersion)} ignored (only networking.k8s.io is modelled)`);
    }

    const names = new Set(cluster.workloads.map((w) => w.name));
    const claim = (name: string, what: string): void => {
        if (name === "" || names.has(name) || parseRange(name) !== undefined)
            throw new Error(`${what}: name "${name}" is empty, clashes with another peer, or looks like an IP range`);
        names.add(name);
    };

    const namespaces = new Map<string, Labels>(cluster.namespaces);
    const synthetic: Workload[] = (options.extraWorkloads ?? []).map((s) => {
        claim(s.name, "extra workload");
        if (s.namespaceLabels !== undefined) {
            namespaces.set(s.namespace, {
                ...namespaceLabels({ namespaces }, s.namespace),
                ...s.namespaceLabels,
                [NAMESPACE_NAME_LABEL]: s.namespace,
            });
        }
        const ports: ContainerPort[] = (s.ports ?? []).map((p) => {
            const protocol = p.protocol ?? "TCP";
            if (
                !isProtocol(protocol) ||
                !Number.isInteger(p.containerPort) ||
                p.containerPort < MIN_PORT ||
                p.containerPort > MAX_PORT
            ) {
                throw new Error(`extra workload ${s.name}: invalid port ${JSON.stringify(p)}`);
            }
            return p.name === undefined
                ? { port: p.containerPort, protocol }
                : { name: p.name, port: p.containerPort, protocol };
        });
        return {
            name: s.name,
            namespace: s.namespace,
            kind: "Synthetic",
            labels: { ...(s.labels ?? {}) },
            ports,
            synthetic: true,
        };
    });
    const workloads = [...cluster.workloads, ...synthetic].sort((a, b) => compareStrings(a.name, b.name));
    for (const ns of [...workloads.map((w) => w.namespace), ...policies.map((p) => p.namespace)]) {
        if (!namespaces.has(ns)) namespaces.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
    }

    const ipPeers: ResolvedIpPeer[] = (options.ipPeers ?? []).map((p) => {
        claim(p.name, "IP peer");
        const addresses = subtract(
            ipSet(parseAddressList(p.cidrs, `IP peer ${p.name}`)),
            ipSet(parseAddressList(p.except ?? [], `IP peer ${p.name}`)),
        );
        return { name: p.name, addresses, match: p.match ?? "any" };
    });

    const mentioned: IpSet[] = [];
    for (const p of policies) {
        for (const r of [...(p.ingress ?? []), ...(p.egress ?? [])]) {
            if (r.peers === "any") continue;
            for (const peer of r.peers)
                if (peer.type === "ipBlock") for (const m of peer.mentioned) mentioned.push([m]);
        }
    }
    const families: IpFamily[] = mentioned.some(hasIpv6) || ipPeers.some((p) => hasIpv6(p.addresses)) ? [4, 6] : [4];
    const ipRanges = disjointRanges(mentioned, families);

    for (const p of policies) {
        for (const [i, r] of (p.egress ?? []).entries()) {
            const toIps = r.peers === "any" || r.peers.some((x) => x.type === "ipBlock");
            const named = r.ports === "any" ? [] : r.ports.filter((e) => typeof e.port === "string");
            if (toIps && named.length > 0) {
                warn(
                    `NetworkPolicy ${p.id} egress[${i}]: named port(s) ${named.map((e) => e.port).join(", ")} cannot be resolved for IP destinations; they allow nothing towards IP ranges`,
                );
            }
        }
    }

    const isolation = new Map<Workload, Isolation>();
    for (const w of workloads) {
        const selecting = policies.filter(
            (p) => p.namespace === w.namespace && matchesSelector(p.podSelector, w.labels),
        );
        isolation.set(w, {
            ingress: selecting.filter((p) => p.ingress !== undefined),
            egress: selecting.filter((p) => p.egress !== undefined),
        });
    }

    return {
        workloads,
        namespaces,
        policies,
        ipRanges,
        ipPeers,
        reportIpRanges: options.ipRanges ?? true,
        warnings,
        isolation,
    };
}

/** A peer as `connectionBetween` accepts it: a workload, a named IP peer, or an address set. */
type ResolvedPeer =
    | { readonly kind: "pod"; readonly workload: Workload }
    | { readonly kind: "ips"; readonly set: IpSet; readonly match: IpMatch };

const workloadIndex = new WeakMap<ConnectivityModel, ReadonlyMap<string, Workload>>();

function workloadByName(model: ConnectivityModel, name: string): Workload | undefined {
    let index = workloadIndex.get(model);
    if (index === undefined) {
        index = new Map(model.workloads.map((w) => [w.name, w]));
        workloadIndex.set(model, index);
    }
    return index.get(name);
}

function resolvePeer(model: ConnectivityModel, name: string, match: IpMatch | undefined): ResolvedPeer {
    const w = workloadByName(model, name);
    if (w !== undefined) return { kind: "pod", workload: w };
    const ip = model.ipPeers.find((x) => x.name === name);
    if (ip !== undefined) return { kind: "ips", set: ip.addresses, match: match ?? ip.match };
    const r = parseRange(name);
    if (r !== undefined) return { kind: "ips", set: [r], match: match ?? "any" };
    throw new Error(
        `unknown peer "${name}" (expected a workload such as ns/name[Kind], a named peer, or an IP range/CIDR)`,
    );
}

/**
 * The connections allowed from `src` to `dst`. Each may be a workload name
 * (`ns/name[Kind]`), a synthetic workload or named IP peer, or an address
 * (`10.0.0.1`, `10.0.0.0/8`, `10.0.0.0-10.0.0.255`). `ipMatch` overrides how
 * an address set is aggregated (default: the peer's own `match`, else `any`).
 * `src === dst` gives the connections between two replicas of the workload.
 * Throws when a name is unknown or when both sides are addresses (traffic
 * between two external addresses is not governed by NetworkPolicy).
 */
export function connectionBetween(
    model: ConnectivityModel,
    src: string,
    dst: string,
    ipMatch?: IpMatch,
): ConnectionSet {
    const s = resolvePeer(model, src, ipMatch);
    const d = resolvePeer(model, dst, ipMatch);
    if (s.kind === "pod" && d.kind === "pod") {
        return egressConns(model, s.workload, d).intersect(ingressConns(model, d.workload, s));
    }
    if (s.kind === "pod" && d.kind === "ips") return setConns(model, s.workload, d.set, d.match, true);
    if (s.kind === "ips" && d.kind === "pod") return setConns(model, d.workload, s.set, s.match, false);
    throw new Error(`no policy governs traffic between two IP peers ("${src}" and "${dst}")`);
}

/**
 * Every allowed connection of the model, sorted: workload to workload (no self
 * loops), workload to/from each disjoint IP range (unless `ipRanges` is false)
 * and to/from each named IP peer. Pairs without any connection are left out.
 */
export function connectivityEntries(model: ConnectivityModel, ipRanges: boolean = model.reportIpRanges): ConnEntry[] {
    const out: ConnEntry[] = [];
    const push = (src: string, dst: string, c: ConnectionSet): void => {
        if (!c.isEmpty()) out.push({ src, dst, conn: c.toString() });
    };
    for (const s of model.workloads) {
        for (const d of model.workloads) {
            if (s === d) continue;
            // Default deny makes most pairs empty on the egress side: the ingress side is not needed then.
            const egress = egressConns(model, s, { kind: "pod", workload: d });
            if (egress.isEmpty()) continue;
            push(s.name, d.name, egress.intersect(ingressConns(model, d, { kind: "pod", workload: s })));
        }
        if (ipRanges) {
            for (const r of model.ipRanges) {
                push(s.name, formatRange(r), rangeConns(model, s, r, true));
                push(formatRange(r), s.name, rangeConns(model, s, r, false));
            }
        }
        for (const p of model.ipPeers) {
            push(s.name, p.name, setConns(model, s, p.addresses, p.match, true));
            push(p.name, s.name, setConns(model, s, p.addresses, p.match, false));
        }
    }
    return sortEntries(out);
}

/**
 * Analyses the objects (workloads, Namespaces, NetworkPolicies; others are
 * ignored) and returns every allowed connection as `{src, dst, conn}`
 * entries, sorted by src then dst. See the top of this module for semantics.
 */
export function analyzeConnectivity(
    objects: ReadonlyArray<Record<string, unknown>>,
    options: AnalyzeOptions = {},
): ConnEntry[] {
    return connectivityEntries(buildModel(objects, options));
}
