/**
 * The connectivity report of a rendered platform: who can reach whom, computed from the
 * NetworkPolicies with full Kubernetes semantics, with the virtual peers a reviewer thinks in —
 * "outside" (the ingress controller), "kube-dns", "kube-apiserver", "internet" — and the flow
 * table's own address ranges by name.
 */
import { ACME_SOLVER_LABEL, ACME_SOLVER_PORT, Flow } from "../../stacks/flows";
import { PlatformSpec, ResolvedPlatform } from "../../stacks/resolve";
import {
    AnalyzeOptions,
    ConnEntry,
    NamedIpPeer,
    SyntheticWorkload,
    analyzeConnectivity,
    renderMarkdownMatrix,
    virtualPeers,
} from "../../lib/connectivity/index";

/** Named IP peers of the flow table (the LLM endpoint, MCP servers' external addresses). */
function flowIpPeers(flows: readonly Flow[]): NamedIpPeer[] {
    const seen = new Map<string, NamedIpPeer>();
    for (const f of flows) {
        if (f.to.kind === "cidrs" && !seen.has(f.to.name))
            seen.set(f.to.name, { name: f.to.name, cidrs: [...f.to.cidrs] });
    }
    return [...seen.values()];
}

/**
 * cert-manager's HTTP-01 solver pods, which exist only while a challenge is pending (so no manifest
 * shows them): one synthetic pod per zone the flow table lets the ingress controller reach them in.
 */
function acmeSolverWorkloads({ spec, flows }: ResolvedPlatform): SyntheticWorkload[] {
    const key = Object.keys(ACME_SOLVER_LABEL)[0]!;
    const zones = new Set(flows.flatMap((f) => (f.to.kind === "pods" && key in f.to.selector ? [f.to.zone] : [])));
    return [...zones].sort().map((zone) => ({
        name: `${spec.namespaces[zone]}/acme-http01-solver[Pod]`,
        namespace: spec.namespaces[zone],
        labels: { ...ACME_SOLVER_LABEL },
        ports: [{ name: "http", containerPort: ACME_SOLVER_PORT }],
    }));
}

/**
 * The Prometheus that scrapes the platform (monitoring on): one synthetic pod with the configured
 * namespace and pod labels, named `prometheus`, so the report shows exactly which ports it reaches.
 */
function prometheusWorkloads(spec: PlatformSpec): SyntheticWorkload[] {
    if (!spec.monitoring.enabled) return [];
    return [
        {
            name: "prometheus",
            namespace: spec.monitoring.prometheus.namespace,
            labels: { ...spec.monitoring.prometheus.podLabels },
        },
    ];
}

/** Analysis options for a platform (its spec and flow table, as the run computed them): virtual peers from the cluster facts, named address ranges. */
export function platformAnalyzeOptions(platform: ResolvedPlatform, opts: { internet: boolean }): AnalyzeOptions {
    const { spec, flows } = platform;
    const v = virtualPeers({
        outsideNamespace: spec.cluster.ingressNamespace,
        outsideLabels: spec.cluster.ingressPodLabels,
        kubeDns: { namespace: spec.cluster.dnsNamespace, labels: spec.cluster.dnsPodLabels },
        kubeApiServer: spec.cluster.apiServerCidrs.length > 0 ? spec.cluster.apiServerCidrs : true,
        internet: opts.internet,
    });
    return {
        ...v,
        extraWorkloads: [...(v.extraWorkloads ?? []), ...acmeSolverWorkloads(platform), ...prometheusWorkloads(spec)],
        ipPeers: [...(v.ipPeers ?? []), ...flowIpPeers(flows)],
        ipRanges: false,
    };
}

/** The report entries and its markdown matrix, from the rendered objects and the run's spec and flow table. */
export function connectivityReport(
    objects: ReadonlyArray<Record<string, unknown>>,
    platform: ResolvedPlatform,
): { entries: ConnEntry[]; markdown: string } {
    const spec = platform.spec;
    const entries = analyzeConnectivity(objects, platformAnalyzeOptions(platform, { internet: true }));
    const header = [
        `# Connectivity — security level ${spec.level}`,
        "",
        "Who can open a connection to whom, computed from the NetworkPolicies (rows: source, columns: destination).",
        "`outside` is the ingress controller, `kube-apiserver` any address the API server may have, `internet` every public address, `prometheus` the Prometheus pods that scrape the platform (monitoring on).",
        "",
    ].join("\n");
    return { entries, markdown: `${header}${renderMarkdownMatrix(entries)}\n` };
}
