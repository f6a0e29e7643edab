/**
 * Ready-made virtual peers for platform reports: "outside" (the ingress
 * controller's namespace), "kube-dns", "kube-apiserver" and "internet".
 */
import type { AnalyzeOptions, IpMatch, NamedIpPeer, SyntheticWorkload } from "./evaluate";

/** RFC 1918 private IPv4 ranges (what "internet" excludes). */
export const PRIVATE_IPV4_CIDRS: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** Options of `virtualPeers`; each peer is added only when asked for. */
export interface VirtualPeerOptions {
    /** Namespace of the ingress controller: adds the synthetic workload `outside` (no pod labels). */
    readonly outsideNamespace?: string;
    /** Labels of the ingress controller pods, if known (default none). */
    readonly outsideLabels?: Readonly<Record<string, string>>;
    /**
     * Adds the synthetic workload `kube-dns` (default namespace `kube-system`,
     * labels `k8s-app: kube-dns`, ports dns UDP 53, dns-tcp TCP 53, metrics TCP 9153).
     */
    readonly kubeDns?: boolean | { readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
    /**
     * Adds the IP peer `kube-apiserver`: `true` for 0.0.0.0/0 (its address is
     * unknown, so any address may be it), or the CIDR(s) of the API server.
     */
    readonly kubeApiServer?: boolean | string | readonly string[];
    /** Adds the IP peer `internet`: 0.0.0.0/0 minus `PRIVATE_IPV4_CIDRS`. */
    readonly internet?: boolean;
    /** Aggregation of the IP peers (default `any`, see `NamedIpPeer.match`). */
    readonly match?: IpMatch;
}

/**
 * Builds the `extraWorkloads` / `ipPeers` options for the requested virtual
 * peers; spread the result into `AnalyzeOptions`.
 */
export function virtualPeers(opts: VirtualPeerOptions): Pick<AnalyzeOptions, "extraWorkloads" | "ipPeers"> {
    const extraWorkloads: SyntheticWorkload[] = [];
    const ipPeers: NamedIpPeer[] = [];
    const match = opts.match ?? "any";
    if (opts.outsideNamespace !== undefined) {
        extraWorkloads.push({
            name: "outside",
            namespace: opts.outsideNamespace,
            labels: { ...(opts.outsideLabels ?? {}) },
        });
    }
    if (opts.kubeDns !== undefined && opts.kubeDns !== false) {
        const o = opts.kubeDns === true ? {} : opts.kubeDns;
        extraWorkloads.push({
            name: "kube-dns",
            namespace: o.namespace ?? "kube-system",
            labels: { ...(o.labels ?? { "k8s-app": "kube-dns" }) },
            ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
            ],
        });
    }
    if (opts.kubeApiServer !== undefined && opts.kubeApiServer !== false) {
        const cidrs =
            opts.kubeApiServer === true
                ? ["0.0.0.0/0"]
                : typeof opts.kubeApiServer === "string"
                  ? [opts.kubeApiServer]
                  : [...opts.kubeApiServer];
        ipPeers.push({ name: "kube-apiserver", cidrs, match });
    }
    if (opts.internet === true) {
        ipPeers.push({ name: "internet", cidrs: ["0.0.0.0/0"], except: [...PRIVATE_IPV4_CIDRS], match });
    }
    return { extraWorkloads, ipPeers };
}
