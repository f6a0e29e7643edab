/**
 * Finds the Envoy bootstrap configs among rendered Kubernetes objects, wherever the program puts them:
 *  - a ConfigMap data value (YAML or JSON) whose top level is an object with `static_resources` or
 *    `dynamic_resources` (the sections that make a bootstrap);
 *  - the value after `--config-yaml` in the args of any container: of a pod template, or a container
 *    described as data in a ConfigMap value (the sidecar template).
 */
import YAML from "yaml";

type Obj = Record<string, any>;

/** One Envoy config and where it was found (e.g. `ConfigMap agentstack-system/envoy-sidecar-template data["envoy.yaml"]`). */
interface FoundEnvoyConfig {
    readonly where: string;
    readonly config: unknown;
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isBootstrap = (v: unknown) =>
    isObj(v) &&
    ("static_resources" in v || "dynamic_resources" in v || "staticResources" in v || "dynamicResources" in v);

function parse(text: string): unknown {
    try {
        return YAML.parse(text);
    } catch {
        return undefined;
    }
}

/** `--config-yaml` values of a container's args (both `--config-yaml X` and `--config-yaml=X`). */
function configYamlArgs(container: unknown, where: string, out: FoundEnvoyConfig[]): void {
    if (!isObj(container) || !Array.isArray(container["args"])) return;
    const args = container["args"] as unknown[];
    args.forEach((a, i) => {
        let text: unknown;
        if (a === "--config-yaml") text = args[i + 1];
        else if (typeof a === "string" && a.startsWith("--config-yaml=")) text = a.slice("--config-yaml=".length);
        if (typeof text === "string")
            out.push({ where: `${where} container ${container["name"]} --config-yaml`, config: parse(text) });
    });
}

/** Every Envoy config in the objects. */
export function envoyConfigsIn(objects: readonly Obj[]): FoundEnvoyConfig[] {
    const out: FoundEnvoyConfig[] = [];
    for (const o of objects) {
        const id = `${o["kind"]} ${o["metadata"]?.["namespace"] ?? ""}/${o["metadata"]?.["name"]}`;
        if (o["kind"] === "ConfigMap" && isObj(o["data"])) {
            for (const [key, text] of Object.entries(o["data"])) {
                if (typeof text !== "string") continue;
                const v = parse(text);
                const where = `${id} data[${JSON.stringify(key)}]`;
                if (isBootstrap(v)) out.push({ where, config: v });
                else for (const c of Array.isArray(v) ? v : [v]) configYamlArgs(c, where, out);
            }
        }
        const spec = o["spec"]?.["template"]?.["spec"] ?? (o["kind"] === "Pod" ? o["spec"] : undefined);
        if (isObj(spec))
            for (const c of [...(spec["initContainers"] ?? []), ...(spec["containers"] ?? [])])
                configYamlArgs(c, id, out);
    }
    return out;
}
