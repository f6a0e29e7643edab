/**
 * `envoy-injector`: the MutatingWebhook that injects the Envoy sidecar into the pods of the injected
 * namespaces. The webhook server is a program of this project (`injector/envoy-injector.mjs`, Node.js
 * built-ins only): the program puts that very file into a ConfigMap and runs it on the official Node.js
 * image — no image of ours to build or publish. Its TLS is made by the program (@pulumi/tls CA +
 * serving certificate, caBundle wired, renewed early by a routine `pulumi up`) or by cert-manager with
 * a chain of its own (self-signed Issuer → CA Certificate → CA Issuer → serving Certificate, the CA
 * injected into the webhook by cainjector). Its selectors can never match kube-system, kube-public,
 * kube-node-lease or its own namespace, and its own pods and pods labelled `agentstack.io/inject:
 * "false"` are never mutated.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { INJECTOR_WEBHOOK_PORT } from "../stacks/flows";
import { ZeroTrustSpec } from "../stacks/identity";
import { APP_PROXY_ENV, SIDECAR_VOLUMES } from "./envoySidecar";
import { INSTANCES } from "./names";
import { HardenedWorkload, HardenedWorkloadArgs, checksum, fixedWorkload } from "./workload";
import { INJECTION_LABEL, NAME_LABEL, OPT_OUT_LABEL, SIDECAR_TEMPLATE_LABEL, recommendedLabels } from "../lib/labels";

/** Namespaces a webhook must never select. */
const PROTECTED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"] as const;
/** Name of that ConfigMap. */
const SIDECAR_TEMPLATE_NAME = "envoy-sidecar-template";
/** The injector program: its file in this repository, its key in the ConfigMap and where the pod mounts it. */
export const INJECTOR_PROGRAM = {
    file: join(__dirname, "..", "injector", "envoy-injector.mjs"),
    key: "envoy-injector.mjs",
    mountPath: "/opt/envoy-injector",
} as const;
/** Where the pod mounts the sidecar template and the serving certificate. */
export const INJECTOR_PATHS = { template: "/etc/envoy-injector", tls: "/etc/webhook/tls" } as const;
/** uid/gid of the injector: the `node` user of the official Node.js image. */
export const INJECTOR_UID = 1000;

/** The injector program's source (the bytes the cluster runs and the tests run). */
export function injectorProgramSource(): string {
    return readFileSync(INJECTOR_PROGRAM.file, "utf8");
}

/** The injector's command line, as the Deployment runs it. */
function injectorCommand(port: number): string[] {
    return [
        "node",
        `${INJECTOR_PROGRAM.mountPath}/${INJECTOR_PROGRAM.key}`,
        "--port",
        String(port),
        "--tls-cert",
        `${INJECTOR_PATHS.tls}/tls.crt`,
        "--tls-key",
        `${INJECTOR_PATHS.tls}/tls.key`,
        "--template-dir",
        INJECTOR_PATHS.template,
    ];
}

/** Name of the webhook inside the configuration (a DNS name, as the API requires). */
export const WEBHOOK_NAME = "sidecar.envoy-injector.agentstack.io";

/** The webhook's namespace and object selectors. */
function webhookSelectors(ownNamespace: string): {
    namespaceSelector: k8s.types.input.meta.v1.LabelSelector;
    objectSelector: k8s.types.input.meta.v1.LabelSelector;
} {
    return {
        namespaceSelector: {
            matchLabels: { [INJECTION_LABEL.key]: INJECTION_LABEL.value },
            matchExpressions: [
                {
                    key: "kubernetes.io/metadata.name",
                    operator: "NotIn",
                    values: [...PROTECTED_NAMESPACES, ownNamespace],
                },
            ],
        },
        objectSelector: {
            matchExpressions: [
                { key: OPT_OUT_LABEL.key, operator: "NotIn", values: [OPT_OUT_LABEL.value] },
                { key: NAME_LABEL, operator: "NotIn", values: ["envoy-injector"] },
            ],
        },
    };
}

/** DNS names of the webhook Service. */
function webhookDnsNames(service: string, namespace: string): string[] {
    return [
        service,
        `${service}.${namespace}`,
        `${service}.${namespace}.svc`,
        `${service}.${namespace}.svc.cluster.local`,
    ];
}

/**
 * The cert-manager objects of the webhook's own chain, as webhook charts build it: a self-signed Issuer
 * signs a CA Certificate, a CA Issuer uses it to sign the serving Certificate, and cainjector copies the
 * CA into the webhook (`cert-manager.io/inject-ca-from` names the serving Certificate). No outside
 * issuer: an ACME issuer, say, could give no CA bundle for an in-cluster Service name.
 */
function certManagerChain(a: {
    readonly instance: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    readonly dnsNames: string[];
    readonly servingSecret: string;
    readonly validityHours: number;
    readonly earlyRenewalHours: number;
}): { id: string; args: k8s.apiextensions.CustomResourceArgs }[] {
    const meta = (n: string) => ({ name: n, namespace: a.namespace, labels: a.labels });
    const issuerRef = (n: string) => ({ name: n, kind: "Issuer", group: "cert-manager.io" });
    const selfSigned = `${a.instance}-selfsigned`;
    const ca = `${a.instance}-ca`;
    const key = { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" };
    return [
        {
            id: "selfsigned-issuer",
            args: {
                apiVersion: "cert-manager.io/v1",
                kind: "Issuer",
                metadata: meta(selfSigned),
                spec: { selfSigned: {} },
            },
        },
        {
            id: "ca-certificate",
            args: {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: meta(ca),
                spec: {
                    isCA: true,
                    commonName: "agentstack envoy-injector CA",
                    secretName: ca,
                    privateKey: key,
                    duration: `${a.validityHours * 5}h`,
                    renewBefore: `${a.earlyRenewalHours * 5}h`,
                    issuerRef: issuerRef(selfSigned),
                },
            },
        },
        {
            id: "ca-issuer",
            args: {
                apiVersion: "cert-manager.io/v1",
                kind: "Issuer",
                metadata: meta(ca),
                spec: { ca: { secretName: ca } },
            },
        },
        {
            id: "certificate",
            args: {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: meta(a.servingSecret),
                spec: {
                    secretName: a.servingSecret,
                    commonName: a.dnsNames[2]!,
                    dnsNames: a.dnsNames,
                    usages: ["digital signature", "key encipherment", "server auth"],
                    privateKey: key,
                    duration: `${a.validityHours}h`,
                    renewBefore: `${a.earlyRenewalHours}h`,
                    issuerRef: issuerRef(ca),
                },
            },
        },
    ];
}

interface EnvoyInjectorArgs {
    /** Zero-trust settings (replicas, PDB, failurePolicy, TLS, images). */
    readonly zeroTrust: ZeroTrustSpec;
    /** Namespace (the system zone's Namespace name output). */
    readonly namespace: pulumi.Input<string>;
    /** The system namespace's name (the webhook must never select it). */
    readonly namespaceName: string;
    /** The sidecar container the injector adds. */
    readonly sidecar: k8s.types.input.core.v1.Container;
    /** The Envoy bootstrap (also inline in the container's args), for review and the policy pack. */
    readonly bootstrap: Record<string, unknown>;
}

/** The `envoy-sidecar-template` ConfigMap's files (JSON documents, read by the injector). */
export function sidecarTemplateData(args: Pick<EnvoyInjectorArgs, "sidecar" | "bootstrap">): Record<string, string> {
    return {
        "sidecar.yaml": `${JSON.stringify(args.sidecar, null, 2)}\n`,
        "volumes.yaml": `${JSON.stringify(SIDECAR_VOLUMES, null, 2)}\n`,
        "app-env.yaml": `${JSON.stringify(APP_PROXY_ENV, null, 2)}\n`,
        "envoy.yaml": `${JSON.stringify(args.bootstrap, null, 2)}\n`,
    };
}

/** The injector's workload (creates nothing): the TLS Secret, the template and the program mounted read-only. */
export function injectorWorkloadArgs(a: {
    readonly args: EnvoyInjectorArgs;
    /** The serving TLS Secret's name. */
    readonly tlsSecret: string;
    readonly templateConfigMap: pulumi.Input<string>;
    readonly programConfigMap: pulumi.Input<string>;
    /** What rolls the pods: the program, its template and the serving certificate's checksum. */
    readonly configChecksum: pulumi.Input<string>;
}): HardenedWorkloadArgs {
    const inj = a.args.zeroTrust.injector;
    const command = injectorCommand(INJECTOR_WEBHOOK_PORT);
    return {
        ...fixedWorkload("envoy-injector", INSTANCES.envoyInjector, a.args.namespace, inj),
        uid: INJECTOR_UID,
        configChecksum: a.configChecksum,
        servicePorts: [{ name: "https", port: 443, targetPort: "https" }],
        volumes: [
            { name: "tls", secret: { secretName: a.tlsSecret, defaultMode: 0o440 } },
            { name: "template", configMap: { name: a.templateConfigMap } },
            { name: "program", configMap: { name: a.programConfigMap } },
        ],
        containers: [
            {
                name: "envoy-injector",
                image: inj.image,
                command: command.slice(0, 2),
                args: command.slice(2),
                ports: [{ name: "https", containerPort: INJECTOR_WEBHOOK_PORT }],
                resources: { requests: { cpu: "20m", memory: "48Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                probes: {
                    livenessProbe: {
                        httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" },
                        periodSeconds: 10,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                    readinessProbe: {
                        httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" },
                        periodSeconds: 5,
                        timeoutSeconds: 3,
                        failureThreshold: 3,
                    },
                },
                volumeMounts: [
                    { name: "tls", mountPath: INJECTOR_PATHS.tls, readOnly: true },
                    { name: "template", mountPath: INJECTOR_PATHS.template, readOnly: true },
                    { name: "program", mountPath: INJECTOR_PROGRAM.mountPath, readOnly: true },
                ],
            },
        ],
    };
}

/** The MutatingWebhookConfiguration (creates nothing): pods on CREATE, never the protected or own namespace. */
export function webhookArgs(a: {
    readonly args: EnvoyInjectorArgs;
    readonly labels: Record<string, string>;
    readonly tlsSecret: string;
    readonly serviceName: pulumi.Input<string>;
    /** The CA (base64) when the program makes the TLS; cert-manager's cainjector fills it in otherwise. */
    readonly caBundle?: pulumi.Input<string>;
}): k8s.admissionregistration.v1.MutatingWebhookConfigurationArgs {
    const inj = a.args.zeroTrust.injector;
    const ns = a.args.namespace;
    const selectors = webhookSelectors(a.args.namespaceName);
    return {
        metadata: {
            name: INSTANCES.envoyInjector,
            labels: a.labels,
            ...(inj.tls.mode === "cert-manager"
                ? { annotations: { "cert-manager.io/inject-ca-from": pulumi.interpolate`${ns}/${a.tlsSecret}` } }
                : {}),
        },
        webhooks: [
            {
                name: WEBHOOK_NAME,
                admissionReviewVersions: ["v1"],
                sideEffects: "None",
                failurePolicy: inj.failurePolicy,
                matchPolicy: "Equivalent",
                reinvocationPolicy: inj.reinvocationPolicy,
                timeoutSeconds: inj.timeoutSeconds,
                rules: [
                    {
                        operations: ["CREATE"],
                        apiGroups: [""],
                        apiVersions: ["v1"],
                        resources: ["pods"],
                        scope: "Namespaced",
                    },
                ],
                namespaceSelector: selectors.namespaceSelector,
                objectSelector: selectors.objectSelector,
                clientConfig: {
                    service: { name: a.serviceName, namespace: ns, path: "/mutate", port: 443 },
                    ...(a.caBundle ? { caBundle: a.caBundle } : {}),
                },
            },
        ],
    };
}

/**
 * Creates the webhook's TLS below `parent`: the program's CA and serving certificate (and their Secret),
 * or cert-manager's chain. Returns the CA bundle (program mode) and what the serving certificate adds to the pod checksum.
 */
function createWebhookTls(
    name: string,
    args: EnvoyInjectorArgs,
    labels: Record<string, string>,
    tlsSecret: string,
    parent: pulumi.Resource,
): { caBundle?: pulumi.Output<string>; certChecksum: pulumi.Input<string> } {
    const instance = INSTANCES.envoyInjector;
    const dnsNames = webhookDnsNames(instance, args.namespaceName);
    const tlsCfg = args.zeroTrust.injector.tls;
    if (tlsCfg.mode !== "program") {
        for (const r of certManagerChain({
            instance,
            namespace: args.namespace,
            labels,
            dnsNames,
            servingSecret: tlsSecret,
            validityHours: tlsCfg.validityHours,
            earlyRenewalHours: tlsCfg.earlyRenewalHours,
        })) {
            new k8s.apiextensions.CustomResource(`${name}-${r.id}`, r.args, { parent });
        }
        return { certChecksum: "cert-manager" };
    }
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const ca = new tls.SelfSignedCert(
        `${name}-ca`,
        {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: { commonName: "agentstack envoy-injector CA" },
            validityPeriodHours: tlsCfg.validityHours * 5,
            earlyRenewalHours: tlsCfg.earlyRenewalHours * 5,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        { parent },
    );
    const key = new tls.PrivateKey(`${name}-serving-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
    const csr = new tls.CertRequest(
        `${name}-serving-csr`,
        {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: dnsNames[2]! },
            dnsNames,
        },
        { parent },
    );
    const cert = new tls.LocallySignedCert(
        `${name}-serving-cert`,
        {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: tlsCfg.validityHours,
            earlyRenewalHours: tlsCfg.earlyRenewalHours,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        { parent },
    );
    new k8s.core.v1.Secret(
        `${name}-tls`,
        {
            metadata: { name: tlsSecret, namespace: args.namespace, labels },
            type: "kubernetes.io/tls",
            stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem, "ca.crt": ca.certPem },
        },
        { parent },
    );
    return {
        caBundle: ca.certPem.apply((pem) => Buffer.from(pem).toString("base64")),
        certChecksum: cert.certPem.apply((pem) => checksum(pem)),
    };
}

/** Creates the injector's children below `parent`: the sidecar template, the program, the TLS, the workload and the webhook. */
function createEnvoyInjector(
    name: string,
    args: EnvoyInjectorArgs,
    parent: pulumi.Resource,
): { webhookName: pulumi.Output<string> } {
    const instance = INSTANCES.envoyInjector;
    const labels = recommendedLabels("envoy-injector", instance);
    const tlsSecret = `${instance}-tls`;
    const template = sidecarTemplateData(args);
    const cm = new k8s.core.v1.ConfigMap(
        `${name}-sidecar-template`,
        {
            metadata: {
                name: SIDECAR_TEMPLATE_NAME,
                namespace: args.namespace,
                labels: { ...labels, [SIDECAR_TEMPLATE_LABEL]: "true" },
            },
            data: template,
        },
        { parent },
    );
    const program = injectorProgramSource();
    const programCm = new k8s.core.v1.ConfigMap(
        `${name}-program`,
        {
            metadata: { name: `${instance}-program`, namespace: args.namespace, labels },
            data: { [INJECTOR_PROGRAM.key]: program },
        },
        { parent },
    );
    // Webhook TLS: the CA goes into caBundle (program) or is injected by cert-manager's cainjector.
    const { caBundle, certChecksum } = createWebhookTls(name, args, labels, tlsSecret, parent);
    const workload = new HardenedWorkload(
        `${name}-workload`,
        injectorWorkloadArgs({
            args,
            tlsSecret,
            templateConfigMap: cm.metadata.name,
            programConfigMap: programCm.metadata.name,
            // The program itself, its template and its certificate all roll the pods when they change.
            configChecksum: pulumi.all([certChecksum]).apply(([c]) => checksum({ program, template, cert: c })),
        }),
        { parent },
    );
    const webhook = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
        `${name}-webhook`,
        webhookArgs({ args, labels, tlsSecret, serviceName: workload.serviceName, ...(caBundle ? { caBundle } : {}) }),
        { parent, dependsOn: [workload] },
    );
    return { webhookName: webhook.metadata.name };
}

export class EnvoyInjector extends pulumi.ComponentResource {
    /** Name of the MutatingWebhookConfiguration. */
    public readonly webhookName: pulumi.Output<string>;

    constructor(name: string, args: EnvoyInjectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:zerotrust:EnvoyInjector", name, {}, opts);
        this.webhookName = createEnvoyInjector(name, args, this).webhookName;
        this.registerOutputs({ webhookName: this.webhookName });
    }
}
