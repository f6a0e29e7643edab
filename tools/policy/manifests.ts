/**
 * Plain Kubernetes objects (YAML/JSON manifests, Helm output, the synth output) as the resources the
 * Pulumi Kubernetes provider would register for them: type token `kubernetes:<group>/<version>:<Kind>`
 * (`core` for the legacy group; CRDs the same way, as `apiextensions.CustomResource` and
 * `yaml.ConfigFile` do), the object itself as inputs, and a URN.
 */
import { ManifestError, loadKubernetesObjects } from "../../lib/manifests";
import { typeToken } from "../../policies/lib/k8s";
import { EngineResource } from "./engine";

/** An object and the file it came from. */
export interface SourcedObject {
    readonly object: Record<string, unknown>;
    readonly file?: string;
}

/**
 * Every object of a file, of every .yaml/.yml/.json file under a directory, or of a synth output
 * directory's `manifests/`, with its file. Refuses (ManifestError) input that holds no Kubernetes
 * object or a document that is not one.
 */
export function loadSourcedManifests(pathOrDir: string): SourcedObject[] {
    return loadKubernetesObjects(pathOrDir);
}

/** The `Kind/namespace/name` of an object, for messages. */
function describe(o: Record<string, unknown>, i: number): string {
    const meta = (o["metadata"] ?? {}) as Record<string, unknown>;
    return `object #${i + 1} (${String(o["kind"] ?? "?")} ${String(meta["name"] ?? "?")})`;
}

/** The engine resources of plain objects. Throws ManifestError for an object without apiVersion/kind. */
export function manifestResources(
    objects: readonly (SourcedObject | Record<string, unknown>)[],
    stack = "manifests",
    project = "manifests",
): { resources: EngineResource[]; files: Map<string, string> } {
    const resources: EngineResource[] = [];
    const files = new Map<string, string>();
    const used = new Set<string>();
    objects.forEach((entry, i) => {
        const sourced =
            "object" in entry && entry.object && typeof entry.object === "object"
                ? (entry as SourcedObject)
                : { object: entry as Record<string, unknown> };
        const o = sourced.object;
        const apiVersion = o["apiVersion"];
        const kind = o["kind"];
        if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "") {
            throw new ManifestError(
                `${sourced.file ? `${sourced.file}: ` : ""}${describe(o, i)} has no apiVersion or kind`,
            );
        }
        const type = typeToken(apiVersion, kind);
        const meta = (o["metadata"] ?? {}) as Record<string, unknown>;
        const base = `${typeof meta["namespace"] === "string" ? `${meta["namespace"]}/` : ""}${typeof meta["name"] === "string" ? meta["name"] : `unnamed-${i + 1}`}`;
        let name = base;
        for (let n = 2; used.has(`${type}::${name}`); n++) name = `${base}-${n}`;
        used.add(`${type}::${name}`);
        const urn = `urn:pulumi:${stack}::${project}::${type}::${name}`;
        resources.push({ type, name, urn, props: o, options: { protect: false } });
        if (sourced.file) files.set(urn, sourced.file);
    });
    return { resources, files };
}
