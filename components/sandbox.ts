/**
 * `sandbox`: the code-execution sandbox agents call. It runs untrusted code, so it gets the strongest
 * isolation the cluster offers: a RuntimeClass (gVisor/Kata) when configured, no service-account
 * token, tight limits, a read-only root with a size-limited /tmp, no Envoy sidecar (it lives in a
 * namespace of its own), and — through the network flow table — no egress at all, at every level.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespaces, SandboxSpec } from "../stacks/resolve";
import { INSTANCES } from "./names";
import { HardenedWorkload, HardenedWorkloadArgs, fixedWorkload } from "./workload";

interface SandboxArgs {
    /** The resolved sandbox spec. */
    readonly spec: SandboxSpec;
    /** Namespaces of the platform (the sandbox lives in `sandbox`). */
    readonly namespaces: Namespaces;
    /** Namespace the objects are created in: pass the Namespace's `metadata.name` so they wait for it. */
    readonly namespace: pulumi.Input<string>;
    /** Resources the workload waits for (its NetworkPolicies: untrusted code never runs unisolated). Default none. */
    readonly dependsOn?: pulumi.Resource[];
}

/** The sandbox's workload (creates nothing): fixed replicas, no service-account token, a short grace period, no network for the code it runs. */
export function sandboxWorkloadArgs(args: SandboxArgs): HardenedWorkloadArgs {
    const s = args.spec;
    return {
        ...fixedWorkload("sandbox", INSTANCES.sandbox, args.namespace, s),
        serviceAccountToken: false,
        ...(s.runtimeClassName ? { runtimeClassName: s.runtimeClassName } : {}),
        tmpSizeLimit: s.tmpSizeLimit,
        terminationGracePeriodSeconds: 5,
        ...(args.dependsOn ? { childOptions: { dependsOn: args.dependsOn } } : {}),
        containers: [
            {
                name: "sandbox",
                image: s.image,
                ports: [{ name: "http", containerPort: s.port }],
                env: [
                    { name: "PORT", value: String(s.port) },
                    { name: "SANDBOX_NETWORK", value: "none" },
                ],
                resources: s.resources,
                probes: { liveness: "/healthz", readiness: "/healthz" },
            },
        ],
    };
}

export class Sandbox extends pulumi.ComponentResource {
    /** Service name. */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: SandboxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:sandbox:Sandbox", name, {}, opts);
        this.serviceName = new HardenedWorkload(`${name}-workload`, sandboxWorkloadArgs(args), {
            parent: this,
        }).serviceName;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
