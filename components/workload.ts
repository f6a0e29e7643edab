/**
 * The one hardened workload builder every component uses: ServiceAccount (token not mounted),
 * Deployment or StatefulSet, Service, PodDisruptionBudget and HorizontalPodAutoscaler. Replicas,
 * anti-affinity and PDB come decided from the resolved spec (stacks/); the builder's own decisions
 * are pure functions (exported and tested without mocks); the component only turns them into resources.
 */
import { createHash } from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AntiAffinity } from "../stacks/levels";
import { Resources } from "../stacks/schema";
import { CHECKSUM_ANNOTATION, SIDECAR_LABEL, recommendedLabels, selectorLabels } from "../lib/labels";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Volume = k8s.types.input.core.v1.Volume;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Pod securityContext of the restricted Pod Security Standard. */
function podSecurityContext(uid: number): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container securityContext of the restricted Pod Security Standard (plus a read-only root). */
export function containerSecurityContext(uid?: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        ...(uid !== undefined ? { runAsUser: uid, runAsGroup: uid } : {}),
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Pod anti-affinity for a selector; `none` gives undefined. Weight 100 unless said (MongoDB's soft rule uses 1). */
function antiAffinity(
    mode: AntiAffinity,
    selector: Record<string, string>,
    weight = 100,
): k8s.types.input.core.v1.Affinity | undefined {
    const term = { labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" };
    switch (mode) {
        case "none":
            return undefined;
        case "preferred":
            return {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: term }],
                },
            };
        case "required":
            return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
    }
}

/** How many replicas a workload runs. */
type Replicas = { readonly fixed: number } | { readonly min: number; readonly max: number };

/** The smallest replica count a workload can have. */
function minReplicas(r: Replicas): number {
    return "fixed" in r ? r.fixed : r.min;
}

/**
 * The PDB of a workload, or undefined: the resolved spec decides minAvailable (stacks/); this only
 * refuses one that would block every node drain (minAvailable not below the smallest replica count).
 */
export function pdbFor(replicas: Replicas, minAvailable: number | undefined): { minAvailable: number } | undefined {
    if (minAvailable === undefined) return undefined;
    const min = minReplicas(replicas);
    if (minAvailable >= min)
        throw new Error(`PDB minAvailable ${minAvailable} would block drains of a workload with ${min} replicas`);
    return { minAvailable };
}

/** sha256 of a configuration, for the checksum annotation (stable key order). */
export function checksum(data: unknown): string {
    return createHash("sha256").update(stableStringify(data)).digest("hex");
}

/** JSON with sorted object keys. */
function stableStringify(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        return `{${Object.keys(o)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v);
}

/** An HTTP probe set: liveness + readiness, and a startup probe for slow starters. */
interface Probes {
    /** Path of the liveness probe. */
    readonly liveness: string;
    /** Path of the readiness probe; default the liveness path. */
    readonly readiness?: string;
    /** Port (name or number) the probes use; default "http". */
    readonly port?: string | number;
    /** Seconds a slow starter may take before liveness applies (adds a startup probe). */
    readonly startupSeconds?: number;
}

/** Probe objects from a probe set. */
function probesFor(p: Probes): Pick<Container, "livenessProbe" | "readinessProbe" | "startupProbe"> {
    const port = p.port ?? "http";
    const out: Pick<Container, "livenessProbe" | "readinessProbe" | "startupProbe"> = {
        livenessProbe: {
            httpGet: { path: p.liveness, port },
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 3,
        },
        readinessProbe: {
            httpGet: { path: p.readiness ?? p.liveness, port },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 3,
        },
    };
    if (p.startupSeconds !== undefined) {
        out.startupProbe = {
            httpGet: { path: p.liveness, port },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: Math.ceil(p.startupSeconds / 5),
        };
    }
    return out;
}

/** A container as a component describes it; the builder adds the hardening. */
export interface ContainerArgs {
    /** Container name (DNS label). */
    readonly name: string;
    /** Pinned image reference. */
    readonly image: string;
    /** Named container ports. */
    readonly ports: ReadonlyArray<{
        readonly name: string;
        readonly containerPort: number;
        readonly protocol?: "TCP" | "UDP";
    }>;
    /** Environment. */
    readonly env?: pulumi.Input<EnvVar>[];
    /** Requests and limits. */
    readonly resources: Resources;
    /** Probes; a container without probes is not accepted. */
    readonly probes: Probes | Pick<Container, "livenessProbe" | "readinessProbe" | "startupProbe">;
    /** Writable paths (emptyDir each; the root filesystem is read-only). Always includes /tmp. */
    readonly writablePaths?: ReadonlyArray<{
        readonly name: string;
        readonly path: string;
        readonly sizeLimit?: string;
    }>;
    /** Extra volume mounts (of volumes given to the workload). */
    readonly volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    /** Command override. Default: the image's entrypoint. */
    readonly command?: string[];
    /** Args override. Default: the image's. */
    readonly args?: pulumi.Input<string>[];
    /** A fixed uid for images whose USER is not numeric. */
    readonly runAsUser?: number;
}

/** A hardened container from its description. */
function hardenedContainer(c: ContainerArgs, tmpSizeLimit = "64Mi"): Container {
    const writable = [
        { name: "tmp", path: "/tmp", sizeLimit: tmpSizeLimit },
        ...(c.writablePaths ?? []).filter((w) => w.path !== "/tmp"),
    ];
    const probes = "liveness" in c.probes ? probesFor(c.probes) : c.probes;
    return {
        name: c.name,
        image: c.image,
        imagePullPolicy: "IfNotPresent",
        ...(c.command ? { command: c.command } : {}),
        ...(c.args ? { args: c.args } : {}),
        ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? "TCP" })),
        ...(c.env && c.env.length > 0 ? { env: c.env } : {}),
        resources: { requests: { ...c.resources.requests }, limits: { ...c.resources.limits } },
        ...probes,
        securityContext: containerSecurityContext(c.runAsUser),
        volumeMounts: [
            ...writable.map((w) => ({ name: `${c.name}-${w.name}`, mountPath: w.path })),
            ...(c.volumeMounts ?? []),
        ],
    };
}

/** The emptyDir volumes behind a container's writable paths. */
function writableVolumes(c: ContainerArgs, tmpSizeLimit = "64Mi"): Volume[] {
    const writable = [
        { name: "tmp", path: "/tmp", sizeLimit: tmpSizeLimit },
        ...(c.writablePaths ?? []).filter((w) => w.path !== "/tmp"),
    ];
    return writable.map((w) => ({ name: `${c.name}-${w.name}`, emptyDir: { sizeLimit: w.sizeLimit ?? "64Mi" } }));
}

/** Inputs of the pod template a workload runs. */
interface PodArgs {
    /** Main containers (hardened). */
    readonly containers: readonly ContainerArgs[];
    /** Init containers (hardened). Default none. */
    readonly initContainers?: readonly ContainerArgs[];
    /** uid/gid of the pod. */
    readonly uid: number;
    /** The ServiceAccount. */
    readonly serviceAccountName: pulumi.Input<string>;
    /** Mount the ServiceAccount token. */
    readonly automountServiceAccountToken: boolean;
    /** Pod affinity. Default none. */
    readonly affinity?: k8s.types.input.core.v1.Affinity;
    /** RuntimeClass. Default the cluster's. */
    readonly runtimeClassName?: string;
    /** Extra volumes. Default none. */
    readonly volumes?: Volume[];
    /** Size of each container's /tmp. Default 64Mi. */
    readonly tmpSizeLimit?: string;
    /** Graceful stop, in seconds. Default Kubernetes' 30. */
    readonly terminationGracePeriodSeconds?: number;
}

/** A restricted pod spec. */
export function hardenedPodSpec(p: PodArgs): PodSpec {
    const all = [...(p.initContainers ?? []), ...p.containers];
    return {
        serviceAccountName: p.serviceAccountName,
        automountServiceAccountToken: p.automountServiceAccountToken,
        enableServiceLinks: false,
        securityContext: podSecurityContext(p.uid),
        ...(p.runtimeClassName ? { runtimeClassName: p.runtimeClassName } : {}),
        ...(p.affinity ? { affinity: p.affinity } : {}),
        ...(p.initContainers && p.initContainers.length > 0
            ? { initContainers: p.initContainers.map((c) => hardenedContainer(c, p.tmpSizeLimit)) }
            : {}),
        containers: p.containers.map((c) => hardenedContainer(c, p.tmpSizeLimit)),
        volumes: [...all.flatMap((c) => writableVolumes(c, p.tmpSizeLimit)), ...(p.volumes ?? [])],
        ...(p.terminationGracePeriodSeconds !== undefined
            ? { terminationGracePeriodSeconds: p.terminationGracePeriodSeconds }
            : {}),
    };
}

/** HPA metrics: CPU at 70 %, optionally memory at 80 % (REQUIREMENTS). */
function hpaMetrics(memory: boolean): k8s.types.input.autoscaling.v2.MetricSpec[] {
    const util = (name: string, averageUtilization: number) => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return memory ? [util("cpu", 70), util("memory", 80)] : [util("cpu", 70)];
}

/** Everything a HardenedWorkload needs. */
export interface HardenedWorkloadArgs {
    /** `app.kubernetes.io/name` (the REQUIREMENTS component name, e.g. `agent`). */
    readonly component: string;
    /** `app.kubernetes.io/instance` and the name of every object; a DNS label. */
    readonly instance: string;
    /** Namespace of every object. */
    readonly namespace: pulumi.Input<string>;
    /** Fixed replicas, or HPA bounds (then the Deployment leaves `spec.replicas` to the HPA). From the resolved spec. */
    readonly replicas: Replicas;
    /** Pod anti-affinity, from the resolved spec (stacks/ decides it per workload and level). */
    readonly antiAffinity: AntiAffinity;
    /** Containers (hardened by the builder). */
    readonly containers: readonly ContainerArgs[];
    /** Init containers (hardened likewise). Default none. */
    readonly initContainers?: readonly ContainerArgs[];
    /** Service ports (name must match a container port name). Default: the first container's ports. */
    readonly servicePorts?: ReadonlyArray<{
        readonly name: string;
        readonly port: number;
        readonly targetPort?: string | number;
        readonly protocol?: "TCP" | "UDP";
    }>;
    /** Extra pod labels (e.g. `sidecar: envoy`). Default none. */
    readonly podLabels?: Record<string, string>;
    /** Extra labels on every object and on the pod template (e.g. `agentstack.io/data-store`). Default none. */
    readonly extraLabels?: Record<string, string>;
    /** Annotations on the Deployment / StatefulSet itself (e.g. a data store's declared clients). Default none. */
    readonly workloadAnnotations?: Record<string, string>;
    /** Configuration whose change must roll the pods (hashed into the checksum annotation). Default none. */
    readonly configChecksum?: pulumi.Input<string>;
    /** Weight of preferred anti-affinity. Default 100. */
    readonly antiAffinityWeight?: number;
    /** PodDisruptionBudget minAvailable, from the resolved spec. Default none (no PDB). */
    readonly pdbMinAvailable?: number;
    /** HPA also scales on memory (80 %). Default false. */
    readonly hpaMemory?: boolean;
    /** Mount a service-account token (only for workloads that call the Kubernetes API). Default false. */
    readonly serviceAccountToken?: boolean;
    /** uid/gid of the pod. Default 65532 (nonroot). */
    readonly uid?: number;
    /** RuntimeClass (gVisor/Kata). Default none. */
    readonly runtimeClassName?: string;
    /** Extra pod volumes. Default none. */
    readonly volumes?: Volume[];
    /** Size of each container's /tmp. Default 64Mi. */
    readonly tmpSizeLimit?: string;
    /** Run as a StatefulSet with these settings instead of a Deployment. Default Deployment. */
    readonly statefulSet?: {
        readonly volumeClaimTemplates?: k8s.types.input.core.v1.PersistentVolumeClaim[];
        readonly podManagementPolicy?: "OrderedReady" | "Parallel";
        /** PVC retention when the StatefulSet is deleted / scaled down. Default Retain / Retain. */
        readonly pvcRetention?: { readonly whenDeleted: "Retain" | "Delete"; readonly whenScaled: "Retain" | "Delete" };
    };
    /** Also create a headless Service `<instance>-headless` (StatefulSet identity, clustering). Default false. */
    readonly headlessService?: boolean;
    /** Seconds to wait for a graceful stop. Default Kubernetes' 30. */
    readonly terminationGracePeriodSeconds?: number;
    /** Options applied to every child (`dependsOn` the injection webhook, the network policies). Default none. */
    readonly childOptions?: Pick<pulumi.CustomResourceOptions, "retainOnDelete" | "dependsOn">;
}

/**
 * The scaling of an autoscaled workload the Envoy sidecar is injected into (agents, MCP servers, the
 * gateway, the chat UI), read from its resolved spec: HPA bounds, anti-affinity, PDB, the sidecar label,
 * and what every child waits for (the injection webhook, the network policies).
 */
export function injectedScaling(
    spec: {
        readonly scale: { readonly min: number; readonly max: number };
        readonly antiAffinity: AntiAffinity;
        readonly pdbMinAvailable?: number;
    },
    dependsOn?: pulumi.Resource[],
): Pick<HardenedWorkloadArgs, "replicas" | "antiAffinity" | "pdbMinAvailable" | "podLabels" | "childOptions"> {
    return {
        replicas: { min: spec.scale.min, max: spec.scale.max },
        antiAffinity: spec.antiAffinity,
        pdbMinAvailable: spec.pdbMinAvailable,
        podLabels: { ...SIDECAR_LABEL },
        ...(dependsOn ? { childOptions: { dependsOn } } : {}),
    };
}

/**
 * Who a fixed-size workload is (Keycloak, ExtAuth, the injector, the sandbox, the data stores) and its
 * scaling, read from its resolved spec: component, instance, namespace, replicas, anti-affinity, PDB.
 */
export function fixedWorkload(
    component: string,
    instance: string,
    namespace: pulumi.Input<string>,
    spec: { readonly replicas: number; readonly antiAffinity: AntiAffinity; readonly pdbMinAvailable?: number },
): Pick<
    HardenedWorkloadArgs,
    "component" | "instance" | "namespace" | "replicas" | "antiAffinity" | "pdbMinAvailable"
> {
    return {
        component,
        instance,
        namespace,
        replicas: { fixed: spec.replicas },
        antiAffinity: spec.antiAffinity,
        ...(spec.pdbMinAvailable !== undefined ? { pdbMinAvailable: spec.pdbMinAvailable } : {}),
    };
}

/** The objects of a hardened workload, as arguments (creates nothing). */
interface WorkloadObjects {
    /** The workload's selector labels. */
    readonly selector: Record<string, string>;
    /** Metadata of the ServiceAccount, the Services, the PDB and the HPA. */
    readonly meta: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
    readonly kind: "Deployment" | "StatefulSet";
    /** The Deployment's or the StatefulSet's arguments (per `kind`). */
    readonly workload: k8s.apps.v1.DeploymentArgs | k8s.apps.v1.StatefulSetArgs;
    readonly service: k8s.core.v1.ServiceArgs;
    /** The headless Service (StatefulSets and `headlessService`). */
    readonly headless?: k8s.core.v1.ServiceArgs;
    /** The PodDisruptionBudget, when the spec asks for one. */
    readonly pdb?: k8s.policy.v1.PodDisruptionBudgetArgs;
    /** The HPA, for autoscaled workloads. */
    readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscalerArgs;
}

/** Metadata of a workload's objects: the instance name, the namespace, the recommended and extra labels. */
export function workloadMeta(
    args: Pick<HardenedWorkloadArgs, "component" | "instance" | "namespace" | "extraLabels">,
): WorkloadObjects["meta"] {
    return {
        name: args.instance,
        namespace: args.namespace,
        labels: { ...recommendedLabels(args.component, args.instance), ...(args.extraLabels ?? {}) },
    };
}

/** The objects of a hardened workload but its ServiceAccount (creates nothing); the pod runs as `serviceAccountName`. */
export function workloadObjects(args: HardenedWorkloadArgs, serviceAccountName: pulumi.Input<string>): WorkloadObjects {
    const meta = workloadMeta(args);
    const labels = meta.labels;
    const selector = selectorLabels(args.component, args.instance);
    const ownMeta = args.workloadAnnotations ? { ...meta, annotations: args.workloadAnnotations } : meta;
    const affinity = antiAffinity(args.antiAffinity, selector, args.antiAffinityWeight);
    const podSpec = hardenedPodSpec({
        containers: args.containers,
        ...(args.initContainers ? { initContainers: args.initContainers } : {}),
        uid: args.uid ?? 65532,
        serviceAccountName,
        automountServiceAccountToken: args.serviceAccountToken ?? false,
        ...(affinity ? { affinity } : {}),
        ...(args.runtimeClassName ? { runtimeClassName: args.runtimeClassName } : {}),
        ...(args.volumes ? { volumes: args.volumes } : {}),
        ...(args.tmpSizeLimit ? { tmpSizeLimit: args.tmpSizeLimit } : {}),
        ...(args.terminationGracePeriodSeconds !== undefined
            ? { terminationGracePeriodSeconds: args.terminationGracePeriodSeconds }
            : {}),
    });
    const template = {
        metadata: {
            labels: { ...labels, ...(args.podLabels ?? {}) },
            ...(args.configChecksum ? { annotations: { [CHECKSUM_ANNOTATION]: args.configChecksum } } : {}),
        },
        spec: podSpec,
    };
    const replicas = "fixed" in args.replicas ? { replicas: args.replicas.fixed } : {};
    const servicePorts = (
        args.servicePorts ??
        args.containers[0]!.ports.map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol }))
    ).map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: ("targetPort" in p && p.targetPort !== undefined ? p.targetPort : p.name) as string | number,
        protocol: p.protocol ?? "TCP",
    }));
    const kind = args.statefulSet ? "StatefulSet" : "Deployment";
    const workload: k8s.apps.v1.DeploymentArgs | k8s.apps.v1.StatefulSetArgs = args.statefulSet
        ? {
              metadata: ownMeta,
              spec: {
                  ...replicas,
                  serviceName: `${args.instance}-headless`,
                  selector: { matchLabels: selector },
                  podManagementPolicy: args.statefulSet.podManagementPolicy ?? "OrderedReady",
                  updateStrategy: { type: "RollingUpdate" },
                  persistentVolumeClaimRetentionPolicy: {
                      ...(args.statefulSet.pvcRetention ?? { whenDeleted: "Retain", whenScaled: "Retain" }),
                  },
                  template,
                  ...(args.statefulSet.volumeClaimTemplates
                      ? { volumeClaimTemplates: args.statefulSet.volumeClaimTemplates }
                      : {}),
              },
          }
        : {
              metadata: ownMeta,
              spec: {
                  ...replicas,
                  selector: { matchLabels: selector },
                  strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                  template,
              },
          };
    const pdb = pdbFor(args.replicas, args.pdbMinAvailable);
    const r = args.replicas;
    return {
        selector,
        meta,
        kind,
        workload,
        service: { metadata: meta, spec: { type: "ClusterIP", selector, ports: servicePorts } },
        ...(args.statefulSet || args.headlessService
            ? {
                  headless: {
                      metadata: { ...meta, name: `${args.instance}-headless` },
                      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector, ports: servicePorts },
                  },
              }
            : {}),
        ...(pdb
            ? {
                  pdb: {
                      metadata: meta,
                      spec: {
                          minAvailable: pdb.minAvailable,
                          selector: { matchLabels: selector },
                          unhealthyPodEvictionPolicy: "AlwaysAllow",
                      },
                  },
              }
            : {}),
        ...(!("fixed" in r)
            ? {
                  hpa: {
                      metadata: meta,
                      spec: {
                          scaleTargetRef: { apiVersion: "apps/v1", kind, name: args.instance },
                          minReplicas: r.min,
                          maxReplicas: r.max,
                          metrics: hpaMetrics(args.hpaMemory ?? false),
                      },
                  },
              }
            : {}),
    };
}

/** What `createHardenedWorkload` returns (the component's outputs). */
interface HardenedWorkloadOutputs {
    readonly serviceName: pulumi.Output<string>;
    readonly serviceHost: pulumi.Output<string>;
    readonly selector: Record<string, string>;
    readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;
    readonly pdb?: k8s.policy.v1.PodDisruptionBudget;
    readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
}

/** Creates a hardened workload's objects below `parent`: ServiceAccount, Deployment or StatefulSet, Service(s), PDB, HPA. */
function createHardenedWorkload(
    name: string,
    args: HardenedWorkloadArgs,
    parent: pulumi.Resource,
): HardenedWorkloadOutputs {
    const child: pulumi.CustomResourceOptions = { parent, ...args.childOptions };
    const sa = new k8s.core.v1.ServiceAccount(
        `${name}-sa`,
        { metadata: workloadMeta(args), automountServiceAccountToken: false },
        child,
    );
    const o = workloadObjects(args, sa.metadata.name);
    const workload =
        o.kind === "StatefulSet"
            ? new k8s.apps.v1.StatefulSet(`${name}-statefulset`, o.workload as k8s.apps.v1.StatefulSetArgs, child)
            : new k8s.apps.v1.Deployment(`${name}-deployment`, o.workload as k8s.apps.v1.DeploymentArgs, child);
    const svc = new k8s.core.v1.Service(`${name}-service`, o.service, child);
    if (o.headless) new k8s.core.v1.Service(`${name}-headless`, o.headless, child);
    const pdb = o.pdb ? new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, o.pdb, child) : undefined;
    const hpa = o.hpa ? new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, o.hpa, child) : undefined;
    return {
        serviceName: svc.metadata.name,
        serviceHost: pulumi.interpolate`${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`,
        selector: o.selector,
        workload,
        ...(pdb ? { pdb } : {}),
        ...(hpa ? { hpa } : {}),
    };
}

/**
 * A hardened workload: ServiceAccount, Deployment or StatefulSet, Service, and per the level a
 * PodDisruptionBudget and a HorizontalPodAutoscaler.
 */
export class HardenedWorkload extends pulumi.ComponentResource {
    /** Name of the Service (and of every object). */
    public readonly serviceName: pulumi.Output<string>;
    /** In-cluster DNS name of the Service. */
    public readonly serviceHost: pulumi.Output<string>;
    /** The workload's selector labels. */
    public readonly selector: Record<string, string>;
    /** The Deployment or StatefulSet. */
    public readonly workload: k8s.apps.v1.Deployment | k8s.apps.v1.StatefulSet;
    /** The PDB, if the level asks for one. */
    public readonly pdb?: k8s.policy.v1.PodDisruptionBudget;
    /** The HPA, for autoscaled workloads. */
    public readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;

    constructor(name: string, args: HardenedWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:workload:HardenedWorkload", name, {}, opts);
        const out = createHardenedWorkload(name, args, this);
        this.selector = out.selector;
        this.workload = out.workload;
        if (out.pdb) this.pdb = out.pdb;
        if (out.hpa) this.hpa = out.hpa;
        this.serviceName = out.serviceName;
        this.serviceHost = out.serviceHost;
        this.registerOutputs({ serviceName: this.serviceName, serviceHost: this.serviceHost });
    }
}
