/**
 * Normalisation of `networking.k8s.io/v1` NetworkPolicy objects into a form
 * the evaluator can apply directly, including the API server's defaulting of
 * `policyTypes` and `podSelector`.
 *
 * Input the API server would reject is reported through `warn` and made
 * harmless: an invalid peer or port entry matches nothing (it never widens
 * what is allowed).
 */
import { ipSet, parseCidr, subtract, type IpRange, type IpSet } from "./ipblock";
import { isProtocol, MAX_PORT, MIN_PORT, type Protocol } from "./ports";
import { parseLabelSelector, SELECT_ALL, type LabelSelector } from "./selectors";
import { asArray, asObject, asString, getPath, type Obj, type WarnFn } from "../objects";

/** A rule peer, normalised. */
export type PolicyPeer =
    /** Pods: `namespaceSelector` absent means "the policy's namespace"; `podSelector` absent means all pods. */
    | { readonly type: "pods"; readonly podSelector?: LabelSelector; readonly namespaceSelector?: LabelSelector }
    /** Addresses in `cidr` minus `except`. */
    | { readonly type: "ipBlock"; readonly block: IpSet; readonly mentioned: readonly IpRange[] }
    /** An invalid peer: matches nothing. */
    | { readonly type: "none" };

/** A rule port entry: `port` absent means every port of `protocol`. */
export interface PolicyPort {
    readonly protocol: Protocol;
    readonly port?: number | string;
    readonly endPort?: number;
}

/** One ingress or egress rule. `"any"` stands for an absent or empty list (all peers / all ports). */
export interface PolicyRule {
    readonly peers: readonly PolicyPeer[] | "any";
    readonly ports: readonly PolicyPort[] | "any";
}

/** A normalised NetworkPolicy. */
export interface NetworkPolicyModel {
    /** `namespace/name`. */
    readonly id: string;
    readonly namespace: string;
    readonly podSelector: LabelSelector;
    /** Ingress rules when the policy affects ingress (Ingress in policyTypes), else `undefined`. */
    readonly ingress: readonly PolicyRule[] | undefined;
    /** Egress rules when the policy affects egress (Egress in policyTypes), else `undefined`. */
    readonly egress: readonly PolicyRule[] | undefined;
}

/** True when `obj` is a Kubernetes NetworkPolicy (and not, e.g., a Calico one of the same kind). */
export function isNetworkPolicy(obj: Obj): boolean {
    if (obj.kind !== "NetworkPolicy") return false;
    const apiVersion = asString(obj.apiVersion);
    return apiVersion === undefined || apiVersion.startsWith("networking.k8s.io/");
}

function parsePorts(raw: unknown, where: string, warn: WarnFn): readonly PolicyPort[] | "any" {
    if (raw === undefined || raw === null) return "any";
    const list = asArray(raw);
    if (list === undefined) {
        warn(`${where}: not a list; the rule allows no port`);
        return [];
    }
    if (list.length === 0) return "any";
    const out: PolicyPort[] = [];
    for (const [i, p] of list.entries()) {
        const at = `${where}[${i}]`;
        const po = asObject(p) ?? {};
        const protocol = po.protocol ?? "TCP";
        if (!isProtocol(protocol)) {
            warn(`${at}: unknown protocol ${JSON.stringify(protocol)}; entry ignored`);
            continue;
        }
        let port: number | string | undefined;
        const rawPort = po.port;
        if (rawPort === undefined || rawPort === null) port = undefined;
        else if (typeof rawPort === "number") port = rawPort;
        else if (typeof rawPort === "string" && /^\d+$/.test(rawPort)) {
            warn(`${at}: port "${rawPort}" is a string (the API would read it as a port name); treated as ${rawPort}`);
            port = Number(rawPort);
        } else if (typeof rawPort === "string" && rawPort !== "") port = rawPort;
        else {
            warn(`${at}: invalid port ${JSON.stringify(rawPort)}; entry ignored`);
            continue;
        }
        if (typeof port === "number" && (!Number.isInteger(port) || port < MIN_PORT || port > MAX_PORT)) {
            warn(`${at}: port ${port} out of range; entry ignored`);
            continue;
        }
        const endPort = po.endPort;
        if (endPort !== undefined && endPort !== null) {
            if (typeof port !== "number") {
                warn(`${at}: endPort requires a numeric port; entry ignored`);
                continue;
            }
            if (typeof endPort !== "number" || !Number.isInteger(endPort) || endPort < port || endPort > MAX_PORT) {
                warn(`${at}: endPort ${JSON.stringify(endPort)} invalid (must be ${port}..${MAX_PORT}); entry ignored`);
                continue;
            }
            out.push({ protocol, port, endPort });
            continue;
        }
        out.push(port === undefined ? { protocol } : { protocol, port });
    }
    return out;
}

function parseIpBlock(raw: unknown, where: string, warn: WarnFn): PolicyPeer {
    const cidrText = asString(getPath(raw, "cidr"));
    const cidr = cidrText === undefined ? undefined : parseCidr(cidrText);
    if (cidr === undefined) {
        warn(`${where}.ipBlock: invalid cidr ${JSON.stringify(cidrText)}; peer matches nothing`);
        return { type: "none" };
    }
    const excepts: IpRange[] = [];
    for (const e of asArray(getPath(raw, "except")) ?? []) {
        const r = typeof e === "string" ? parseCidr(e) : undefined;
        if (r === undefined) {
            warn(`${where}.ipBlock: invalid except ${JSON.stringify(e)}; peer matches nothing`);
            return { type: "none" };
        }
        if (r.family !== cidr.family || r.start < cidr.start || r.end > cidr.end) {
            warn(`${where}.ipBlock: except ${e} is not inside ${cidrText} (the API server rejects this)`);
        }
        excepts.push(r);
    }
    return { type: "ipBlock", block: subtract(ipSet([cidr]), ipSet(excepts)), mentioned: [cidr, ...excepts] };
}

function parsePeers(raw: unknown, where: string, warn: WarnFn): readonly PolicyPeer[] | "any" {
    if (raw === undefined || raw === null) return "any";
    const list = asArray(raw);
    if (list === undefined) {
        warn(`${where}: not a list; the rule matches no peer`);
        return [];
    }
    if (list.length === 0) return "any";
    return list.map((p, i): PolicyPeer => {
        const at = `${where}[${i}]`;
        const po = asObject(p) ?? {};
        const hasIp = po.ipBlock !== undefined && po.ipBlock !== null;
        const podSelector = parseLabelSelector(po.podSelector, `${at}.podSelector`, warn);
        const namespaceSelector = parseLabelSelector(po.namespaceSelector, `${at}.namespaceSelector`, warn);
        if (hasIp && (podSelector !== undefined || namespaceSelector !== undefined)) {
            warn(
                `${at}: ipBlock cannot be combined with selectors (the API server rejects this); peer matches nothing`,
            );
            return { type: "none" };
        }
        if (hasIp) return parseIpBlock(po.ipBlock, at, warn);
        if (podSelector === undefined && namespaceSelector === undefined) {
            warn(`${at}: empty peer (the API server rejects this); peer matches nothing`);
            return { type: "none" };
        }
        return {
            type: "pods",
            ...(podSelector === undefined ? {} : { podSelector }),
            ...(namespaceSelector === undefined ? {} : { namespaceSelector }),
        };
    });
}

function parseRules(raw: unknown, peerKey: "from" | "to", where: string, warn: WarnFn): PolicyRule[] {
    const list = raw === undefined || raw === null ? [] : asArray(raw);
    if (list === undefined) {
        warn(`${where}: not a list; no rules`);
        return [];
    }
    return list.map((r, i) => {
        const ro = asObject(r) ?? {};
        return {
            peers: parsePeers(ro[peerKey], `${where}[${i}].${peerKey}`, warn),
            ports: parsePorts(ro.ports, `${where}[${i}].ports`, warn),
        };
    });
}

/**
 * Normalises one NetworkPolicy. `policyTypes` defaulting follows the API
 * server: when absent or empty it is `[Ingress]`, plus `Egress` when the
 * policy has at least one egress rule (an empty `egress: []` does not count).
 * An absent `podSelector` selects every pod of the namespace.
 */
export function parseNetworkPolicy(obj: Obj, defaultNamespace: string, warn: WarnFn): NetworkPolicyModel {
    const namespace = asString(getPath(obj, "metadata", "namespace")) ?? defaultNamespace;
    const id = `${namespace}/${asString(getPath(obj, "metadata", "name")) ?? "<unnamed>"}`;
    const spec = asObject(obj.spec) ?? {};
    const podSelector = parseLabelSelector(spec.podSelector, `NetworkPolicy ${id} podSelector`, warn) ?? SELECT_ALL;
    const egressList = asArray(spec.egress) ?? [];
    let types = (asArray(spec.policyTypes) ?? []).filter((t): t is string => {
        if (t === "Ingress" || t === "Egress") return true;
        warn(`NetworkPolicy ${id}: unknown policyType ${JSON.stringify(t)}; ignored`);
        return false;
    });
    if ((asArray(spec.policyTypes) ?? []).length === 0) {
        types = egressList.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
    }
    return {
        id,
        namespace,
        podSelector,
        ingress: types.includes("Ingress")
            ? parseRules(spec.ingress, "from", `NetworkPolicy ${id} ingress`, warn)
            : undefined,
        egress: types.includes("Egress")
            ? parseRules(spec.egress, "to", `NetworkPolicy ${id} egress`, warn)
            : undefined,
    };
}
