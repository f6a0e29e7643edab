/**
 * Every Pod Security Standards control, baseline and restricted, judged as Pod Security Admission
 * judges it (kubernetes/pod-security-admission policy/check_*.go): a fully hardened pod passes; each
 * case breaks (or sets to an allowed value) one field of it, on every workload kind. Plus every
 * container kind (init, native sidecar, ephemeral, the injected sidecar), container-over-pod
 * precedence, the version-dependent allow-lists, Windows pods, and a data store exposed by a
 * Service, Ingress, Route or HTTPRoute whether or not its workload is among the objects.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { describe, expect, it } from "vitest";
import { POLICIES } from "../policies/pack";
import { metaOf } from "../policies/lib/define";
import {
    PSA_CHECKS,
    PSS_CONTROL_NAMES,
    PSS_VERSION,
    PsaCheckId,
    allowedSeLinuxTypes,
    checkApplies,
    safeSysctls,
} from "../policies/lib/pss";
import {
    Obj,
    PodTemplate,
    WORKLOAD_KINDS,
    asWorkload,
    defaultDeny,
    hardenedPodTemplate,
    image,
    pssGapManifests,
    sidecarContainerObject,
    sidecarTemplate,
} from "../tools/policy/fixtures";
import { Violation, evaluateManifests } from "../tools/policy/run";

const ROOT = path.resolve(__dirname, "..");

async function evaluate(objects: Obj[], level: 1 | 2 | 3 = 3): Promise<Violation[]> {
    return evaluateManifests(objects, { level });
}

/** A hardened workload of `kind`, with `change` applied to its pod template and main container. */
function workload(kind: (typeof WORKLOAD_KINDS)[number], change: (t: PodTemplate, c: Obj) => void = () => {}): Obj[] {
    const t = hardenedPodTemplate();
    change(t, t.spec["containers"][0]);
    return [defaultDeny(), asWorkload(kind, t)];
}

const sc = (c: Obj): Obj => c["securityContext"];
const podSc = (t: PodTemplate): Obj => t.spec["securityContext"];

interface FailCase {
    readonly control: PsaCheckId;
    readonly policy: string;
    readonly title: string;
    readonly change: (t: PodTemplate, c: Obj) => void;
    /** The field (and value) the message names. */
    readonly field: string;
}

/** One broken field each; only `policy` may report it. */
const FAIL: readonly FailCase[] = [
    // baseline
    {
        control: "windowsHostProcess",
        policy: "pod-no-host-process",
        title: "container hostProcess: true",
        change: (_t, c) => (sc(c)["windowsOptions"] = { hostProcess: true }),
        field: "securityContext.windowsOptions.hostProcess: true",
    },
    {
        control: "windowsHostProcess",
        policy: "pod-no-host-process",
        title: "pod-level hostProcess: true",
        change: (t) => (podSc(t)["windowsOptions"] = { hostProcess: true }),
        field: "spec.securityContext.windowsOptions.hostProcess: true",
    },
    {
        control: "hostNamespaces",
        policy: "pod-no-host-namespaces",
        title: "hostNetwork",
        change: (t) => (t.spec["hostNetwork"] = true),
        field: "spec.hostNetwork",
    },
    {
        control: "hostNamespaces",
        policy: "pod-no-host-namespaces",
        title: "hostPID",
        change: (t) => (t.spec["hostPID"] = true),
        field: "spec.hostPID",
    },
    {
        control: "hostNamespaces",
        policy: "pod-no-host-namespaces",
        title: "hostIPC",
        change: (t) => (t.spec["hostIPC"] = true),
        field: "spec.hostIPC",
    },
    {
        control: "privileged",
        policy: "pod-no-privileged",
        title: "privileged: true",
        change: (_t, c) => (sc(c)["privileged"] = true),
        field: "securityContext.privileged: true",
    },
    {
        control: "capabilities_baseline",
        policy: "pod-drop-all-capabilities",
        title: "adds SYS_ADMIN (beyond the baseline set)",
        change: (_t, c) => (sc(c)["capabilities"]["add"] = ["SYS_ADMIN"]),
        field: "SYS_ADMIN is beyond even the baseline's default set",
    },
    {
        control: "hostPathVolumes",
        policy: "pod-no-host-path",
        title: "hostPath volume",
        change: (t) => t.spec["volumes"].push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } }),
        field: "spec.volumes[1].hostPath",
    },
    {
        control: "hostPorts",
        policy: "pod-no-host-ports",
        title: "hostPort",
        change: (_t, c) => (c["ports"][0]["hostPort"] = 8080),
        field: "ports[0].hostPort",
    },
    {
        control: "hostProbesAndHostLifecycle",
        policy: "pod-no-host-probes",
        title: "livenessProbe httpGet host",
        change: (_t, c) => (c["livenessProbe"]["httpGet"]["host"] = "10.0.0.1"),
        field: 'livenessProbe.httpGet.host: "10.0.0.1"',
    },
    {
        control: "hostProbesAndHostLifecycle",
        policy: "pod-no-host-probes",
        title: "startupProbe tcpSocket host",
        change: (_t, c) => (c["startupProbe"] = { tcpSocket: { port: 8080, host: "metadata.google.internal" } }),
        field: "startupProbe.tcpSocket.host",
    },
    {
        control: "hostProbesAndHostLifecycle",
        policy: "pod-no-host-probes",
        title: "preStop httpGet host",
        change: (_t, c) =>
            (c["lifecycle"] = { preStop: { httpGet: { path: "/drain", port: 8080, host: "127.0.0.1" } } }),
        field: "lifecycle.preStop.httpGet.host",
    },
    {
        control: "appArmorProfile",
        policy: "pod-apparmor-profile",
        title: "container appArmorProfile Unconfined",
        change: (_t, c) => (sc(c)["appArmorProfile"] = { type: "Unconfined" }),
        field: 'securityContext.appArmorProfile.type: "Unconfined"',
    },
    {
        control: "appArmorProfile",
        policy: "pod-apparmor-profile",
        title: "pod-level appArmorProfile Unconfined",
        change: (t) => (podSc(t)["appArmorProfile"] = { type: "Unconfined" }),
        field: 'spec.securityContext.appArmorProfile.type: "Unconfined"',
    },
    {
        control: "appArmorProfile",
        policy: "pod-apparmor-profile",
        title: "legacy annotation unconfined",
        change: (t) => (t.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] = "unconfined"),
        field: 'container.apparmor.security.beta.kubernetes.io/app: "unconfined"',
    },
    {
        control: "seLinuxOptions",
        policy: "pod-selinux-options",
        title: "container type spc_t",
        change: (_t, c) => (sc(c)["seLinuxOptions"] = { type: "spc_t" }),
        field: 'securityContext.seLinuxOptions.type: "spc_t"',
    },
    {
        control: "seLinuxOptions",
        policy: "pod-selinux-options",
        title: "pod-level type unconfined_t",
        change: (t) => (podSc(t)["seLinuxOptions"] = { type: "unconfined_t" }),
        field: 'spec.securityContext.seLinuxOptions.type: "unconfined_t"',
    },
    {
        control: "seLinuxOptions",
        policy: "pod-selinux-options",
        title: "user set",
        change: (_t, c) => (sc(c)["seLinuxOptions"] = { user: "system_u" }),
        field: 'seLinuxOptions.user: "system_u"',
    },
    {
        control: "seLinuxOptions",
        policy: "pod-selinux-options",
        title: "pod-level role set",
        change: (t) => (podSc(t)["seLinuxOptions"] = { role: "system_r" }),
        field: 'spec.securityContext.seLinuxOptions.role: "system_r"',
    },
    {
        control: "procMount",
        policy: "pod-default-proc-mount",
        title: "procMount Unmasked",
        change: (_t, c) => (sc(c)["procMount"] = "Unmasked"),
        field: 'securityContext.procMount: "Unmasked"',
    },
    {
        control: "procMount_restricted",
        policy: "pod-default-proc-mount",
        title: "procMount Unmasked in a user-namespace pod (restricted)",
        change: (t, c) => ((t.spec["hostUsers"] = false), (sc(c)["procMount"] = "Unmasked")),
        field: 'securityContext.procMount: "Unmasked"',
    },
    {
        control: "procMount",
        policy: "pod-default-proc-mount",
        title: "procMount default (lowercase is not Default)",
        change: (_t, c) => (sc(c)["procMount"] = "default"),
        field: 'securityContext.procMount: "default"',
    },
    {
        control: "seccompProfile_baseline",
        policy: "pod-seccomp-runtime-default",
        title: "container seccomp Unconfined",
        change: (_t, c) => (sc(c)["seccompProfile"] = { type: "Unconfined" }),
        field: "seccomp profile Unconfined (securityContext.seccompProfile.type)",
    },
    {
        control: "seccompProfile_baseline",
        policy: "pod-seccomp-runtime-default",
        title: "pod-level seccomp Unconfined overridden by every container",
        change: (t) => (podSc(t)["seccompProfile"] = { type: "Unconfined" }),
        field: 'spec.securityContext.seccompProfile.type: "Unconfined"',
    },
    {
        control: "sysctls",
        policy: "pod-safe-sysctls",
        title: "kernel.msgmax",
        change: (t) => (podSc(t)["sysctls"] = [{ name: "kernel.msgmax", value: "65536" }]),
        field: '"kernel.msgmax" in spec.securityContext.sysctls',
    },
    {
        control: "sysctls",
        policy: "pod-safe-sysctls",
        title: "net.core.somaxconn (namespaced, not in the safe set)",
        change: (t) => (podSc(t)["sysctls"] = [{ name: "net.core.somaxconn", value: "1024" }]),
        field: '"net.core.somaxconn"',
    },
    {
        control: "sysctls",
        policy: "pod-safe-sysctls",
        title: "a safe sysctl written with slashes (PSA compares names exactly)",
        change: (t) => (podSc(t)["sysctls"] = [{ name: "net/ipv4/tcp_syncookies", value: "1" }]),
        field: '"net/ipv4/tcp_syncookies"',
    },
    {
        control: "sysctls",
        policy: "pod-safe-sysctls",
        title: "tcp_slow_start_after_idle (safe only from 1.37)",
        change: (t) => (podSc(t)["sysctls"] = [{ name: "net.ipv4.tcp_slow_start_after_idle", value: "0" }]),
        field: '"net.ipv4.tcp_slow_start_after_idle"',
    },
    // restricted
    ...(
        [
            "nfs",
            "iscsi",
            "gitRepo",
            "glusterfs",
            "rbd",
            "flexVolume",
            "cinder",
            "cephfs",
            "fc",
            "azureFile",
            "azureDisk",
            "vsphereVolume",
            "portworxVolume",
            "scaleIO",
            "storageos",
            "awsElasticBlockStore",
            "gcePersistentDisk",
        ] as const
    ).map((type): FailCase => ({
        control: "restrictedVolumes",
        policy: "pod-restricted-volume-types",
        title: `${type} volume`,
        change: (t) => t.spec["volumes"].push({ name: "data", [type]: { driver: "x" } }),
        field: `of type ${type} (spec.volumes[1].${type})`,
    })),
    {
        control: "allowPrivilegeEscalation",
        policy: "pod-no-privilege-escalation",
        title: "allowPrivilegeEscalation unset",
        change: (_t, c) => delete sc(c)["allowPrivilegeEscalation"],
        field: "allowPrivilegeEscalation is not false",
    },
    {
        control: "allowPrivilegeEscalation",
        policy: "pod-no-privilege-escalation",
        title: "allowPrivilegeEscalation true",
        change: (_t, c) => (sc(c)["allowPrivilegeEscalation"] = true),
        field: "allowPrivilegeEscalation is not false",
    },
    {
        control: "runAsNonRoot",
        policy: "pod-run-as-non-root",
        title: "runAsNonRoot unset on container and pod",
        change: (t, c) => (delete sc(c)["runAsNonRoot"], delete podSc(t)["runAsNonRoot"]),
        field: "runAsNonRoot is not true",
    },
    {
        control: "runAsNonRoot",
        policy: "pod-run-as-non-root",
        title: "container runAsNonRoot false under a pod-level true",
        change: (_t, c) => (sc(c)["runAsNonRoot"] = false),
        field: "securityContext.runAsNonRoot: false",
    },
    {
        control: "runAsNonRoot",
        policy: "pod-run-as-non-root",
        title: "pod-level runAsNonRoot false overridden by every container",
        change: (t) => (podSc(t)["runAsNonRoot"] = false),
        field: "spec.securityContext.runAsNonRoot: false",
    },
    {
        control: "runAsUser",
        policy: "pod-run-as-non-root",
        title: "container runAsUser 0",
        change: (_t, c) => (sc(c)["runAsUser"] = 0),
        field: "runs as root (runAsUser: 0)",
    },
    {
        control: "runAsUser",
        policy: "pod-run-as-non-root",
        title: "pod-level runAsUser 0 overridden by every container",
        change: (t, c) => ((podSc(t)["runAsUser"] = 0), (sc(c)["runAsUser"] = 10001)),
        field: "spec.securityContext.runAsUser: 0",
    },
    {
        control: "seccompProfile_restricted",
        policy: "pod-seccomp-runtime-default",
        title: "no seccomp profile on container or pod",
        change: (t, c) => (delete sc(c)["seccompProfile"], delete podSc(t)["seccompProfile"]),
        field: "has no seccomp profile",
    },
    {
        control: "seccompProfile_restricted",
        policy: "pod-seccomp-runtime-default",
        title: "seccomp runtimedefault (lowercase)",
        change: (_t, c) => (sc(c)["seccompProfile"] = { type: "runtimedefault" }),
        field: "seccomp profile runtimedefault",
    },
    {
        control: "capabilities_restricted",
        policy: "pod-drop-all-capabilities",
        title: "drop [all] lowercase",
        change: (_t, c) => (sc(c)["capabilities"] = { drop: ["all"] }),
        field: '"all" is not "ALL"',
    },
    {
        control: "capabilities_restricted",
        policy: "pod-drop-all-capabilities",
        title: "no capabilities",
        change: (_t, c) => delete sc(c)["capabilities"],
        field: "does not drop ALL capabilities",
    },
    {
        control: "capabilities_restricted",
        policy: "pod-drop-all-capabilities",
        title: "adds CHOWN (baseline default set, not restricted)",
        change: (_t, c) => (sc(c)["capabilities"]["add"] = ["CHOWN"]),
        field: "adds capabilities CHOWN in securityContext.capabilities.add",
    },
    {
        control: "capabilities_restricted",
        policy: "pod-drop-all-capabilities",
        title: "adds net_bind_service (lowercase)",
        change: (_t, c) => (sc(c)["capabilities"]["add"] = ["net_bind_service"]),
        field: "adds capabilities net_bind_service",
    },
    {
        control: "capabilities_restricted",
        policy: "pod-drop-all-capabilities",
        title: "adds CAP_NET_BIND_SERVICE (prefixed)",
        change: (_t, c) => (sc(c)["capabilities"]["add"] = ["CAP_NET_BIND_SERVICE"]),
        field: "adds capabilities CAP_NET_BIND_SERVICE",
    },
];

interface PassCase {
    readonly control: PsaCheckId;
    readonly title: string;
    readonly change: (t: PodTemplate, c: Obj) => void;
}

/** Allowed values: no policy reports anything. */
const PASS: readonly PassCase[] = [
    {
        control: "windowsHostProcess",
        title: "hostProcess: false",
        change: (t, c) => (
            (sc(c)["windowsOptions"] = { hostProcess: false }),
            (podSc(t)["windowsOptions"] = { hostProcess: false })
        ),
    },
    {
        control: "hostNamespaces",
        title: "host namespaces false",
        change: (t) => Object.assign(t.spec, { hostNetwork: false, hostPID: false, hostIPC: false }),
    },
    { control: "privileged", title: "privileged unset", change: (_t, c) => delete sc(c)["privileged"] },
    {
        control: "capabilities_restricted",
        title: "adds NET_BIND_SERVICE",
        change: (_t, c) => (sc(c)["capabilities"]["add"] = ["NET_BIND_SERVICE"]),
    },
    { control: "hostPorts", title: "hostPort 0", change: (_t, c) => (c["ports"][0]["hostPort"] = 0) },
    {
        control: "hostProbesAndHostLifecycle",
        title: "probe host empty",
        change: (_t, c) => (
            (c["livenessProbe"]["httpGet"]["host"] = ""),
            (c["lifecycle"] = { preStop: { sleep: { seconds: 5 } } })
        ),
    },
    {
        control: "appArmorProfile",
        title: "RuntimeDefault field, Localhost field, runtime/default and localhost/ annotations",
        change: (t, c) => {
            podSc(t)["appArmorProfile"] = { type: "RuntimeDefault" };
            sc(c)["appArmorProfile"] = { type: "Localhost", localhostProfile: "k8s-app" };
            t.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] = "runtime/default";
            t.metadata.annotations["container.apparmor.security.beta.kubernetes.io/other"] = "localhost/k8s-app";
        },
    },
    {
        control: "seLinuxOptions",
        title: "allowed types and a level",
        change: (t, c) => (
            (podSc(t)["seLinuxOptions"] = { level: "s0:c123,c456" }),
            (sc(c)["seLinuxOptions"] = { type: "container_init_t" })
        ),
    },
    {
        control: "seLinuxOptions",
        title: "container_engine_t (1.31+)",
        change: (_t, c) => (sc(c)["seLinuxOptions"] = { type: "container_engine_t" }),
    },
    { control: "procMount", title: "procMount Default", change: (_t, c) => (sc(c)["procMount"] = "Default") },
    {
        control: "seccompProfile_restricted",
        title: "Localhost profile",
        change: (_t, c) => (sc(c)["seccompProfile"] = { type: "Localhost", localhostProfile: "profiles/app.json" }),
    },
    {
        control: "seccompProfile_restricted",
        title: "container unset, pod RuntimeDefault",
        change: (_t, c) => delete sc(c)["seccompProfile"],
    },
    {
        control: "seccompProfile_restricted",
        title: "pod unset, container RuntimeDefault",
        change: (t) => delete podSc(t)["seccompProfile"],
    },
    {
        control: "sysctls",
        title: `every safe sysctl of ${PSS_VERSION.join(".")}`,
        change: (t) => (podSc(t)["sysctls"] = [...safeSysctls(PSS_VERSION)].map((name) => ({ name, value: "1" }))),
    },
    {
        control: "restrictedVolumes",
        title: "every allowed volume type, and a volume with no source (defaulted to emptyDir)",
        change: (t) =>
            t.spec["volumes"].push(
                { name: "cm", configMap: { name: "cfg" } },
                { name: "sec", secret: { secretName: "s" } },
                { name: "dapi", downwardAPI: { items: [] } },
                { name: "proj", projected: { sources: [] } },
                { name: "csi", csi: { driver: "secrets-store.csi.k8s.io" } },
                { name: "pvc", persistentVolumeClaim: { claimName: "data" } },
                {
                    name: "eph",
                    ephemeral: {
                        volumeClaimTemplate: {
                            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
                        },
                    },
                },
                { name: "img", image: { reference: image("example.com/models", "1.0.0") } },
                { name: "bare" },
            ),
    },
    { control: "runAsNonRoot", title: "container unset, pod true", change: (_t, c) => delete sc(c)["runAsNonRoot"] },
    {
        control: "runAsUser",
        title: "non-zero runAsUser on pod and container",
        change: (_t, c) => (sc(c)["runAsUser"] = 1000),
    },
];

const KINDS = WORKLOAD_KINDS;

describe("a fully hardened pod passes every policy on every workload kind", () => {
    it.each(KINDS)("%s", async (kind) => {
        expect(await evaluate(workload(kind))).toEqual([]);
    });
});

describe("each Pod Security Standards control: one broken field, flagged on every workload kind", () => {
    for (const c of FAIL) {
        it.each(KINDS)(`${c.control} / ${c.title}: %s`, async (kind) => {
            const vs = await evaluate(workload(kind, c.change));
            expect(vs.length, `no violation`).toBeGreaterThan(0);
            expect([...new Set(vs.map((v) => v.policy))]).toEqual([c.policy]);
            for (const v of vs) {
                expect(v.resource).toEqual({ kind, namespace: "apps", name: "app" });
                expect(v.enforcement).toBe("mandatory");
                expect(v.message).toContain("fix: ");
            }
            expect(vs.map((v) => v.message).join("\n")).toContain(c.field);
        });
    }
});

describe("each Pod Security Standards control: allowed values pass on every workload kind", () => {
    for (const c of PASS) {
        it.each(KINDS)(`${c.control} / ${c.title}: %s`, async (kind) => {
            expect(await evaluate(workload(kind, c.change))).toEqual([]);
        });
    }
});

describe("every container kind, and the injected sidecar", () => {
    /** A hardened container without probes, ports or resources (an ephemeral container may have none). */
    function bare(name: string): Obj {
        const c = structuredClone(hardenedPodTemplate(name).spec["containers"][0]);
        for (const k of ["ports", "livenessProbe", "readinessProbe"]) delete c[k];
        return c;
    }
    function withAllKinds(t: PodTemplate): void {
        const init = bare("migrate");
        const sidecar = { ...structuredClone(t.spec["containers"][0]), name: "proxy", restartPolicy: "Always" };
        const ephemeral = bare("debug");
        delete ephemeral["resources"];
        t.spec["initContainers"] = [init, sidecar];
        t.spec["ephemeralContainers"] = [ephemeral];
    }
    const where = {
        migrate: ["initContainers", 0, 'init container "migrate"'],
        proxy: ["initContainers", 1, 'sidecar container "proxy"'],
        debug: ["ephemeralContainers", 0, 'ephemeral container "debug"'],
    } as const;

    it.each(["Pod", "Deployment", "CronJob"] as const)(
        "%s with init, native sidecar and ephemeral containers passes",
        async (kind) => {
            expect(await evaluate(workload(kind, (t) => withAllKinds(t)))).toEqual([]);
        },
    );

    const breaks: [string, string, (c: Obj) => void, string][] = [
        [
            "pod-default-proc-mount",
            "procMount Unmasked",
            (c) => (c["securityContext"]["procMount"] = "Unmasked"),
            "securityContext.procMount",
        ],
        [
            "pod-drop-all-capabilities",
            "drop [all]",
            (c) => (c["securityContext"]["capabilities"] = { drop: ["all"] }),
            '"all" is not "ALL"',
        ],
        [
            "pod-selinux-options",
            "type spc_t",
            (c) => (c["securityContext"]["seLinuxOptions"] = { type: "spc_t" }),
            "seLinuxOptions.type",
        ],
        ["pod-run-as-non-root", "runAsUser 0", (c) => (c["securityContext"]["runAsUser"] = 0), "runs as root"],
        [
            "pod-no-host-process",
            "hostProcess",
            (c) => (c["securityContext"]["windowsOptions"] = { hostProcess: true }),
            "windowsOptions.hostProcess",
        ],
    ];
    for (const [policy, title, change, field] of breaks) {
        for (const [list, index, label] of Object.values(where)) {
            it.each(["Pod", "Deployment", "CronJob"] as const)(`${policy}: ${title} on ${label}: %s`, async (kind) => {
                const vs = await evaluate(
                    workload(kind, (t) => {
                        withAllKinds(t);
                        change(t.spec[list][index]);
                    }),
                );
                expect([...new Set(vs.map((v) => v.policy))]).toEqual([policy]);
                expect(vs.map((v) => v.message)).toEqual([expect.stringContaining(label)]);
                expect(vs[0]!.message).toContain(field);
            });
        }
    }
    it("a native sidecar needs probes and resources like a main container; a plain init container needs no probes", async () => {
        const vs = await evaluate(
            workload("Deployment", (tpl) => {
                withAllKinds(tpl);
                delete tpl.spec["initContainers"][1]["readinessProbe"];
                delete tpl.spec["initContainers"][1]["resources"]["limits"];
            }),
        );
        expect(vs.map((v) => `${v.policy}: ${v.message.split(";")[0]}`).sort()).toEqual([
            'pod-probes: Deployment apps/app: sidecar container "proxy" has no readinessProbe',
            'pod-resources: Deployment apps/app: sidecar container "proxy" has no limits.cpu, limits.memory',
        ]);
    });

    it("the injected sidecar (sidecar template, a native sidecar) is judged on its own securityContext", async () => {
        const clean = { ...sidecarContainerObject(), restartPolicy: "Always" };
        expect(await evaluate([sidecarTemplate(clean)])).toEqual([]);
        const cases: [string, (c: Obj) => void, string][] = [
            ["pod-default-proc-mount", (c) => (c["securityContext"]["procMount"] = "Unmasked"), "procMount"],
            [
                "pod-apparmor-profile",
                (c) => (c["securityContext"]["appArmorProfile"] = { type: "Unconfined" }),
                "appArmorProfile.type",
            ],
            [
                "pod-selinux-options",
                (c) => (c["securityContext"]["seLinuxOptions"] = { type: "spc_t" }),
                "seLinuxOptions.type",
            ],
            [
                "pod-drop-all-capabilities",
                (c) => (c["securityContext"]["capabilities"] = { drop: ["all"] }),
                "capabilities.drop",
            ],
            [
                "pod-no-host-probes",
                (c) => (c["livenessProbe"]["httpGet"]["host"] = "10.0.0.1"),
                "livenessProbe.httpGet.host",
            ],
            [
                "pod-no-host-process",
                (c) => (c["securityContext"]["windowsOptions"] = { hostProcess: true }),
                "hostProcess",
            ],
            // No pod to fall back on: the sidecar must set the required values itself.
            [
                "pod-seccomp-runtime-default",
                (c) => delete c["securityContext"]["seccompProfile"],
                "has no seccomp profile",
            ],
            ["pod-run-as-non-root", (c) => delete c["securityContext"]["runAsNonRoot"], "may run as root"],
        ];
        for (const [policy, change, field] of cases) {
            const bad = structuredClone(clean);
            change(bad);
            const vs = await evaluate([sidecarTemplate(bad)]);
            expect(
                vs.map((v) => v.policy),
                policy,
            ).toEqual([policy]);
            expect(vs[0]!.resource).toEqual({
                kind: "ConfigMap",
                namespace: "agentstack-system",
                name: "envoy-sidecar-template",
            });
            expect(vs[0]!.message).toContain('injected sidecar "envoy"');
            expect(vs[0]!.message).toContain(field);
        }
    });
});

describe("as Pod Security Admission judges it", () => {
    it("Windows pods (spec.os.name windows) are exempt from allowPrivilegeEscalation, capabilities and seccomp, not from HostProcess", async () => {
        const windows = (t: PodTemplate, c: Obj) => {
            t.spec["os"] = { name: "windows" };
            delete podSc(t)["seccompProfile"];
            for (const f of ["allowPrivilegeEscalation", "capabilities", "seccompProfile"]) delete sc(c)[f];
        };
        expect(await evaluate(workload("Deployment", windows))).toEqual([]);
        const vs = await evaluate(
            workload("Deployment", (t, c) => (windows(t, c), (sc(c)["windowsOptions"] = { hostProcess: true }))),
        );
        expect(vs.map((v) => v.policy)).toEqual(["pod-no-host-process"]);
        // A Linux pod with the same gaps is flagged by all three.
        const linux = await evaluate(
            workload("Deployment", (t, c) => {
                delete podSc(t)["seccompProfile"];
                for (const f of ["allowPrivilegeEscalation", "capabilities", "seccompProfile"]) delete sc(c)[f];
            }),
        );
        expect(linux.map((v) => v.policy).sort()).toEqual([
            "pod-drop-all-capabilities",
            "pod-no-privilege-escalation",
            "pod-seccomp-runtime-default",
        ]);
    });

    it("a forbidden value is reported where it is set: once about the pod, once about the container", async () => {
        const vs = await evaluate(
            workload(
                "Pod",
                (t, c) => (
                    (podSc(t)["seLinuxOptions"] = { type: "spc_t" }),
                    (sc(c)["seLinuxOptions"] = { type: "spc_t" })
                ),
            ),
        );
        expect(vs.map((v) => v.message.split(";")[0]!.replace(/ \(allowed.*$/, "")).sort()).toEqual([
            'Pod apps/app: container "app" sets securityContext.seLinuxOptions.type: "spc_t"',
            'Pod apps/app: the pod sets spec.securityContext.seLinuxOptions.type: "spc_t"',
        ]);
    });

    it("the allow-lists follow the Kubernetes version (check_sysctls.go, check_seLinuxOptions.go, check ids' MinimumVersion)", () => {
        expect(PSS_VERSION).toEqual([1, 36]);
        expect(safeSysctls([1, 26]).has("net.ipv4.ip_local_reserved_ports")).toBe(false);
        expect(safeSysctls([1, 27]).has("net.ipv4.ip_local_reserved_ports")).toBe(true);
        expect(safeSysctls([1, 31]).has("net.ipv4.tcp_rmem")).toBe(false);
        expect(safeSysctls([1, 32]).has("net.ipv4.tcp_rmem")).toBe(true);
        expect(safeSysctls([1, 36]).has("net.ipv4.tcp_notsent_lowat")).toBe(false);
        expect(safeSysctls([1, 37]).has("net.ipv4.tcp_notsent_lowat")).toBe(true);
        expect(safeSysctls().size).toBe(12);
        expect(allowedSeLinuxTypes([1, 30]).has("container_engine_t")).toBe(false);
        expect(allowedSeLinuxTypes([1, 31]).has("container_engine_t")).toBe(true);
        expect(checkApplies("hostProbesAndHostLifecycle", [1, 33])).toBe(false);
        expect(checkApplies("hostProbesAndHostLifecycle")).toBe(true);
        expect(checkApplies("procMount_restricted")).toBe(true);
    });

    it("an unknown checksum annotation does not stop the AppArmor check; an unknown AppArmor annotation is could-not-verify", async () => {
        const ok = await evaluate(
            workload(
                "Deployment",
                (t) => (t.metadata.annotations["checksum/config"] = { $unknown: true } as unknown as string),
            ),
        );
        expect(ok).toEqual([]);
        const vs = await evaluate(
            workload(
                "Deployment",
                (t) =>
                    (t.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] = {
                        $unknown: true,
                    } as unknown as string),
            ),
        );
        expect(vs.map((v) => v.policy)).toEqual(["pod-apparmor-profile"]);
        expect(vs[0]!.message).toMatch(
            /could not verify the pod: .*container\.apparmor\.security\.beta\.kubernetes\.io\/app is unknown during preview/,
        );
        expect(vs[0]!.enforcement).toBe("mandatory");
    });
});

describe("every control is a policy, listed in docs/policies.md", () => {
    it("every Pod Security Admission check is implemented by a policy of level 1 (mandatory at every level)", () => {
        const byCheck = new Map<PsaCheckId, string[]>();
        for (const p of POLICIES)
            for (const id of metaOf(p).pss ?? []) byCheck.set(id, [...(byCheck.get(id) ?? []), p.name]);
        expect(Object.keys(PSA_CHECKS).filter((id) => !byCheck.has(id as PsaCheckId))).toEqual([]);
        for (const names of byCheck.values())
            for (const n of names) expect(metaOf(POLICIES.find((p) => p.name === n)!).level).toBe(1);
        // Every case table above exercises every check.
        expect(Object.keys(PSA_CHECKS).filter((id) => !FAIL.some((c) => c.control === id))).toEqual([]);
    });

    it("docs/policies.md names each pod policy's PSS controls and level (others: agentstack checklist)", () => {
        const doc = fs.readFileSync(path.join(ROOT, "docs", "policies.md"), "utf8");
        for (const p of POLICIES) {
            const meta = metaOf(p);
            const row = doc.split("\n").find((l) => l.startsWith(`| \`${p.name}\` |`));
            expect(row, p.name).toBeDefined();
            const cells = row!.split(" | ");
            expect(cells[1]!.startsWith(String(meta.level)), p.name).toBe(true);
            const controls = (meta.pss ?? []).map((id) => `${PSA_CHECKS[id]}: ${PSS_CONTROL_NAMES[id]}`);
            if (controls.length === 0) expect(cells[3], p.name).toBe("agentstack checklist");
            else for (const c of controls) expect(cells[3], p.name).toContain(c);
        }
    });
});

describe("a data store is never exposed, whether or not its workload is among the objects", () => {
    const pgSelector = { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "orders-db" };
    const svc = (spec: Obj, selector: Record<string, string> = pgSelector, name = "db"): Obj => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: "shop" },
        spec: { selector, ports: [{ port: 5432 }], ...spec },
    });
    const exposure = async (objects: Obj[]) =>
        (await evaluate(objects)).filter((v) => v.policy === "network-data-store-exposure");

    it.each([
        ["LoadBalancer", { type: "LoadBalancer" }, "spec.type: LoadBalancer"],
        ["NodePort", { type: "NodePort" }, "spec.type: NodePort"],
        ["externalIPs", { type: "ClusterIP", externalIPs: ["203.0.113.10"] }, "spec.externalIPs"],
    ] as const)("a %s Service selecting a PostgreSQL pod, judged on its own", async (_n, spec, field) => {
        const vs = await exposure([svc(spec)]);
        expect(vs).toHaveLength(1);
        expect(vs[0]!.resource).toEqual({ kind: "Service", namespace: "shop", name: "db" });
        expect(vs[0]!.enforcement).toBe("mandatory");
        expect(vs[0]!.message).toContain(
            `a data store (spec.selector app.kubernetes.io/name=postgresql) outside the cluster (${field}); fix: make the Service type ClusterIP`,
        );
    });

    it.each([
        ["legacy app label", { app: "mongo" }, "app=mongo"],
        ["the agentstack data-store label", { "agentstack.io/data-store": "true" }, "agentstack.io/data-store=true"],
        [
            "a database component label",
            { "app.kubernetes.io/component": "database", "app.kubernetes.io/instance": "x" },
            "app.kubernetes.io/component=database",
        ],
        ["a vector store by name", { "app.kubernetes.io/name": "qdrant" }, "app.kubernetes.io/name=qdrant"],
        ["a product token of the name", { app: "orders-postgres" }, "app=orders-postgres"],
    ] as const)("recognised by %s", async (_n, selector, reason) => {
        const vs = await exposure([svc({ type: "LoadBalancer" }, selector)]);
        expect(vs.map((v) => v.message)).toEqual([expect.stringContaining(`spec.selector ${reason}`)]);
    });

    it("a ClusterIP Service of a data store, and a LoadBalancer Service of anything else, pass", async () => {
        expect(await exposure([svc({ type: "ClusterIP" })])).toEqual([]);
        expect(await exposure([svc({ type: "LoadBalancer" }, { "app.kubernetes.io/name": "gateway" })])).toEqual([]);
        expect(await exposure([svc({ type: "LoadBalancer" }, {})])).toEqual([]);
        // Tools beside a data store hold no data.
        expect(
            await exposure([svc({ type: "LoadBalancer" }, { "app.kubernetes.io/name": "postgres-exporter" })]),
        ).toEqual([]);
        expect(await exposure([svc({ type: "NodePort" }, { app: "mongo-express" })])).toEqual([]);
    });

    it("an Ingress, Route or HTTPRoute backend to a data store's Service is flagged without the workload", async () => {
        const ingress = {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name: "db", namespace: "shop" },
            spec: {
                rules: [
                    {
                        host: "db.example.com",
                        http: {
                            paths: [
                                {
                                    path: "/",
                                    pathType: "Prefix",
                                    backend: { service: { name: "db", port: { number: 5432 } } },
                                },
                            ],
                        },
                    },
                ],
            },
        };
        const route = {
            apiVersion: "route.openshift.io/v1",
            kind: "Route",
            metadata: { name: "db", namespace: "shop" },
            spec: { to: { kind: "Service", name: "db" } },
        };
        const httpRoute = {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "db", namespace: "shop" },
            spec: { rules: [{ backendRefs: [{ name: "db", port: 5432 }] }] },
        };
        for (const r of [ingress, route, httpRoute]) {
            const vs = await exposure([svc({ type: "ClusterIP" }), r]);
            expect(
                vs.map((v) => `${v.resource.kind}/${v.resource.name}`),
                r.kind,
            ).toEqual([`${r.kind}/db`]);
            expect(vs[0]!.message).toContain(
                "routes external traffic to Service db of a data store (spec.selector app.kubernetes.io/name=postgresql); fix: remove that backend",
            );
        }
        // A backend Service of something else passes.
        expect(await exposure([svc({ type: "ClusterIP" }, { "app.kubernetes.io/name": "shop-web" }), ingress])).toEqual(
            [],
        );
    });

    it("with the workload present, the store is recognised by its image too", async () => {
        const t = hardenedPodTemplate("orders");
        t.spec["containers"][0]["image"] = "docker.io/library/postgres:17.6-bookworm";
        const vs = await exposure([
            asWorkload("StatefulSet", t, "orders", "shop"),
            svc({ type: "LoadBalancer" }, t.metadata.labels),
        ]);
        expect(vs.map((v) => v.message)).toEqual([
            expect.stringContaining(
                "exposes the data store StatefulSet shop/orders outside the cluster (spec.type: LoadBalancer)",
            ),
        ]);
    });
});

describe("npm run policy -- --manifests flags every gap of issue 12", () => {
    it("each bullet, with the field and the fix, exit code 1", () => {
        const { objects, expected } = pssGapManifests();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-pss-"));
        objects.forEach((o, i) =>
            fs.writeFileSync(
                path.join(dir, `${String(i).padStart(2, "0")}-${o["kind"]}-${o["metadata"]["name"]}.yaml`),
                YAML.stringify(o),
            ),
        );
        const r = spawnSync(
            path.join(ROOT, "node_modules", ".bin", "tsx"),
            [path.join(ROOT, "tools", "policy.ts"), "--manifests", dir, "--level", "3", "--format", "json"],
            { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
        );
        expect(r.status, r.stderr).toBe(1);
        const vs = JSON.parse(r.stdout) as Violation[];
        for (const e of expected) {
            const hits = vs.filter((v) => v.resource.name === e.name && v.resource.kind === e.kind);
            expect(
                hits.map((v) => v.policy),
                e.name,
            ).toEqual([e.policy]);
            expect(hits[0]!.enforcement).toBe("mandatory");
            expect(hits[0]!.message, e.name).toContain(e.field);
            expect(hits[0]!.message, e.name).toContain("fix: ");
        }
        expect(vs).toHaveLength(expected.length);
    });
});
