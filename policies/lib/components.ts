/**
 * Which agentstack component an object belongs to (from its recommended labels), its row of the
 * security-level table, and the `agentstack:*` config key that fixes a finding about it.
 *
 * Config keys of list entries are written `agentstack:agents[name=<name>].<field>`: the entry of
 * `agentstack:agents` whose `name` is <name> (see docs/policies.md).
 *
 * Pure: no side effects at import.
 */
import { AntiAffinity, LevelProfile } from "../../stacks/levels";
import { K8sObject } from "./k8s";
import { INSTANCE_LABEL, NAME_LABEL, PART_OF, PART_OF_LABEL } from "../../lib/labels";

/** The component names of REQUIREMENTS.md (the `app.kubernetes.io/name` label). */
export type ComponentName =
    | "agent"
    | "mcp-server"
    | "gateway"
    | "sandbox"
    | "extauth"
    | "envoy-injector"
    | "keycloak"
    | "qdrant"
    | "mongodb"
    | "postgresql";

const COMPONENTS: ReadonlySet<string> = new Set([
    "agent",
    "mcp-server",
    "gateway",
    "sandbox",
    "extauth",
    "envoy-injector",
    "keycloak",
    "qdrant",
    "mongodb",
    "postgresql",
]);

/** A component instance. */
interface ComponentId {
    readonly component: ComponentName;
    readonly instance: string;
}

/** The component of an object from its recommended labels (metadata first, then the pod template's). */
export function componentOf(obj: K8sObject): ComponentId | undefined {
    // Only objects of this program (part-of agentstack): a Helm chart's `app.kubernetes.io/name: postgresql`
    // is not the agentstack component, and its fixes are not agentstack:* keys.
    for (const labels of [obj.labelsLoose, obj.podLabelsLoose()]) {
        const name = labels[NAME_LABEL];
        if (name && COMPONENTS.has(name) && labels[PART_OF_LABEL] === PART_OF) {
            return { component: name as ComponentName, instance: labels[INSTANCE_LABEL] ?? name };
        }
    }
    // The contract names some singletons by object name.
    if (obj.name === "envoy-injector" || obj.name === "keycloak" || obj.name === "extauth")
        return { component: obj.name as ComponentName, instance: obj.name };
    return undefined;
}

/** How a component's replicas are set by the level table. */
interface ReplicaRule {
    /** Minimum replicas at the level. */
    readonly min: number;
    /** Anti-affinity the table asks for. */
    readonly antiAffinity: AntiAffinity;
    /** PDB minAvailable the table sets (undefined = the generic one, if multi-replica). */
    readonly pdbMinAvailable?: number;
}

/** The level table's replica rule of a component. */
export function replicaRule(component: ComponentName, p: LevelProfile): ReplicaRule {
    switch (component) {
        case "gateway":
            return { min: p.gateway.min, antiAffinity: p.antiAffinity };
        case "agent":
            return { min: p.agent.min, antiAffinity: p.antiAffinity };
        case "mcp-server":
            return { min: p.mcpServer.min, antiAffinity: p.antiAffinity };
        case "extauth":
            return fixed(p.extauth);
        case "envoy-injector":
            return fixed(p.envoyInjector);
        case "keycloak":
            return fixed(p.keycloak);
        case "qdrant":
            return fixed(p.qdrant);
        case "mongodb":
            return fixed(p.mongodb);
        case "postgresql":
            return fixed(p.postgresql);
        case "sandbox":
            return fixed(p.sandbox);
    }
}

function fixed(f: { replicas: number; antiAffinity: AntiAffinity; pdbMinAvailable?: number }): ReplicaRule {
    return {
        min: f.replicas,
        antiAffinity: f.antiAffinity,
        ...(f.pdbMinAvailable !== undefined ? { pdbMinAvailable: f.pdbMinAvailable } : {}),
    };
}

/** What a fix is about. */
type Aspect =
    | "image"
    | "resources"
    | "replicas"
    | "hardening"
    | "level"
    | "securityMode"
    | "mcpAuth"
    | "tls"
    | "timeout"
    | "network"
    | "probes";

const LEVEL_KEY = "agentstack:securityLevel";

/** The config keys of a component instance's image, replicas and resources (the schema in stacks/). */
interface ComponentKeys {
    readonly image?: readonly string[];
    readonly replicas?: string;
    readonly resources?: string;
    /** The component's own key prefix (securityMode, auth, tls, ...). */
    readonly prefix?: string;
}

function keysOf(id: ComponentId): ComponentKeys {
    switch (id.component) {
        case "agent": {
            const k = `agentstack:agents[name=${id.instance.replace(/^agent-/, "")}]`;
            return {
                prefix: k,
                image: [`${k}.image`, "agentstack:images.agent"],
                replicas: `${k}.minReplicas`,
                resources: `${k}.resources`,
            };
        }
        case "mcp-server": {
            const k = `agentstack:mcpServers[name=${id.instance.replace(/^mcp-/, "")}]`;
            return {
                prefix: k,
                image: [`${k}.image`, "agentstack:images.mcpServer"],
                replicas: `${k}.minReplicas`,
                resources: `${k}.resources`,
            };
        }
        case "gateway":
            return {
                prefix: "agentstack:gateway",
                image: ["agentstack:gateway.image", "agentstack:images.gateway"],
                replicas: "agentstack:gateway.minReplicas",
                resources: "agentstack:gateway.resources",
            };
        case "sandbox":
            return {
                prefix: "agentstack:sandbox",
                image: ["agentstack:sandbox.image", "agentstack:images.sandbox"],
                replicas: "agentstack:sandbox.replicas",
                resources: "agentstack:sandbox.resources",
            };
        case "extauth":
            return { image: ["agentstack:zeroTrust.images.extauth"], replicas: "agentstack:zeroTrust.extauthReplicas" };
        case "envoy-injector":
            return {
                image: ["agentstack:zeroTrust.images.envoyInjector"],
                replicas: "agentstack:zeroTrust.injectorReplicas",
            };
        case "keycloak":
        case "qdrant":
        case "mongodb":
        case "postgresql":
            return {
                prefix: `agentstack:${id.component}`,
                image: [`agentstack:${id.component}.image`],
                replicas: `agentstack:${id.component}.replicas`,
                resources: `agentstack:${id.component}.resources`,
            };
    }
}

/**
 * "fix: ..." text naming the config key of this program that fixes a finding about `obj`, or, for
 * objects that are not agentstack components, what to change in the manifest.
 */
export function fixHint(obj: K8sObject | undefined, aspect: Aspect, manifestFix?: string, level?: number): string {
    const id = obj
        ? (componentOf(obj) ??
          (obj.isSidecarTemplate && obj.labelsLoose[NAME_LABEL] === "envoy-injector"
              ? { component: "envoy-injector" as const, instance: "envoy-injector" }
              : undefined))
        : undefined;
    const keys = id ? keysOf(id) : {};
    const key = keys.prefix;
    const foreign = `fix: ${manifestFix ?? "change the manifest"} (not an agentstack component, so no agentstack:* config key applies)`;
    switch (aspect) {
        case "image": {
            if (!id) return foreign;
            const image = obj?.isSidecarTemplate ? ["agentstack:zeroTrust.images.envoy"] : (keys.image ?? []);
            return `fix: set ${image.join(" or ") || `the ${id.component} image`} to a pinned reference`;
        }
        case "resources":
            if (!id) return foreign;
            return keys.resources
                ? `fix: set ${keys.resources} (requests and limits)`
                : `fix: the ${id.component} component sets its resources; no agentstack:* key may remove them (config key: none)`;
        case "replicas":
            if (!id) return foreign;
            return keys.replicas
                ? `fix: set ${LEVEL_KEY} (the level table sets replicas, PDB and anti-affinity) or raise ${keys.replicas}`
                : `fix: set ${LEVEL_KEY} (the level table sets ${id.component} replicas, PDB and anti-affinity)`;
        case "hardening":
        case "probes":
            if (!id) return foreign;
            return `fix: no agentstack:* key may weaken this (config key: none); the ${id.component} component must set it (components/workload.ts hardens every container at every ${LEVEL_KEY})`;
        case "securityMode":
            return key ? `fix: remove ${key}.securityMode (agents enforce from level 2) or set ${LEVEL_KEY}` : foreign;
        case "mcpAuth":
            return key
                ? `fix: remove ${key}.auth.alg (RS256 via Keycloak JWKS from level 2) or set ${LEVEL_KEY}`
                : foreign;
        case "tls":
            return id || obj?.labelsLoose[PART_OF_LABEL] === PART_OF
                ? "fix: set agentstack:gateway.tls.mode to cert-manager (with agentstack:gateway.tls.issuer) or secret (with agentstack:gateway.tls.secretName)"
                : foreign;
        case "timeout":
            return id || obj?.labelsLoose[PART_OF_LABEL] === PART_OF
                ? "fix: set agentstack:gateway.llmRouteTimeoutSeconds (at least 120)"
                : foreign;
        case "network":
        case "level":
            return id || obj?.labelsLoose[PART_OF_LABEL] === PART_OF
                ? `fix: set ${LEVEL_KEY} to ${level !== undefined ? `${level} or more` : "the required level"} (the program derives this from it)`
                : foreign;
    }
}
