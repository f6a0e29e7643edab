/**
 * The label and annotation vocabulary of the platform: what the components write, the flow table
 * selects on, and the policy pack checks. One definition each, so that a renamed label moves the
 * program, the NetworkPolicies and the pack together.
 */

/** `app.kubernetes.io/part-of` of every object. */
export const PART_OF = "agentstack";

/** The Kubernetes recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels). */
export const NAME_LABEL = "app.kubernetes.io/name";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

/** The recommended labels of an object of one component instance. */
export function recommendedLabels(component: string, instance: string): Record<string, string> {
    return {
        [NAME_LABEL]: component,
        [INSTANCE_LABEL]: instance,
        [PART_OF_LABEL]: PART_OF,
        [MANAGED_BY_LABEL]: "pulumi",
    };
}

/** The immutable selector of a workload: name + instance, never anything that changes between releases. */
export function selectorLabels(component: string, instance: string): Record<string, string> {
    return { [NAME_LABEL]: component, [INSTANCE_LABEL]: instance };
}

/** Pod label of workloads that get the Envoy sidecar (REQUIREMENTS: `sidecar: envoy`). */
export const SIDECAR_POD_LABEL = { key: "sidecar", value: "envoy" } as const;
/** The same, as a label map. */
export const SIDECAR_LABEL = { [SIDECAR_POD_LABEL.key]: SIDECAR_POD_LABEL.value } as { readonly sidecar: "envoy" };

/** Pod-template annotation that changes whenever the workload's configuration changes, so pods roll. */
export const CHECKSUM_ANNOTATION = "checksum/config";

/** Namespace label of a trust zone (`gateway`, `agents`, ...). */
export const ZONE_LABEL = "agentstack.io/zone";
/** Namespace label that selects the namespace for Envoy injection. */
export const INJECTION_LABEL = { key: "agentstack.io/envoy-injection", value: "enabled" } as const;
/** Pod label that opts a pod out of injection. */
export const OPT_OUT_LABEL = { key: "agentstack.io/inject", value: "false" } as const;
/** Label of the ConfigMap that describes the injected sidecar (data keys `sidecar.yaml`, `envoy.yaml`). */
export const SIDECAR_TEMPLATE_LABEL = "agentstack.io/sidecar-template";

/** Label on every data-store object (StatefulSet metadata and pod template included). */
export const DATA_STORE_LABEL = "agentstack.io/data-store";
/** Data-store StatefulSet annotation: JSON array of the declared clients, `[{ "namespace", "podLabels" }]`. */
export const CLIENTS_ANNOTATION = "agentstack.io/clients";
/** Label naming the client a client-side ConfigMap/Secret belongs to. */
export const CLIENT_LABEL = "agentstack.io/data-store-client";

/** Label naming the flow (stacks/flows.ts) a NetworkPolicy implements. */
export const FLOW_LABEL = "agentstack.io/flow";
/** Annotation of self-signed certificate Secrets. */
export const CERT_SOURCE_ANNOTATION = "agentstack.io/certificate-source";

/** Trust zones whose namespaces carry the injection label (the sandbox's deliberately not). */
export const INJECTED_ZONES: readonly string[] = ["gateway", "agents", "mcp"];
