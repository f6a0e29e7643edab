/**
 * The agentstack program: load and check the stack config, build the platform, return the outputs.
 * `index.ts` hands this function to Pulumi; the offline harness calls it directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./components/platform";
import { loadPlatformSpec } from "./stacks/config";
import { ConfigError } from "./stacks/errors";

/** Stack outputs. */
export interface StackOutputs {
    readonly url: pulumi.Output<string>;
    readonly loginUrl: pulumi.Output<string>;
    readonly securityLevel: number;
    readonly zeroTrust: string;
    readonly namespaces: Record<string, string>;
}

/** Runs the program. Bad config becomes a RunError: Pulumi prints its message without a stack trace. */
export async function program(): Promise<StackOutputs> {
    let spec;
    try {
        spec = loadPlatformSpec();
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
    const config = new pulumi.Config("agentstack");
    const llmApiKey = spec.agents.some((a) => a.apiKey.kind === "config") ? config.requireSecret("llmApiKey") : undefined;
    const platform = new Platform("agentstack", { spec, ...(llmApiKey ? { llmApiKey } : {}) });
    return {
        url: platform.url,
        loginUrl: platform.loginUrl,
        securityLevel: spec.level,
        zeroTrust: spec.profile.zeroTrust,
        namespaces: { ...spec.namespaces },
    };
}
