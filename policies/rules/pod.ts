/**
 * Pod hardening: every control of the Pod Security Standards, baseline and restricted, judged as
 * Pod Security Admission judges it (policies/lib/pss.ts: a forbidden value is a violation wherever
 * it is set, pod or container; a required value must hold for every container after
 * container-over-pod precedence; values compared exactly, case included), plus this project's
 * checklist (read-only root, resources, probes, no token, pinned images). Every workload kind, every
 * container kind (init, native sidecar, main, ephemeral) and the injected Envoy sidecar.
 *
 * Rule module: defines policies, no side effects.
 */
import type { ResourceValidationArgs } from "@pulumi/policy";
import { fixHint } from "../lib/components";
import { ContainerRef, K8sObject, SERVING_KINDS, k8sObject } from "../lib/k8s";
import { containerPolicy, podPolicy, proxiedPodSpec, pssPolicy } from "../lib/containers";
import { AgentstackPolicy, Ctx } from "../lib/define";
import {
    APPARMOR_ANNOTATION_PREFIX,
    APPARMOR_TYPES_ALLOWED,
    BASELINE_CAPABILITIES,
    DROP_ALL,
    HOST_HANDLERS,
    LIFECYCLE_FIELDS,
    PROBE_FIELDS,
    PROC_MOUNT_DEFAULT,
    PSS_VERSION,
    RESTRICTED_ADD,
    RESTRICTED_VOLUME_SOURCES,
    SECCOMP_ALLOWED,
    allowedSeLinuxTypes,
    appArmorAnnotationAllowed,
    checkApplies,
    safeSysctls,
} from "../lib/pss";
import { at, bool, list, num, rec, str } from "../lib/values";
import { policyMeta } from "../catalog";

const where = (c: ContainerRef): string =>
    c.podSpec
        ? ""
        : " (the injected sidecar must set it in its own securityContext: it runs in pods it does not control)";
const q = (v: unknown): string => JSON.stringify(v);
const hint = (obj: K8sObject, fix: string): string => fixHint(obj, "hardening", fix);

/** Reports a pod-level value Pod Security Admission rejects even when every container overrides it. */
function podForbids(obj: K8sObject, ctx: Ctx, field: string, value: unknown, why: string, fix: string): void {
    ctx.report(
        obj,
        `the pod sets spec.securityContext.${field}: ${q(value)} (${why}; Pod Security Admission rejects it at pod level even when every container overrides it); ${hint(obj, fix)}`,
    );
}

/** Reports what a container sets wrongly, in one violation: `<container> sets <problems>; <fix hint>`. */
function containerSets(
    ctx: Ctx,
    obj: K8sObject,
    label: string,
    problems: readonly string[],
    fix: string,
    sep = "; ",
): void {
    if (problems.length > 0) ctx.report(obj, `${label} sets ${problems.join(sep)}; ${hint(obj, fix)}`);
}

/** PSS restricted "Running as Non-root" and "Running as Non-root user" (PSA check_runAsNonRoot.go, check_runAsUser.go). @severity high */
const runAsNonRoot = pssPolicy({
    meta: policyMeta("pod-run-as-non-root"),
    checkPod: (pod, obj, ctx) => {
        if (bool(pod.spec, "securityContext", "runAsNonRoot") === false)
            podForbids(
                obj,
                ctx,
                "runAsNonRoot",
                false,
                "restricted: Running as Non-root",
                "set spec.securityContext.runAsNonRoot: true",
            );
        if (num(pod.spec, "securityContext", "runAsUser") === 0)
            podForbids(
                obj,
                ctx,
                "runAsUser",
                0,
                "restricted: Running as Non-root user — the pod runs as root by default",
                "set spec.securityContext.runAsUser to a non-zero uid",
            );
    },
    checkContainer: (c, pod, obj, ctx) => {
        const uid = num(c.container, "securityContext", "runAsUser");
        const own = bool(c.container, "securityContext", "runAsNonRoot");
        const podNonRoot = pod.spec ? bool(pod.spec, "securityContext", "runAsNonRoot") === true : false;
        if (uid === 0) {
            ctx.report(
                obj,
                `${c.label} runs as root (runAsUser: 0)${where(c)}; ${hint(obj, "set securityContext.runAsUser to a non-zero uid and runAsNonRoot: true")}`,
            );
        } else if (own === false) {
            ctx.report(
                obj,
                `${c.label} sets securityContext.runAsNonRoot: false${where(c)}; ${hint(obj, "set securityContext.runAsNonRoot: true")}`,
            );
        } else if (own === undefined && !podNonRoot) {
            ctx.report(
                obj,
                `${c.label} may run as root: runAsNonRoot is not true${where(c)}; ${hint(obj, "set securityContext.runAsNonRoot: true")}`,
            );
        }
    },
});

const readOnlyRootFs = containerPolicy({
    meta: policyMeta("pod-read-only-root-fs"),
    check: (c, obj, ctx) => {
        if (bool(c.container, "securityContext", "readOnlyRootFilesystem") !== true) {
            ctx.report(
                obj,
                `${c.label} has a writable root filesystem (readOnlyRootFilesystem is not true); ${hint(obj, "set securityContext.readOnlyRootFilesystem: true and mount an emptyDir for writable paths")}`,
            );
        }
    },
});

/** PSS restricted "Privilege Escalation" (PSA check_allowPrivilegeEscalation.go). @severity high */
const noPrivilegeEscalation = pssPolicy({
    meta: policyMeta("pod-no-privilege-escalation"),
    checkContainer: (c, pod, obj, ctx) => {
        if (pod.windows) return;
        if (bool(c.container, "securityContext", "allowPrivilegeEscalation") !== false) {
            ctx.report(
                obj,
                `${c.label} allows privilege escalation (allowPrivilegeEscalation is not false); ${hint(obj, "set securityContext.allowPrivilegeEscalation: false")}`,
            );
        }
    },
});

/** The strings of a list field (other values as JSON). */
function strings(root: unknown, ...path: (string | number)[]): string[] {
    return list(root, ...path).map((_, i) => {
        const v = at(root, ...path, i);
        return typeof v === "string" ? v : q(v);
    });
}

/** PSS baseline and restricted "Capabilities" (PSA check_capabilities_baseline.go, check_capabilities_restricted.go). @severity high */
const dropAllCapabilities = pssPolicy({
    meta: policyMeta("pod-drop-all-capabilities"),
    checkContainer: (c, pod, obj, ctx) => {
        if (pod.windows) return;
        const drop = strings(c.container, "securityContext", "capabilities", "drop");
        const add = strings(c.container, "securityContext", "capabilities", "add");
        if (!drop.includes(DROP_ALL)) {
            const near = drop.filter((d) => d.toUpperCase() === DROP_ALL);
            const note =
                near.length > 0
                    ? ` (${near.map(q).join(", ")} is not "ALL": Kubernetes compares capability names exactly)`
                    : "";
            ctx.report(
                obj,
                `${c.label} does not drop ALL capabilities: securityContext.capabilities.drop is ${q(drop)}${note}; ${hint(obj, 'set securityContext.capabilities.drop: ["ALL"]')}`,
            );
        }
        const extra = add.filter((a) => a !== RESTRICTED_ADD);
        if (extra.length > 0) {
            const beyondBaseline = extra.filter((a) => !BASELINE_CAPABILITIES.has(a));
            const note =
                beyondBaseline.length > 0
                    ? ` (${beyondBaseline.join(", ")} is beyond even the baseline's default set)`
                    : "";
            ctx.report(
                obj,
                `${c.label} adds capabilities ${extra.join(", ")} in securityContext.capabilities.add${note}; only "${RESTRICTED_ADD}" may be added; ${hint(obj, "remove them from securityContext.capabilities.add")}`,
            );
        }
    },
});

/** Where each workload kind keeps its pod template, from a type token. */
function templatePathOf(type: string): readonly string[] | undefined {
    return k8sObject(type, {})?.templatePath;
}

/** A seccompProfile/appArmorProfile object's type ("" when the object is there without one), or undefined when unset. */
function profileType(root: unknown, ...path: string[]): string | undefined {
    if (at(root, ...path) === undefined) return undefined;
    const t = at(root, ...path, "type");
    return typeof t === "string" ? t : t === undefined ? "" : q(t);
}

/** PSS baseline and restricted "Seccomp" (PSA check_seccompProfile_baseline.go, check_seccompProfile_restricted.go). @severity high */
const seccomp = pssPolicy({
    meta: policyMeta("pod-seccomp-runtime-default"),
    checkPod: (pod, obj, ctx) => {
        if (pod.windows) return;
        const t = profileType(pod.spec, "securityContext", "seccompProfile");
        if (t !== undefined && !SECCOMP_ALLOWED.has(t))
            podForbids(
                obj,
                ctx,
                "seccompProfile.type",
                t,
                "Seccomp: only RuntimeDefault or Localhost",
                "set spec.securityContext.seccompProfile.type: RuntimeDefault",
            );
    },
    checkContainer: (c, pod, obj, ctx) => {
        if (pod.windows) return;
        const own = profileType(c.container, "securityContext", "seccompProfile");
        const podType = pod.spec ? profileType(pod.spec, "securityContext", "seccompProfile") : undefined;
        if (own !== undefined && !SECCOMP_ALLOWED.has(own)) {
            ctx.report(
                obj,
                `${c.label} uses the seccomp profile ${own || '""'} (securityContext.seccompProfile.type)${where(c)}; ${hint(obj, "set securityContext.seccompProfile.type: RuntimeDefault")}`,
            );
        } else if (own === undefined && !(podType !== undefined && SECCOMP_ALLOWED.has(podType))) {
            ctx.report(
                obj,
                `${c.label} has no seccomp profile (securityContext.seccompProfile.type unset on the container and the pod)${where(c)}; ${hint(obj, "set securityContext.seccompProfile.type: RuntimeDefault")}`,
            );
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

/** PSS baseline "Privileged Containers" (PSA check_privileged.go). @severity high */
const noPrivileged = pssPolicy({
    meta: policyMeta("pod-no-privileged"),
    checkContainer: (c, _pod, obj, ctx) => {
        if (bool(c.container, "securityContext", "privileged") === true) {
            ctx.report(
                obj,
                `${c.label} runs privileged (securityContext.privileged: true); ${hint(obj, "set securityContext.privileged: false")}`,
            );
        }
    },
});

/** PSS baseline "Host Ports" (PSA check_hostPorts.go). @severity high */
const noHostPorts = pssPolicy({
    meta: policyMeta("pod-no-host-ports"),
    checkContainer: (c, _pod, obj, ctx) => {
        list(c.container, "ports").forEach((_, i) => {
            const hp = at(c.container, "ports", i, "hostPort");
            if (hp !== undefined && hp !== null && hp !== 0) {
                ctx.report(
                    obj,
                    `${c.label} binds host port ${String(hp)} (ports[${i}].hostPort); ${hint(obj, "remove ports[].hostPort and use a Service")}`,
                );
            }
        });
    },
});

/** PSS baseline "Host Namespaces" (PSA check_hostNamespaces.go). @severity high */
const noHostNamespaces = pssPolicy({
    meta: policyMeta("pod-no-host-namespaces"),
    checkPod: (pod, obj, ctx) => {
        for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
            if (bool(pod.spec, f) === true)
                ctx.report(obj, `the pod sets ${f}: true (spec.${f}); ${hint(obj, `remove spec.${f}`)}`);
        }
    },
});

/** PSS baseline "HostPath Volumes" (PSA check_hostPathVolumes.go). @severity high */
const noHostPath = pssPolicy({
    meta: policyMeta("pod-no-host-path"),
    checkPod: (pod, obj, ctx) => {
        list(pod.spec, "volumes").forEach((_, i) => {
            if (at(pod.spec, "volumes", i, "hostPath") !== undefined) {
                ctx.report(
                    obj,
                    `volume "${str(pod.spec, "volumes", i, "name") ?? i}" is a hostPath (${str(pod.spec, "volumes", i, "hostPath", "path") ?? "?"}) (spec.volumes[${i}].hostPath); ${hint(obj, "use an emptyDir or a PersistentVolumeClaim instead")}`,
                );
            }
        });
    },
});

/** PSS baseline "HostProcess" (PSA check_windowsHostProcess.go). @severity high */
const noHostProcess = pssPolicy({
    meta: policyMeta("pod-no-host-process"),
    checkPod: (pod, obj, ctx) => {
        if (bool(pod.spec, "securityContext", "windowsOptions", "hostProcess") === true) {
            podForbids(
                obj,
                ctx,
                "windowsOptions.hostProcess",
                true,
                "baseline: HostProcess — privileged access to the Windows node",
                "remove spec.securityContext.windowsOptions.hostProcess",
            );
        }
    },
    checkContainer: (c, _pod, obj, ctx) => {
        if (bool(c.container, "securityContext", "windowsOptions", "hostProcess") === true) {
            ctx.report(
                obj,
                `${c.label} sets securityContext.windowsOptions.hostProcess: true (privileged access to the Windows node); ${hint(obj, "remove securityContext.windowsOptions.hostProcess")}`,
            );
        }
    },
});

/** PSS baseline "Host Probes / Lifecycle Hooks", Kubernetes 1.34+ (PSA check_hostProbesAndhostLifecycle.go). @severity high */
const noProbeHost = pssPolicy({
    meta: policyMeta("pod-no-host-probes"),
    checkContainer: (c, _pod, obj, ctx) => {
        if (!checkApplies("hostProbesAndHostLifecycle", PSS_VERSION)) return;
        const bad: string[] = [];
        const look = (base: string[], label: string) => {
            for (const h of HOST_HANDLERS) {
                const host = at(c.container, ...base, h, "host");
                if (host !== undefined && host !== null && host !== "") bad.push(`${label}.${h}.host: ${q(host)}`);
            }
        };
        for (const p of PROBE_FIELDS) look([p], p);
        for (const l of LIFECYCLE_FIELDS) look(["lifecycle", l], `lifecycle.${l}`);
        containerSets(
            ctx,
            obj,
            c.label,
            bad,
            "remove the host field (probes and hooks must target the pod itself)",
            ", ",
        );
    },
});

/** PSS baseline "AppArmor" (PSA check_appArmorProfile.go). @severity high */
const appArmor = pssPolicy({
    meta: policyMeta("pod-apparmor-profile"),
    checkPod: (pod, obj, ctx) => {
        const t = profileType(pod.spec, "securityContext", "appArmorProfile");
        if (t !== undefined && !APPARMOR_TYPES_ALLOWED.has(t))
            podForbids(
                obj,
                ctx,
                "appArmorProfile.type",
                t,
                "baseline: AppArmor — only RuntimeDefault or Localhost",
                "set spec.securityContext.appArmorProfile.type: RuntimeDefault or remove it",
            );
        for (const [k, v] of pod.annotationsWithPrefix(APPARMOR_ANNOTATION_PREFIX)) {
            if (k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !appArmorAnnotationAllowed(v)) {
                ctx.report(
                    obj,
                    `the pod annotation ${k}: ${q(v)} sets a forbidden AppArmor profile (allowed: runtime/default, localhost/<profile>); ${hint(obj, `remove the annotation ${k} (or use securityContext.appArmorProfile.type: RuntimeDefault)`)}`,
                );
            }
        }
    },
    checkContainer: (c, _pod, obj, ctx) => {
        const t = profileType(c.container, "securityContext", "appArmorProfile");
        if (t !== undefined && !APPARMOR_TYPES_ALLOWED.has(t)) {
            ctx.report(
                obj,
                `${c.label} sets securityContext.appArmorProfile.type: ${q(t)} (only RuntimeDefault or Localhost); ${hint(obj, "set securityContext.appArmorProfile.type: RuntimeDefault or remove it")}`,
            );
        }
    },
});

/** What is wrong with a seLinuxOptions object (PSA: type in the allowed set, no user, no role). */
function seLinuxProblems(opts: Record<string, unknown> | undefined, path: string): string[] {
    if (!opts) return [];
    const out: string[] = [];
    const type = typeof opts["type"] === "string" ? opts["type"] : "";
    if (!allowedSeLinuxTypes(PSS_VERSION).has(type))
        out.push(
            `${path}.type: ${q(type)} (allowed: ${[...allowedSeLinuxTypes(PSS_VERSION)].filter((t) => t).join(", ")} or unset)`,
        );
    for (const f of ["user", "role"]) {
        const v = opts[f];
        if (typeof v === "string" && v !== "") out.push(`${path}.${f}: ${q(v)} (may not be set)`);
    }
    return out;
}

/** PSS baseline "SELinux" (PSA check_seLinuxOptions.go). @severity high */
const seLinux = pssPolicy({
    meta: policyMeta("pod-selinux-options"),
    checkPod: (pod, obj, ctx) => {
        const bad = seLinuxProblems(
            rec(pod.spec, "securityContext", "seLinuxOptions"),
            "spec.securityContext.seLinuxOptions",
        );
        if (bad.length > 0)
            ctx.report(
                obj,
                `the pod sets ${bad.join("; ")} (Pod Security Admission rejects it at pod level even when every container overrides it); ${hint(obj, "remove spec.securityContext.seLinuxOptions or use an allowed type")}`,
            );
    },
    checkContainer: (c, _pod, obj, ctx) => {
        const bad = seLinuxProblems(
            rec(c.container, "securityContext", "seLinuxOptions"),
            "securityContext.seLinuxOptions",
        );
        containerSets(ctx, obj, c.label, bad, "remove securityContext.seLinuxOptions or use an allowed type");
    },
});

/** PSS baseline and restricted "/proc Mount Type" (PSA check_procMount_baseline.go, check_procMount_restricted.go). @severity high */
const procMount = pssPolicy({
    meta: policyMeta("pod-default-proc-mount"),
    checkContainer: (c, _pod, obj, ctx) => {
        const v = at(c.container, "securityContext", "procMount");
        if (v !== undefined && v !== null && v !== PROC_MOUNT_DEFAULT) {
            ctx.report(
                obj,
                `${c.label} sets securityContext.procMount: ${q(v)} (only "Default": the /proc masks must stay); ${hint(obj, "remove securityContext.procMount")}`,
            );
        }
    },
});

/** PSS baseline "Sysctls" (PSA check_sysctls.go). @severity high */
const safeSysctlsOnly = pssPolicy({
    meta: policyMeta("pod-safe-sysctls"),
    checkPod: (pod, obj, ctx) => {
        const allowed = safeSysctls(PSS_VERSION);
        const bad = list(pod.spec, "securityContext", "sysctls")
            .map((_, i) => at(pod.spec, "securityContext", "sysctls", i, "name"))
            .filter((n) => typeof n !== "string" || !allowed.has(n));
        if (bad.length > 0) {
            ctx.report(
                obj,
                `the pod sets unsafe sysctls ${bad.map((n) => q(n)).join(", ")} in spec.securityContext.sysctls (not in the safe set of Kubernetes ${PSS_VERSION.join(".")}); ${hint(obj, "remove them from spec.securityContext.sysctls")}`,
            );
        }
    },
});

/** PSS restricted "Volume Types" (PSA check_restrictedVolumes.go). @severity high */
const volumeTypes = pssPolicy({
    meta: policyMeta("pod-restricted-volume-types"),
    checkPod: (pod, obj, ctx) => {
        list(pod.spec, "volumes").forEach((_, i) => {
            const v = rec(pod.spec, "volumes", i) ?? {};
            // A volume with no source is defaulted to emptyDir by the API server (SetDefaults_Volume).
            const types = Object.keys(v).filter(
                (k) =>
                    k !== "name" &&
                    v[k] !== undefined &&
                    v[k] !== null &&
                    !RESTRICTED_VOLUME_SOURCES.has(k) &&
                    k !== "hostPath",
            );
            if (types.length > 0) {
                ctx.report(
                    obj,
                    `volume "${str(pod.spec, "volumes", i, "name") ?? i}" is of type ${types.join(", ")} (spec.volumes[${i}].${types[0]}), outside the restricted allow-list (${[...RESTRICTED_VOLUME_SOURCES].join(", ")}); ${hint(obj, "use a PersistentVolumeClaim (the PersistentVolume may be of that type) or an emptyDir/ConfigMap/Secret volume")}`,
                );
            }
        });
    },
});

const resources = containerPolicy({
    meta: policyMeta("pod-resources"),
    roles: ["init", "sidecar", "main", "sidecar-template"],
    check: (c, obj, ctx) => {
        const missing: string[] = [];
        for (const kind of ["requests", "limits"]) {
            for (const r of ["cpu", "memory"]) {
                const v = at(c.container, "resources", kind, r);
                if (v === undefined || v === null || v === "") missing.push(`${kind}.${r}`);
            }
        }
        if (missing.length > 0) {
            ctx.report(
                obj,
                `${c.label} has no ${missing.join(", ")}; ${fixHint(obj, "resources", "set resources.requests and resources.limits for cpu and memory")}`,
            );
        }
    },
});

function hasHandler(probe: Record<string, unknown> | undefined): boolean {
    return !!probe && ["httpGet", "tcpSocket", "exec", "grpc"].some((h) => probe[h] !== undefined);
}

const probes = containerPolicy({
    meta: policyMeta("pod-probes"),
    roles: ["main", "sidecar", "sidecar-template"],
    kinds: new Set([...SERVING_KINDS, "ConfigMap"]),
    check: (c, obj, ctx) => {
        const missing = ["livenessProbe", "readinessProbe"].filter((p) => !hasHandler(rec(c.container, p)));
        if (missing.length > 0) {
            ctx.report(
                obj,
                `${c.label} has no ${missing.join(" and ")}; ${fixHint(obj, "probes", `add ${missing.join(" and ")}`)}`,
            );
        }
    },
});

const serviceAccountToken = podPolicy({
    meta: policyMeta("pod-no-service-account-token"),
    check: (spec, obj, ctx) => {
        const v = bool(spec, "automountServiceAccountToken");
        if (v !== false) {
            const what =
                v === true
                    ? "sets automountServiceAccountToken: true"
                    : "does not set automountServiceAccountToken: false (Kubernetes mounts a token by default)";
            ctx.report(
                obj,
                `the pod ${what}; ${fixHint(obj, "hardening", "set automountServiceAccountToken: false; mount a projected serviceAccountToken volume only if the workload calls the API")}`,
            );
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
function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
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

const imagePinned = containerPolicy({
    meta: policyMeta("pod-image-pinned"),
    check: (c, obj, ctx) => {
        const image = str(c.container, "image");
        if (image === undefined || image === "") {
            ctx.report(obj, `${c.label} has no image; ${fixHint(obj, "image", "set the container image")}`);
            return;
        }
        const p = parseImage(image);
        if (p.digest) return;
        if (!p.tag)
            ctx.report(
                obj,
                `${c.label} image ${image} has no tag (it means latest); ${fixHint(obj, "image", "pin a version tag or digest")}`,
            );
        else if (p.tag === "latest")
            ctx.report(
                obj,
                `${c.label} image ${image} uses the tag latest; ${fixHint(obj, "image", "pin a version tag or digest")}`,
            );
    },
});

const imageDigest = containerPolicy({
    meta: policyMeta("pod-image-digest"),
    check: (c, obj, ctx) => {
        const image = str(c.container, "image");
        if (image !== undefined && !parseImage(image).digest) {
            ctx.report(
                obj,
                `${c.label} image ${image} is not pinned by digest; ${fixHint(obj, "image", "append @sha256:<digest> to the image")}`,
            );
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
    volumeTypes,
    noHostProcess,
    noProbeHost,
    appArmor,
    seLinux,
    procMount,
    safeSysctlsOnly,
    resources,
    probes,
    serviceAccountToken,
    imagePinned,
    imageDigest,
];
