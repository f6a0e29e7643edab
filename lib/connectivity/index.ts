/**
 * Connectivity analysis of Kubernetes NetworkPolicies: public API.
 * See evaluate.ts for the semantics.
 */
export {
    analyzeConnectivity,
    buildModel,
    connectionBetween,
    connectivityEntries,
    type AnalyzeOptions,
    type ConnectivityModel,
    type IpMatch,
    type Isolation,
    type NamedIpPeer,
    type ResolvedIpPeer,
    type SyntheticWorkload,
} from "./evaluate";
export { comparePeerNames, renderMarkdownMatrix, renderText, sortEntries, type ConnEntry } from "./report";
export { ConnectionSet, PROTOCOLS, type PortInterval, type Protocol } from "./ports";
export { formatRange, parseCidr, parseRange, type IpFamily, type IpRange } from "./ipblock";
export { matchesSelector, parseLabelSelector, type LabelSelector, type Labels } from "./selectors";
export { NAMESPACE_NAME_LABEL, type ContainerPort, type Workload } from "./workloads";
export { PRIVATE_IPV4_CIDRS, virtualPeers, type VirtualPeerOptions } from "./virtual";
