/**
 * The agentstack program: load and check the stack config, build the platform, return the outputs.
 * `index.ts` hands this function to Pulumi; the offline harness calls it directly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./components/platform";
import { loadPlatform } from "./stacks/config";
import { ConfigError } from "./stacks/errors";
import { ResolvedPlatform } from "./stacks/resolve";

/** Stack outputs. */
export interface StackOutputs {
    readonly url: pulumi.Output<string>;
    readonly loginUrl: pulumi.Output<string>;
    readonly securityLevel: number;
    readonly zeroTrust: string;
    readonly namespaces: Record<string, string>;
}

/**
 * The Kubernetes provider every object of the platform is managed by (docs/decisions.md, "Config changes
 * roll"). With the provider's defaults a change of a ConfigMap's or Secret's data replaces the object
 * (delete first, for a fixed name); with these options it is updated in place and the pods that use it
 * roll through their `checksum/config` annotation. An object marked `immutable: true` is still replaced
 * (pulumi-kubernetes provider/pkg/provider/diff.go, forceNewProperties). No `kubeconfig`: like the
 * default provider, it uses the ambient kubeconfig ($KUBECONFIG or ~/.kube/config).
 */
export const KUBERNETES_PROVIDER_ARGS: k8s.ProviderArgs = { enableConfigMapMutable: true, enableSecretMutable: true };

/** Logical name of that provider (its URN: `pulumi:providers:kubernetes::agentstack-k8s`). */
export const KUBERNETES_PROVIDER_NAME = "agentstack-k8s";

/** Runs the program. Bad config becomes a RunError: Pulumi prints its message without a stack trace. */
export async function program(): Promise<StackOutputs> {
    let resolved;
    try {
        resolved = loadPlatform();
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
    return programFor(resolved);
}

/**
 * Builds the platform from a resolved config (its spec and flow table, computed once per run: the
 * offline harness resolves the config itself and passes it here).
 */
export async function programFor(resolved: ResolvedPlatform): Promise<StackOutputs> {
    const { spec, flows } = resolved;
    const config = new pulumi.Config("agentstack");
    const llmApiKey = spec.agents.some((a) => a.apiKey.kind === "config")
        ? config.requireSecret("llmApiKey")
        : undefined;
    const kubernetes = new k8s.Provider(KUBERNETES_PROVIDER_NAME, KUBERNETES_PROVIDER_ARGS);
    const platform = new Platform(
        "agentstack",
        { spec, flows, ...(llmApiKey ? { llmApiKey } : {}) },
        { providers: [kubernetes] },
    );
    return {
        url: platform.url,
        loginUrl: platform.loginUrl,
        securityLevel: spec.level,
        zeroTrust: spec.profile.zeroTrust,
        namespaces: { ...spec.namespaces },
    };
}
