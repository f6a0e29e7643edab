/**
 * Reads the `agentstack:*` stack configuration from the Pulumi runtime and resolves it. The only
 * impure part of the config path: everything else is in `resolve.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "./errors";
import { RawConfig, ResolvedPlatform, resolvePlatform } from "./resolve";

/** Whether a config key was set with `--secret` (the SDK's own record of the engine's secret keys). */
function isSecret(key: string): boolean {
    // `isConfigSecret` is exported by the runtime but not declared in its typings.
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    if (typeof runtime.isConfigSecret !== "function")
        throw new Error("this @pulumi/pulumi has no runtime.isConfigSecret");
    return runtime.isConfigSecret(key);
}

/** The raw config of this stack, as the engine handed it to the program. */
function readRawConfig(): RawConfig {
    const all = pulumi.runtime.allConfig();
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(all)) {
        if (!k.startsWith(`${CONFIG_NAMESPACE}:`)) continue;
        values[k] = v;
        if (isSecret(k)) secretKeys.push(k);
    }
    return { values, secretKeys };
}

/** The resolved platform of this stack, spec and flow table (throws ConfigError on bad config). */
export function loadPlatform(): ResolvedPlatform {
    return resolvePlatform(readRawConfig());
}
