/**
 * The checklist the pack enforces, as data: every policy's lowest level, group, Pod Security Standards
 * controls, what it checks and how to fix a violation. The rules (policies/rules/) hold only the checks
 * and take their metadata from here by name (a name missing here does not compile); docs/policies.md
 * lists the same policies, and test/policy-engine.test.ts keeps the two in step.
 */
import { KEYCLOAK_MANAGEMENT_PORT } from "../stacks/flows";
import type { PolicyMeta } from "./lib/define";
import { PSS_VERSION, safeSysctls } from "./lib/pss";

/** The smallest timeout an LLM route may have, in seconds (REQUIREMENTS: >= 120 s). */
export const LLM_TIMEOUT_SECONDS = 120;
/** The alert the pack requires (components/monitoring.ts names it; test/monitoring.test.ts keeps both in step). */
export const INJECTOR_UNAVAILABLE_ALERT = "EnvoyInjectorUnavailable";

/** A policy's metadata but its name (the key) and what its definition decides (kind, remediable). */
type CatalogEntry = Omit<PolicyMeta, "name" | "kind" | "remediable">;

const POLICY_CATALOG = {
    // policies/rules/availability.ts
    "availability-min-replicas": {
        level: 2,
        group: "availability",
        description:
            "Every agentstack component runs at least the replicas the level table sets (HPA minReplicas for autoscaled ones).",
        fix: "Raise agentstack:securityLevel to the required level (or remove a replica override below the table).",
    },
    "availability-pdb": {
        level: 2,
        group: "availability",
        description:
            "Every multi-replica workload (or one the level table makes multi-replica) has a PodDisruptionBudget, and no PDB blocks node drains.",
        fix: "Raise agentstack:securityLevel (the program adds a PDB with minAvailable below the replica count); never set minAvailable >= replicas or maxUnavailable 0.",
    },
    "availability-anti-affinity": {
        level: 2,
        group: "availability",
        description:
            "Every multi-replica workload spreads its pods over nodes (pod anti-affinity or topology spread), hard where the level table says so.",
        fix: "Raise agentstack:securityLevel (the program sets preferred anti-affinity, required for the envoy-injector and MongoDB at level 3); keep agentstack:cluster.schedulableNodes right.",
    },
    // policies/rules/exposure.ts
    "exposure-tls": {
        level: 1,
        group: "exposure",
        description:
            "Every Ingress serves all its hosts over TLS, every OpenShift Route terminates TLS, every Gateway has an HTTPS/TLS listener.",
        fix: "Add spec.tls for every host (the program always does; the certificate source is agentstack:gateway.tls.mode).",
    },
    "exposure-https-redirect": {
        level: 1,
        group: "exposure",
        description:
            "Plain HTTP is redirected to HTTPS: Ingress redirect annotations (or ingress-nginx's default with TLS), Route insecureEdgeTerminationPolicy Redirect/None, an https RequestRedirect HTTPRoute for every HTTPRoute host.",
        fix: "Keep the program's redirect (ssl-redirect annotations, Route Redirect policy, the -https-redirect HTTPRoute); config key: agentstack:gateway.exposure selects which.",
    },
    "exposure-llm-timeout": {
        level: 1,
        group: "exposure",
        description: `The routes to the agentstack gateway allow at least ${LLM_TIMEOUT_SECONDS} s per request (LLM calls are slow): ingress-nginx proxy timeouts, the Route haproxy timeout, HTTPRoute timeouts.`,
        fix: `Set agentstack:gateway.llmRouteTimeoutSeconds (>= ${LLM_TIMEOUT_SECONDS}); the program writes it into every exposure.`,
    },
    "exposure-no-self-signed": {
        level: 2,
        group: "exposure",
        description:
            "From level 2 no exposure uses a self-signed certificate: no TLS Secret annotated agentstack.io/certificate-source: self-signed, no cert-manager Certificate from a selfSigned issuer.",
        fix: "Set agentstack:gateway.tls.mode to cert-manager (agentstack:gateway.tls.issuer) or secret (agentstack:gateway.tls.secretName).",
    },
    // policies/rules/identity.ts
    "identity-mcp-auth": {
        level: 1,
        group: "identity",
        description:
            "Every MCP server verifies a JWT on each call: MCP_AUTH_JWT_ALG is HS256 (key from a Secret) or RS256 (with a JWKS URI).",
        fix: "Keep the MCP server's auth settings (the program sets them from agentstack:mcpServers[name=...].auth.alg and the level).",
    },
    "identity-mcp-rs256": {
        level: 2,
        group: "identity",
        description:
            "From level 2 every MCP server verifies RS256 tokens against Keycloak's JWKS (no shared HS256 key).",
        fix: "Remove agentstack:mcpServers[name=...].auth.alg HS256 and set agentstack:securityLevel to 2 or more.",
    },
    "identity-agent-enforce": {
        level: 2,
        group: "identity",
        description:
            "From level 2 every agent runs with SECURITY_MODE=enforce (tool calls are blocked, not just logged).",
        fix: "Remove agentstack:agents[name=...].securityMode observe and set agentstack:securityLevel to 2 or more.",
    },
    "identity-keycloak-production": {
        level: 2,
        group: "identity",
        description: "From level 2 Keycloak runs in production mode: its command line has `start`, never `start-dev`.",
        fix: "Set agentstack:securityLevel to 2 or more (the keycloak component then runs `start`).",
    },
    "identity-keycloak-clustering": {
        level: 1,
        group: "identity",
        description:
            "A replicated Keycloak (2+ replicas) clusters: KC_CACHE=ispn, KC_CACHE_STACK=jdbc-ping, and a headless Service for discovery.",
        fix: "Keep the keycloak component's clustering (switched on automatically with 2+ replicas by agentstack:securityLevel 2+).",
    },
    "identity-keycloak-management-port": {
        level: 1,
        group: "identity",
        description: `No Service exposes Keycloak's management port ${KEYCLOAK_MANAGEMENT_PORT} (probes use it from the kubelet; it is never a Service port).`,
        fix: `Remove port ${KEYCLOAK_MANAGEMENT_PORT} from every Service selecting Keycloak (config key: none).`,
    },
    // policies/rules/network.ts
    "network-default-deny": {
        level: 2,
        group: "network",
        description:
            "Every namespace (each Namespace object, and each namespace a workload runs in) has a default-deny NetworkPolicy for ingress and egress.",
        fix: "Raise agentstack:securityLevel to 2 or more (the program adds default-deny plus the flow table in every namespace).",
    },
    "network-sandbox-isolation": {
        level: 1,
        group: "network",
        description:
            "The code sandbox (untrusted code) has no egress at all and accepts connections only from agents — at every level, level 1 included.",
        fix: "Restore the sandbox's NetworkPolicy (the program creates it at every agentstack:securityLevel; config key: none).",
    },
    "network-data-store-clients": {
        level: 2,
        group: "network",
        description:
            "A data store (labelled agentstack.io/data-store) is reachable only from the clients its agentstack.io/clients annotation declares (and its own replicas).",
        fix: "Raise agentstack:securityLevel to 2 or more (default-deny plus the flow table); declare every client in the store's agentstack.io/clients annotation.",
    },
    "network-extauth-from-sidecars": {
        level: 2,
        group: "network",
        description: "ExtAuth accepts connections only from pods with an Envoy sidecar (label sidecar: envoy).",
        fix: "Raise agentstack:securityLevel to 2 or more (the flow table admits only sidecar: envoy pods to extauth).",
    },
    "network-data-store-exposure": {
        level: 1,
        group: "network",
        description:
            "No data store is exposed by a LoadBalancer or NodePort Service, external IPs, or an Ingress/Route/HTTPRoute backend — a data store recognised by its workload (labelled, an agentstack data-store component, a well-known database image) or, when the workload is not among the objects, by the Service selector's labels (agentstack.io/data-store, app.kubernetes.io/name or component).",
        fix: "Make the Service ClusterIP (no NodePort, LoadBalancer or externalIPs) and remove any Ingress/Route to it; data stores are reached only inside the cluster (config key: none exposes them).",
    },
    // policies/rules/observability.ts
    "observability-monitoring": {
        level: 3,
        group: "observability",
        description:
            "Where the Envoy injector runs, a ServiceMonitor or PodMonitor (monitoring.coreos.com/v1) in its namespace scrapes its pods: the platform is plugged into the cluster's Prometheus.",
        fix: "Keep agentstack:monitoring.enabled on (the default from level 2) and install the Prometheus Operator (kube-prometheus-stack or OpenShift user-workload monitoring; docs/observability.md).",
    },
    "observability-injector-alert": {
        level: 3,
        group: "observability",
        description: `Where the Envoy injector runs, a PrometheusRule alerts (${INJECTOR_UNAVAILABLE_ALERT}) when no replica of it is available, with a severity label.`,
        fix: "Keep agentstack:monitoring.enabled on: the program's PrometheusRule `agentstack` carries the alert (docs/observability.md).",
    },
    // policies/rules/pod.ts
    "pod-run-as-non-root": {
        level: 1,
        group: "pod",
        pss: ["runAsNonRoot", "runAsUser"],
        description:
            "Every container runs as a non-root user: runAsNonRoot true (container, or pod when the container leaves it unset), never runAsNonRoot false or runAsUser 0 at pod or container level.",
        fix: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod or container; remove any runAsUser: 0 or runAsNonRoot: false, pod-level included.",
    },
    "pod-read-only-root-fs": {
        level: 1,
        group: "pod",
        description: "Every container has a read-only root filesystem (writable paths are emptyDir volumes).",
        fix: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (e.g. /tmp).",
    },
    "pod-no-privilege-escalation": {
        level: 1,
        group: "pod",
        pss: ["allowPrivilegeEscalation"],
        description:
            "Every container sets allowPrivilegeEscalation: false (Windows pods, spec.os.name windows, are exempt as in Pod Security Admission).",
        fix: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    },
    "pod-drop-all-capabilities": {
        level: 1,
        group: "pod",
        pss: ["capabilities_baseline", "capabilities_restricted"],
        description:
            'Every container drops ALL Linux capabilities (the exact string "ALL") and adds none but NET_BIND_SERVICE (baseline: only the default set; restricted: only NET_BIND_SERVICE).',
        fix: "Set securityContext.capabilities.drop: [ALL] (in capitals); add back only NET_BIND_SERVICE if a low port is really needed.",
    },
    "pod-seccomp-runtime-default": {
        level: 1,
        group: "pod",
        pss: ["seccompProfile_baseline", "seccompProfile_restricted"],
        description:
            "Every container runs with the RuntimeDefault (or a Localhost) seccomp profile, from its own securityContext or the pod's; no other profile is set anywhere, pod level included.",
        fix: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (remediable: enforcementLevel remediate sets it where it is missing); remove Unconfined profiles.",
    },
    "pod-no-privileged": {
        level: 1,
        group: "pod",
        pss: ["privileged"],
        description: "No container runs privileged.",
        fix: "Remove securityContext.privileged: true (set it to false).",
    },
    "pod-no-host-ports": {
        level: 1,
        group: "pod",
        pss: ["hostPorts"],
        description: "No container binds a host port (ports[].hostPort unset or 0).",
        fix: "Remove hostPort from the container ports; expose the pod through a Service.",
    },
    "pod-no-host-namespaces": {
        level: 1,
        group: "pod",
        pss: ["hostNamespaces"],
        description: "No pod shares the host's network, PID or IPC namespace.",
        fix: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    },
    "pod-no-host-path": {
        level: 1,
        group: "pod",
        pss: ["hostPathVolumes"],
        description: "No pod mounts a hostPath volume.",
        fix: "Replace hostPath volumes with emptyDir, ConfigMap/Secret or PersistentVolumeClaim volumes.",
    },
    "pod-no-host-process": {
        level: 1,
        group: "pod",
        pss: ["windowsHostProcess"],
        description:
            "No pod or container is a Windows HostProcess container (securityContext.windowsOptions.hostProcess true), at pod or container level.",
        fix: "Remove securityContext.windowsOptions.hostProcess (or set it to false) on the pod and every container.",
    },
    "pod-no-host-probes": {
        level: 1,
        group: "pod",
        pss: ["hostProbesAndHostLifecycle"],
        description:
            "No probe (liveness, readiness, startup) or lifecycle handler (postStart, preStop) sets an httpGet/tcpSocket host: the kubelet would call another address (Kubernetes 1.34+).",
        fix: "Remove the host field from every probe and lifecycle handler (the kubelet then calls the pod's own IP).",
    },
    "pod-apparmor-profile": {
        level: 1,
        group: "pod",
        pss: ["appArmorProfile"],
        description:
            "No pod or container sets an AppArmor profile other than RuntimeDefault or Localhost (securityContext.appArmorProfile.type), nor a legacy container.apparmor.security.beta.kubernetes.io/* annotation other than runtime/default or localhost/*.",
        fix: "Remove the Unconfined AppArmor profile: set securityContext.appArmorProfile.type to RuntimeDefault (or leave it unset) and drop unconfined AppArmor annotations.",
    },
    "pod-selinux-options": {
        level: 1,
        group: "pod",
        pss: ["seLinuxOptions"],
        description:
            "No pod or container sets an SELinux type outside container_t, container_init_t, container_kvm_t, container_engine_t, nor any SELinux user or role.",
        fix: "Remove securityContext.seLinuxOptions (or keep only an allowed type) on the pod and every container.",
    },
    "pod-default-proc-mount": {
        level: 1,
        group: "pod",
        pss: ["procMount", "procMount_restricted"],
        description:
            "No container unmasks /proc: securityContext.procMount is unset or Default (restricted reading: also in user-namespace pods).",
        fix: "Remove securityContext.procMount (or set it to Default).",
    },
    "pod-safe-sysctls": {
        level: 1,
        group: "pod",
        pss: ["sysctls"],
        description: `The pod sets only the safe sysctls Pod Security Admission allows (Kubernetes ${PSS_VERSION.join(".")}: ${[...safeSysctls(PSS_VERSION)].join(", ")}).`,
        fix: "Remove the other entries of spec.securityContext.sysctls (node-level tuning belongs to the node, not the pod).",
    },
    "pod-restricted-volume-types": {
        level: 1,
        group: "pod",
        pss: ["restrictedVolumes"],
        description:
            "Every volume is of a type the restricted standard allows: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret (hostPath is reported by pod-no-host-path).",
        fix: "Replace other inline volumes (nfs, iscsi, gitRepo, cephfs, ...) with a PersistentVolumeClaim bound to a PersistentVolume of that type, or an emptyDir/ConfigMap/Secret.",
    },
    "pod-resources": {
        level: 1,
        group: "pod",
        description:
            "Every container (init, native sidecar and main, and the injected sidecar) sets CPU and memory requests and limits.",
        fix: "Set resources.requests and resources.limits (cpu and memory) on every container.",
    },
    "pod-probes": {
        level: 1,
        group: "pod",
        description:
            "Every serving container (not Jobs, init or ephemeral containers) has a liveness and a readiness probe, native sidecars and the injected sidecar included.",
        fix: "Add livenessProbe and readinessProbe (httpGet, tcpSocket, grpc or exec).",
    },
    "pod-no-service-account-token": {
        level: 1,
        group: "pod",
        description:
            "No pod auto-mounts a service-account token: automountServiceAccountToken is false. A workload that needs one mounts an audience-bound projected serviceAccountToken volume explicitly.",
        fix: "Set automountServiceAccountToken: false on the pod spec (remediable); a workload that calls the API mounts a projected serviceAccountToken volume with an audience and expiry.",
    },
    "pod-image-pinned": {
        level: 1,
        group: "pod",
        description: "Every container image is pinned: a version tag or a digest, never `latest` or untagged.",
        fix: "Use an image reference with a version tag (registry/app:1.2.3) or a digest (@sha256:...).",
    },
    "pod-image-digest": {
        level: 3,
        group: "pod",
        advisoryOnly: true,
        description:
            "Every container image is referenced by digest (advised at level 3; advisory at every level: the user supplies the digests).",
        fix: "Append the image digest (registry/app:1.2.3@sha256:...).",
    },
    // policies/rules/secrets.ts
    "secrets-env-literal": {
        level: 1,
        group: "secrets",
        description: "No container env var that looks secret (name or value) has a literal value.",
        fix: "Store the value in a Secret and read it with env[].valueFrom.secretKeyRef.",
    },
    "secrets-configmap-literal": {
        level: 1,
        group: "secrets",
        description: "No ConfigMap key that looks secret (name or value) holds a value.",
        fix: "Move the value into a Secret and reference it; keep only non-secret settings in ConfigMaps.",
    },
    "secrets-by-reference": {
        level: 1,
        group: "secrets",
        description:
            "A secret-looking env var takes its value from a Secret (secretKeyRef), never from a ConfigMap or a field.",
        fix: "Read secret env vars with env[].valueFrom.secretKeyRef.",
    },
    // policies/rules/stateful.ts
    "stateful-data-protected": {
        level: 3,
        group: "stateful",
        description:
            "At level 3 every data-store resource (labelled agentstack.io/data-store) has the Pulumi protect option, so a mistaken change cannot delete data.",
        fix: "Set agentstack:securityLevel to 3 (the program sets protect on every data-store resource).",
    },
    "stateful-namespace-psa": {
        level: 1,
        group: "stateful",
        description:
            "Every Namespace has Pod Security Admission labels: enforce at the level's standard (baseline at level 1, restricted from level 2), warn and audit restricted.",
        fix: "Set agentstack:securityLevel (components/namespaces.ts labels every zone from the level table).",
    },
    "stateful-namespace-quota": {
        level: 2,
        group: "stateful",
        description: "From level 2 every Namespace has a ResourceQuota and a LimitRange.",
        fix: "Set agentstack:securityLevel to 2 or more (the program adds both to every zone).",
    },
    // policies/rules/zerotrust.ts
    "zerotrust-webhook-failure-policy": {
        level: 2,
        group: "zerotrust",
        description:
            "The Envoy injection webhook has the failurePolicy of the level table (Fail from level 2: no pod starts without its sidecar).",
        fix: "Raise agentstack:securityLevel to 2 or more (failurePolicy Fail, with 2 injector replicas and a PDB); do not override agentstack:zeroTrust.failurePolicy.",
    },
    "zerotrust-webhook-backend": {
        level: 1,
        group: "zerotrust",
        description:
            "A webhook with failurePolicy Fail (any webhook, the injector included) is served by at least 2 replicas protected by a PodDisruptionBudget that does not block drains.",
        fix: "Run the webhook backend with 2+ replicas and a PDB (agentstack:securityLevel 2+ does this for the injector), or use failurePolicy Ignore.",
    },
    "zerotrust-webhook-selectors": {
        level: 1,
        group: "zerotrust",
        description:
            "No webhook's namespaceSelector matches its own backend's namespace or kube-system (a webhook that intercepts them can deadlock the cluster).",
        fix: "Give the webhook a namespaceSelector that only matches labelled workload namespaces (e.g. agentstack.io/envoy-injection: enabled).",
    },
    "zerotrust-injection": {
        level: 1,
        group: "zerotrust",
        description:
            "The workload zones (gateway, agents, mcp) are labelled for Envoy injection and the injector's selector matches them; their workloads carry `sidecar: envoy`; the sandbox zone is never injected.",
        fix: "Restore the zone labels (components/namespaces.ts sets them at every agentstack:securityLevel; no config key turns injection off).",
    },
    "zerotrust-sidecar-template": {
        level: 1,
        group: "zerotrust",
        description:
            "When the Envoy injector is deployed, the sidecar it injects is described by a readable sidecar-template ConfigMap (container `envoy` plus the Envoy bootstrap), so the pack can check it like any other container.",
        fix: 'Restore the envoy-sidecar-template ConfigMap (label agentstack.io/sidecar-template: "true", keys sidecar.yaml and envoy.yaml); config key: none.',
    },
    "zerotrust-extauth-fail-closed": {
        level: 2,
        group: "zerotrust",
        description: "The injected Envoy's ext_authz filter fails closed (failure_mode_allow: false) from level 2.",
        fix: "Raise agentstack:securityLevel to 2 or more (the sidecar template then sets failure_mode_allow: false).",
    },
} as const satisfies Record<string, CatalogEntry>;

/** The metadata of the policy `name`. */
export function policyMeta(name: keyof typeof POLICY_CATALOG): Omit<PolicyMeta, "kind"> {
    return { name, ...POLICY_CATALOG[name] };
}
