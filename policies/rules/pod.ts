/**
 * Pod hardening: the restricted Pod Security Standard and more, for every container of every
 * workload kind (init, main, ephemeral) and for the injected Envoy sidecar.
 *
 * Rule module: defines policies, no side effects.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { fixHint } from "../lib/components";
import { ContainerRef, SERVING_KINDS, effective, k8sObject } from "../lib/k8s";
import { containerPolicy, podPolicy, proxiedPodSpec } from "../lib/containers";
import { AgentstackPolicy } from "../lib/define";
import { at, bool, list, num, rec, str } from "../lib/values";

const where = (c: ContainerRef): string => (c.podSpec ? "" : " (the injected sidecar must set it in its own securityContext: it runs in pods it does not control)");

export const runAsNonRoot = containerPolicy({
    meta: {
        name: "pod-run-as-non-root",
        level: 1,
        group: "pod",
        description: "Every container runs as a non-root user: runAsNonRoot true (container or pod) and never runAsUser 0.",
        fix: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod or container.",
    },
    check: (c, obj, ctx) => {
        const uid = effective(c, "runAsUser");
        const nonRoot = effective(c, "runAsNonRoot");
        if (uid === 0) {
            ctx.report(obj, `${c.label} runs as root (runAsUser: 0)${where(c)}; ${fixHint(obj, "hardening", "set runAsUser to a non-zero uid and runAsNonRoot: true")}`);
        } else if (nonRoot !== true) {
            ctx.report(obj, `${c.label} may run as root: runAsNonRoot is not true${where(c)}; ${fixHint(obj, "hardening", "set securityContext.runAsNonRoot: true")}`);
        }
    },
});

export const readOnlyRootFs = containerPolicy({
    meta: {
        name: "pod-read-only-root-fs",
        level: 1,
        group: "pod",
        description: "Every container has a read-only root filesystem (writable paths are emptyDir volumes).",
        fix: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes (e.g. /tmp).",
    },
    check: (c, obj, ctx) => {
        if (bool(c.container, "securityContext", "readOnlyRootFilesystem") !== true) {
            ctx.report(obj, `${c.label} has a writable root filesystem (readOnlyRootFilesystem is not true); ${fixHint(obj, "hardening", "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir for writable paths")}`);
        }
    },
});

export const noPrivilegeEscalation = containerPolicy({
    meta: {
        name: "pod-no-privilege-escalation",
        level: 1,
        group: "pod",
        description: "Every container sets allowPrivilegeEscalation: false.",
        fix: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    },
    check: (c, obj, ctx) => {
        if (bool(c.container, "securityContext", "allowPrivilegeEscalation") !== false) {
            ctx.report(obj, `${c.label} allows privilege escalation (allowPrivilegeEscalation is not false); ${fixHint(obj, "hardening", "set securityContext.allowPrivilegeEscalation: false")}`);
        }
    },
});

const ALLOWED_ADD = new Set(["NET_BIND_SERVICE"]);

export const dropAllCapabilities = containerPolicy({
    meta: {
        name: "pod-drop-all-capabilities",
        level: 1,
        group: "pod",
        description: "Every container drops ALL Linux capabilities and adds none but NET_BIND_SERVICE.",
        fix: "Set securityContext.capabilities.drop: [ALL]; add back only NET_BIND_SERVICE if a low port is really needed.",
    },
    check: (c, obj, ctx) => {
        const drop = list(c.container, "securityContext", "capabilities", "drop").map((_, i) => String(at(c.container, "securityContext", "capabilities", "drop", i)).toUpperCase());
        const add = list(c.container, "securityContext", "capabilities", "add").map((_, i) => String(at(c.container, "securityContext", "capabilities", "add", i)).toUpperCase().replace(/^CAP_/, ""));
        if (!drop.includes("ALL")) {
            ctx.report(obj, `${c.label} does not drop ALL capabilities; ${fixHint(obj, "hardening", "set securityContext.capabilities.drop: [ALL]")}`);
        }
        const extra = add.filter((a) => !ALLOWED_ADD.has(a));
        if (extra.length > 0) {
            ctx.report(obj, `${c.label} adds capabilities ${extra.join(", ")}; ${fixHint(obj, "hardening", "remove them from securityContext.capabilities.add")}`);
        }
    },
});

/** Where each workload kind keeps its pod template, from a type token. */
function templatePathOf(type: string): readonly string[] | undefined {
    return k8sObject(type, {})?.templatePath;
}

export const seccomp = containerPolicy({
    meta: {
        name: "pod-seccomp-runtime-default",
        level: 1,
        group: "pod",
        description: "Every container runs with the RuntimeDefault seccomp profile (or a Localhost profile), set on the container or the pod.",
        fix: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (remediable: enforcementLevel remediate sets it where it is missing).",
    },
    check: (c, obj, ctx) => {
        const type = effective(c, "seccompProfile", "type");
        if (type !== "RuntimeDefault" && type !== "Localhost") {
            const what = type === undefined ? "has no seccomp profile" : `uses the seccomp profile ${String(type)}`;
            ctx.report(obj, `${c.label} ${what}${where(c)}; ${fixHint(obj, "hardening", "set securityContext.seccompProfile.type: RuntimeDefault")}`);
        }
    },
    remediate: (args: ResourceValidationArgs) => {
        const path = templatePathOf(args.type);
        if (!path) return undefined;
        const spec = proxiedPodSpec(args, path);
        if (!spec) return undefined;
        if (spec["securityContext"]?.["seccompProfile"] !== undefined) return undefined;
        if (spec["securityContext"] === undefined) spec["securityContext"] = {};
        spec["securityContext"]["seccompProfile"] = { type: "RuntimeDefault" };
        return args.props;
    },
});

export const noPrivileged = containerPolicy({
    meta: {
        name: "pod-no-privileged",
        level: 1,
        group: "pod",
        description: "No container runs privileged.",
        fix: "Remove securityContext.privileged: true (set it to false).",
    },
    check: (c, obj, ctx) => {
        if (bool(c.container, "securityContext", "privileged") === true) {
            ctx.report(obj, `${c.label} runs privileged; ${fixHint(obj, "hardening", "set securityContext.privileged: false")}`);
        }
    },
});

export const noHostPorts = containerPolicy({
    meta: {
        name: "pod-no-host-ports",
        level: 1,
        group: "pod",
        description: "No container binds a host port.",
        fix: "Remove hostPort from the container ports; expose the pod through a Service.",
    },
    check: (c, obj, ctx) => {
        list(c.container, "ports").forEach((_, i) => {
            const hp = num(c.container, "ports", i, "hostPort");
            if (hp !== undefined && hp !== 0) {
                ctx.report(obj, `${c.label} binds host port ${hp}; ${fixHint(obj, "hardening", "remove ports[].hostPort and use a Service")}`);
            }
        });
    },
});

export const noHostNamespaces = podPolicy({
    meta: {
        name: "pod-no-host-namespaces",
        level: 1,
        group: "pod",
        description: "No pod shares the host's network, PID or IPC namespace.",
        fix: "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
    },
    check: (spec, obj, ctx) => {
        for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (bool(spec, f) === true) ctx.report(obj, `the pod sets ${f}: true; ${fixHint(obj, "hardening", `remove ${f}`)}`);
        }
    },
});

export const noHostPath = podPolicy({
    meta: {
        name: "pod-no-host-path",
        level: 1,
        group: "pod",
        description: "No pod mounts a hostPath volume.",
        fix: "Replace hostPath volumes with emptyDir, ConfigMap/Secret or PersistentVolumeClaim volumes.",
    },
    check: (spec, obj, ctx) => {
        list(spec, "volumes").forEach((_, i) => {
            if (rec(spec, "volumes", i, "hostPath")) {
                ctx.report(obj, `volume "${str(spec, "volumes", i, "name") ?? i}" is a hostPath (${str(spec, "volumes", i, "hostPath", "path") ?? "?"}); ${fixHint(obj, "hardening", "use an emptyDir or a PersistentVolumeClaim instead")}`);
            }
        });
    },
});

export const resources = containerPolicy({
    meta: {
        name: "pod-resources",
        level: 1,
        group: "pod",
        description: "Every container (init and main, and the injected sidecar) sets CPU and memory requests and limits.",
        fix: "Set resources.requests and resources.limits (cpu and memory) on every container.",
    },
    roles: ["init", "main", "sidecar-template"],
    check: (c, obj, ctx) => {
        const missing: string[] = [];
        for (const kind of ["requests", "limits"]) {
            for (const r of ["cpu", "memory"]) {
                const v = at(c.container, "resources", kind, r);
                if (v === undefined || v === null || v === "") missing.push(`${kind}.${r}`);
            }
        }
        if (missing.length > 0) {
            ctx.report(obj, `${c.label} has no ${missing.join(", ")}; ${fixHint(obj, "resources", "set resources.requests and resources.limits for cpu and memory")}`);
        }
    },
});

function hasHandler(probe: Record<string, unknown> | undefined): boolean {
    return !!probe && ["httpGet", "tcpSocket", "exec", "grpc"].some((h) => probe[h] !== undefined);
}

export const probes = containerPolicy({
    meta: {
        name: "pod-probes",
        level: 1,
        group: "pod",
        description: "Every serving container (not Jobs, init or ephemeral containers) has a liveness and a readiness probe, the injected sidecar included.",
        fix: "Add livenessProbe and readinessProbe (httpGet, tcpSocket, grpc or exec).",
    },
    roles: ["main", "sidecar-template"],
    kinds: new Set([...SERVING_KINDS, "ConfigMap"]),
    check: (c, obj, ctx) => {
        const missing = ["livenessProbe", "readinessProbe"].filter((p) => !hasHandler(rec(c.container, p)));
        if (missing.length > 0) {
            ctx.report(obj, `${c.label} has no ${missing.join(" and ")}; ${fixHint(obj, "probes", `add ${missing.join(" and ")}`)}`);
        }
    },
});

export const serviceAccountToken = podPolicy({
    meta: {
        name: "pod-no-service-account-token",
        level: 1,
        group: "pod",
        description:
            "No pod auto-mounts a service-account token: automountServiceAccountToken is false. A workload that needs one mounts an audience-bound projected serviceAccountToken volume explicitly.",
        fix: "Set automountServiceAccountToken: false on the pod spec (remediable); a workload that calls the API mounts a projected serviceAccountToken volume with an audience and expiry.",
    },
    check: (spec, obj, ctx) => {
        const v = bool(spec, "automountServiceAccountToken");
        if (v !== false) {
            const what = v === true ? "sets automountServiceAccountToken: true" : "does not set automountServiceAccountToken: false (Kubernetes mounts a token by default)";
            ctx.report(obj, `the pod ${what}; ${fixHint(obj, "hardening", "set automountServiceAccountToken: false; mount a projected serviceAccountToken volume only if the workload calls the API")}`);
        }
    },
    remediate: (args: ResourceValidationArgs) => {
        const path = templatePathOf(args.type);
        if (!path) return undefined;
        const spec = proxiedPodSpec(args, path);
        if (!spec || spec["automountServiceAccountToken"] !== undefined) return undefined;
        spec["automountServiceAccountToken"] = false;
        return args.props;
    },
});

/** `repo[:tag][@sha256:...]` split. */
export function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
    const [rest, digest] = image.split("@", 2) as [string, string | undefined];
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    const hasTag = colon > slash;
    return {
        repository: hasTag ? rest.slice(0, colon) : rest,
        ...(hasTag ? { tag: rest.slice(colon + 1) } : {}),
        ...(digest ? { digest } : {}),
    };
}

export const imagePinned = containerPolicy({
    meta: {
        name: "pod-image-pinned",
        level: 1,
        group: "pod",
        description: "Every container image is pinned: a version tag or a digest, never `latest` or untagged.",
        fix: "Use an image reference with a version tag (registry/app:1.2.3) or a digest (@sha256:...).",
    },
    check: (c, obj, ctx) => {
        const image = str(c.container, "image");
        if (image === undefined || image === "") {
            ctx.report(obj, `${c.label} has no image; ${fixHint(obj, "image", "set the container image")}`);
            return;
        }
        const p = parseImage(image);
        if (p.digest) return;
        if (!p.tag) ctx.report(obj, `${c.label} image ${image} has no tag (it means latest); ${fixHint(obj, "image", "pin a version tag or digest")}`);
        else if (p.tag === "latest") ctx.report(obj, `${c.label} image ${image} uses the tag latest; ${fixHint(obj, "image", "pin a version tag or digest")}`);
    },
});

export const imageDigest = containerPolicy({
    meta: {
        name: "pod-image-digest",
        level: 3,
        group: "pod",
        advisoryOnly: true,
        description: "Every container image is referenced by digest (advised at level 3; advisory at every level: the user supplies the digests).",
        fix: "Append the image digest (registry/app:1.2.3@sha256:...).",
    },
    check: (c, obj, ctx) => {
        const image = str(c.container, "image");
        if (image !== undefined && !parseImage(image).digest) {
            ctx.report(obj, `${c.label} image ${image} is not pinned by digest; ${fixHint(obj, "image", "append @sha256:<digest> to the image")}`);
        }
    },
});

/** The pod-hardening policies. */
export const POD_POLICIES: readonly AgentstackPolicy[] = [
    runAsNonRoot,
    readOnlyRootFs,
    noPrivilegeEscalation,
    dropAllCapabilities,
    seccomp,
    noPrivileged,
    noHostNamespaces,
    noHostPorts,
    noHostPath,
    resources,
    probes,
    serviceAccountToken,
    imagePinned,
    imageDigest,
];

