/**
 * The Pod Security Standards as Pod Security Admission (PSA) judges them: the check ids, their
 * level (baseline or restricted), and the allowed values of each control, per Kubernetes version
 * where they changed.
 *
 * Read from the PSA implementation, kubernetes/pod-security-admission `policy/check_*.go`
 * (snapshot of July 2026, tags up to v0.36.2 = Kubernetes 1.36), and the Kubernetes page
 * "Pod Security Standards" (kubernetes/website content/en/docs/concepts/security/pod-security-standards.md).
 * Values are compared exactly, case included, as PSA compares them (Go string equality).
 *
 * Pure data and small helpers: no side effects at import.
 */

/** A Kubernetes minor version: [major, minor]. */
type KubeVersion = readonly [number, number];

/**
 * The Kubernetes version the pack judges at: the current release (1.36). The namespaces of this
 * program use `pod-security.kubernetes.io/enforce-version: latest`, i.e. the cluster's own version.
 */
export const PSS_VERSION: KubeVersion = [1, 36];

function atLeast(v: KubeVersion, min: KubeVersion): boolean {
    return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** The PSS profile a control belongs to. */
type PssLevel = "baseline" | "restricted";

/** The PSA check ids (policy/check_*.go `ID`) and their profile. */
export const PSA_CHECKS = {
    windowsHostProcess: "baseline",
    hostNamespaces: "baseline",
    privileged: "baseline",
    capabilities_baseline: "baseline",
    hostPathVolumes: "baseline",
    hostPorts: "baseline",
    hostProbesAndHostLifecycle: "baseline",
    appArmorProfile: "baseline",
    seLinuxOptions: "baseline",
    procMount: "baseline",
    seccompProfile_baseline: "baseline",
    sysctls: "baseline",
    restrictedVolumes: "restricted",
    allowPrivilegeEscalation: "restricted",
    runAsNonRoot: "restricted",
    runAsUser: "restricted",
    seccompProfile_restricted: "restricted",
    capabilities_restricted: "restricted",
    procMount_restricted: "restricted",
} as const satisfies Record<string, PssLevel>;

export type PsaCheckId = keyof typeof PSA_CHECKS;

/** The control names of the Kubernetes "Pod Security Standards" page, per PSA check. */
export const PSS_CONTROL_NAMES: Readonly<Record<PsaCheckId, string>> = {
    windowsHostProcess: "HostProcess",
    hostNamespaces: "Host Namespaces",
    privileged: "Privileged Containers",
    capabilities_baseline: "Capabilities",
    hostPathVolumes: "HostPath Volumes",
    hostPorts: "Host Ports",
    hostProbesAndHostLifecycle: "Host Probes / Lifecycle Hooks",
    appArmorProfile: "AppArmor",
    seLinuxOptions: "SELinux",
    procMount: "/proc Mount Type",
    seccompProfile_baseline: "Seccomp",
    sysctls: "Sysctls",
    restrictedVolumes: "Volume Types",
    allowPrivilegeEscalation: "Privilege Escalation",
    runAsNonRoot: "Running as Non-root",
    runAsUser: "Running as Non-root user",
    seccompProfile_restricted: "Seccomp",
    capabilities_restricted: "Capabilities",
    procMount_restricted: "/proc Mount Type",
};

/** Since which version a check exists (check_*.go: the first `MinimumVersion`). */
const CHECK_SINCE: Partial<Record<PsaCheckId, KubeVersion>> = {
    hostProbesAndHostLifecycle: [1, 34],
    capabilities_restricted: [1, 22],
    runAsUser: [1, 23],
    seccompProfile_restricted: [1, 19],
    allowPrivilegeEscalation: [1, 8],
    procMount_restricted: [1, 35],
};

/** True when PSA runs the check at that version. */
export function checkApplies(id: PsaCheckId, v: KubeVersion = PSS_VERSION): boolean {
    const since = CHECK_SINCE[id];
    return since === undefined || atLeast(v, since);
}

/** Baseline: capabilities a container may add (check_capabilities_baseline.go, 1.0+). */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
]);
/** Restricted: drop must contain exactly this string (check_capabilities_restricted.go). */
export const DROP_ALL = "ALL";
/** Restricted: the one capability a container may add. */
export const RESTRICTED_ADD = "NET_BIND_SERVICE";

/** SELinux types allowed (check_seLinuxOptions.go; container_engine_t from 1.31). "" = unset. */
export function allowedSeLinuxTypes(v: KubeVersion = PSS_VERSION): ReadonlySet<string> {
    const base = ["", "container_t", "container_init_t", "container_kvm_t"];
    return new Set(atLeast(v, [1, 31]) ? [...base, "container_engine_t"] : base);
}

/** Safe sysctls (check_sysctls.go), with the version each was admitted. */
const SAFE_SYSCTLS: readonly (readonly [string, KubeVersion])[] = [
    ["kernel.shm_rmid_forced", [1, 0]],
    ["net.ipv4.ip_local_port_range", [1, 0]],
    ["net.ipv4.tcp_syncookies", [1, 0]],
    ["net.ipv4.ping_group_range", [1, 0]],
    ["net.ipv4.ip_unprivileged_port_start", [1, 0]],
    ["net.ipv4.ip_local_reserved_ports", [1, 27]],
    ["net.ipv4.tcp_keepalive_time", [1, 29]],
    ["net.ipv4.tcp_fin_timeout", [1, 29]],
    ["net.ipv4.tcp_keepalive_intvl", [1, 29]],
    ["net.ipv4.tcp_keepalive_probes", [1, 29]],
    ["net.ipv4.tcp_rmem", [1, 32]],
    ["net.ipv4.tcp_wmem", [1, 32]],
    ["net.ipv4.tcp_slow_start_after_idle", [1, 37]],
    ["net.ipv4.tcp_notsent_lowat", [1, 37]],
];

/** The sysctls PSA allows at a version (names compared exactly: `net/ipv4/...` is not the same name). */
export function safeSysctls(v: KubeVersion = PSS_VERSION): ReadonlySet<string> {
    return new Set(SAFE_SYSCTLS.filter(([, since]) => atLeast(v, since)).map(([n]) => n));
}

/** Restricted: the only inline volume sources allowed (check_restrictedVolumes.go). */
export const RESTRICTED_VOLUME_SOURCES: ReadonlySet<string> = new Set([
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
]);

/** Seccomp profile types allowed (check_seccompProfile_*.go). */
export const SECCOMP_ALLOWED: ReadonlySet<string> = new Set(["RuntimeDefault", "Localhost"]);

/** AppArmor profile types allowed in `appArmorProfile.type` (check_appArmorProfile.go). */
export const APPARMOR_TYPES_ALLOWED: ReadonlySet<string> = new Set(["RuntimeDefault", "Localhost"]);
/** Prefix of the legacy per-container AppArmor annotation (k8s.io/api core/v1 annotation_key_constants.go). */
export const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

/** A legacy AppArmor annotation value PSA allows: empty, `runtime/default` or `localhost/<profile>`. */
export function appArmorAnnotationAllowed(value: string): boolean {
    return value === "" || value === "runtime/default" || value.startsWith("localhost/");
}

/** procMount values allowed (check_procMount_*.go): unset or "Default". */
export const PROC_MOUNT_DEFAULT = "Default";

/** The probes and lifecycle handlers whose `host` is restricted (check_hostProbesAndhostLifecycle.go). */
export const PROBE_FIELDS = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
export const LIFECYCLE_FIELDS = ["postStart", "preStop"] as const;
export const HOST_HANDLERS = ["httpGet", "tcpSocket"] as const;
