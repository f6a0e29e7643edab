/**
 * The namespaces of the trust zones, with Pod Security Admission labels, the Envoy-injection label on
 * the workload zones, and (from level 2) a ResourceQuota and a LimitRange each. Decisions are pure
 * functions; `PlatformNamespaces` creates the objects.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LevelProfile } from "../stacks/levels";
import { Namespaces } from "../stacks/resolve";
import { INJECTED_ZONES, INJECTION_LABEL, PART_OF, PART_OF_LABEL, ZONE_LABEL } from "../lib/labels";

type PodSecurity = LevelProfile["podSecurity"];

/** Labels of one zone's namespace. */
function namespaceLabels(zone: keyof Namespaces, psa: PodSecurity): Record<string, string> {
    return {
        [PART_OF_LABEL]: PART_OF,
        [ZONE_LABEL]: zone,
        "pod-security.kubernetes.io/enforce": psa.enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": psa.warn,
        "pod-security.kubernetes.io/warn-version": "latest",
        "pod-security.kubernetes.io/audit": psa.audit,
        "pod-security.kubernetes.io/audit-version": "latest",
        ...(INJECTED_ZONES.includes(zone) ? { [INJECTION_LABEL.key]: INJECTION_LABEL.value } : {}),
    };
}

/**
 * NodePort Services allowed in a zone where cert-manager solves ACME HTTP-01 challenges: its solver
 * Service is a NodePort unless the issuer sets `serviceType: ClusterIP` (cert-manager's default), one per
 * pending challenge; two leave room for a renewal that overlaps a retry. NetworkPolicy still admits only
 * the ingress controller to the solver pod, so the node port reaches nothing else.
 */
const ACME_SOLVER_NODEPORTS = 2;

/** ResourceQuota hard limits of a zone (data zones also bound PVCs and storage). */
export function quotaHard(
    zone: keyof Namespaces,
    opts: { readonly acmeSolver?: boolean } = {},
): Record<string, string> {
    const nodePorts = opts.acmeSolver ? String(ACME_SOLVER_NODEPORTS) : "0";
    const base = {
        pods: "60",
        "requests.cpu": "16",
        "requests.memory": "32Gi",
        "limits.cpu": "32",
        "limits.memory": "64Gi",
        "services.loadbalancers": "0",
        "services.nodeports": nodePorts,
    };
    return zone === "data" || zone === "identity"
        ? { ...base, persistentvolumeclaims: "20", "requests.storage": "500Gi" }
        : base;
}

/** LimitRange of every zone: defaults for containers that forget, and a ceiling. */
const LIMIT_RANGE: k8s.types.input.core.v1.LimitRangeItem = {
    type: "Container",
    defaultRequest: { cpu: "100m", memory: "128Mi" },
    default: { cpu: "500m", memory: "512Mi" },
    max: { cpu: "4", memory: "8Gi" },
};

interface PlatformNamespacesArgs {
    /** Names of the zones' namespaces. */
    readonly names: Namespaces;
    /** Pod Security Admission levels of every namespace (the level's). */
    readonly podSecurity: PodSecurity;
    /** A ResourceQuota and a LimitRange in every namespace (from level 2). */
    readonly quotas: boolean;
    /** Zones where cert-manager solves ACME HTTP-01 challenges (their quota admits the solver's NodePort). Default none. */
    readonly acmeSolverZones?: readonly (keyof Namespaces)[];
}

export class PlatformNamespaces extends pulumi.ComponentResource {
    /** The Namespace objects by zone. */
    public readonly namespaces: Readonly<Record<keyof Namespaces, k8s.core.v1.Namespace>>;

    constructor(name: string, args: PlatformNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:platform:Namespaces", name, {}, opts);
        const zones = Object.keys(args.names) as (keyof Namespaces)[];
        const out = {} as Record<keyof Namespaces, k8s.core.v1.Namespace>;
        for (const zone of zones) {
            const nsName = args.names[zone];
            const ns = new k8s.core.v1.Namespace(
                `${name}-${zone}`,
                {
                    metadata: { name: nsName, labels: namespaceLabels(zone, args.podSecurity) },
                },
                { parent: this },
            );
            out[zone] = ns;
            if (args.quotas) {
                const meta = { name: "agentstack", namespace: nsName, labels: { [PART_OF_LABEL]: PART_OF } };
                new k8s.core.v1.ResourceQuota(
                    `${name}-${zone}-quota`,
                    {
                        metadata: meta,
                        spec: { hard: quotaHard(zone, { acmeSolver: (args.acmeSolverZones ?? []).includes(zone) }) },
                    },
                    { parent: ns },
                );
                new k8s.core.v1.LimitRange(
                    `${name}-${zone}-limits`,
                    { metadata: meta, spec: { limits: [LIMIT_RANGE] } },
                    { parent: ns },
                );
            }
        }
        this.namespaces = out;
        this.registerOutputs({});
    }
}
