/**
 * `envoy-injector`: the MutatingWebhook that injects the Envoy sidecar into the pods of the injected
 * namespaces, with its TLS made by the program (@pulumi/tls CA + serving certificate, caBundle wired,
 * renewed early by a routine `pulumi up`) or by cert-manager when an issuer is named. Its selectors
 * can never match kube-system, kube-public, kube-node-lease or its own namespace, and its own pods and
 * pods labelled `agentstack.io/inject: "false"` are never mutated.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { INJECTOR_WEBHOOK_PORT } from "../stacks/flows";
import { ZeroTrustSpec } from "../stacks/identity";
import { LevelProfile } from "../stacks/levels";
import { APP_PROXY_ENV, SIDECAR_VOLUMES } from "./envoySidecar";
import { INJECTION_LABEL } from "./namespaces";
import { INSTANCES } from "./names";
import { HardenedWorkload, checksum, recommendedLabels } from "./workload";

/** Namespaces a webhook must never select. */
export const PROTECTED_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"] as const;
/** Per-pod opt-out label. */
export const OPT_OUT_LABEL = { key: "agentstack.io/inject", value: "false" } as const;
/** Label of the ConfigMap that describes the injected sidecar. */
export const SIDECAR_TEMPLATE_LABEL = "agentstack.io/sidecar-template";
/** Name of that ConfigMap. */
export const SIDECAR_TEMPLATE_NAME = "envoy-sidecar-template";
/** Name of the webhook inside the configuration (a DNS name, as the API requires). */
export const WEBHOOK_NAME = "sidecar.envoy-injector.agentstack.io";

/** The webhook's namespace and object selectors. */
export function webhookSelectors(ownNamespace: string): { namespaceSelector: k8s.types.input.meta.v1.LabelSelector; objectSelector: k8s.types.input.meta.v1.LabelSelector } {
    return {
        namespaceSelector: {
            matchLabels: { [INJECTION_LABEL.key]: INJECTION_LABEL.value },
            matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...PROTECTED_NAMESPACES, ownNamespace] }],
        },
        objectSelector: {
            matchExpressions: [
                { key: OPT_OUT_LABEL.key, operator: "NotIn", values: [OPT_OUT_LABEL.value] },
                { key: "app.kubernetes.io/name", operator: "NotIn", values: ["envoy-injector"] },
            ],
        },
    };
}

/** DNS names of the webhook Service. */
export function webhookDnsNames(service: string, namespace: string): string[] {
    return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export interface EnvoyInjectorArgs {
    /** Zero-trust settings (replicas, PDB, failurePolicy, TLS, images). */
    readonly zeroTrust: ZeroTrustSpec;
    /** The level profile. */
    readonly profile: LevelProfile;
    /** Namespace (the system zone's Namespace name output). */
    readonly namespace: pulumi.Input<string>;
    /** The system namespace's name (the webhook must never select it). */
    readonly namespaceName: string;
    /** The sidecar container the injector adds. */
    readonly sidecar: k8s.types.input.core.v1.Container;
    /** The Envoy bootstrap (also inline in the container's args), for review and the policy pack. */
    readonly bootstrap: Record<string, unknown>;
}

export class EnvoyInjector extends pulumi.ComponentResource {
    /** Name of the MutatingWebhookConfiguration. */
    public readonly webhookName: pulumi.Output<string>;

    constructor(name: string, args: EnvoyInjectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("agentstack:zerotrust:EnvoyInjector", name, {}, opts);
        const inj = args.zeroTrust.injector;
        const instance = INSTANCES.envoyInjector;
        const labels = recommendedLabels("envoy-injector", instance);
        const tlsSecret = `${instance}-tls`;

        const template = {
            "sidecar.yaml": `${JSON.stringify(args.sidecar, null, 2)}\n`,
            "volumes.yaml": `${JSON.stringify(SIDECAR_VOLUMES, null, 2)}\n`,
            "app-env.yaml": `${JSON.stringify(APP_PROXY_ENV, null, 2)}\n`,
            "envoy.yaml": `${JSON.stringify(args.bootstrap, null, 2)}\n`,
        };
        const cm = new k8s.core.v1.ConfigMap(`${name}-sidecar-template`, {
            metadata: { name: SIDECAR_TEMPLATE_NAME, namespace: args.namespace, labels: { ...labels, [SIDECAR_TEMPLATE_LABEL]: "true" } },
            data: template,
        }, { parent: this });

        // Webhook TLS: the CA goes into caBundle (program) or is injected by cert-manager's cainjector.
        let caBundle: pulumi.Output<string> | undefined;
        let certChecksum: pulumi.Input<string> = "cert-manager";
        const dnsNames = webhookDnsNames(instance, args.namespaceName);
        if (inj.tls.mode === "program") {
            const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const ca = new tls.SelfSignedCert(`${name}-ca`, {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName: "agentstack envoy-injector CA" },
                validityPeriodHours: inj.tls.validityHours * 5,
                earlyRenewalHours: inj.tls.earlyRenewalHours * 5,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            }, { parent: this });
            const key = new tls.PrivateKey(`${name}-serving-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const csr = new tls.CertRequest(`${name}-serving-csr`, {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: dnsNames[2]! },
                dnsNames,
            }, { parent: this });
            const cert = new tls.LocallySignedCert(`${name}-serving-cert`, {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: inj.tls.validityHours,
                earlyRenewalHours: inj.tls.earlyRenewalHours,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
            }, { parent: this });
            new k8s.core.v1.Secret(`${name}-tls`, {
                metadata: { name: tlsSecret, namespace: args.namespace, labels },
                type: "kubernetes.io/tls",
                stringData: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem, "ca.crt": ca.certPem },
            }, { parent: this });
            caBundle = ca.certPem.apply((pem) => Buffer.from(pem).toString("base64"));
            certChecksum = cert.certPem.apply((pem) => checksum(pem));
        } else {
            new k8s.apiextensions.CustomResource(`${name}-certificate`, {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: tlsSecret, namespace: args.namespace, labels },
                spec: {
                    secretName: tlsSecret,
                    dnsNames,
                    issuerRef: { name: inj.tls.issuer.name, kind: inj.tls.issuer.kind, group: "cert-manager.io" },
                    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
                    duration: "8760h",
                    renewBefore: "720h",
                },
            }, { parent: this });
        }

        const workload = new HardenedWorkload(`${name}-workload`, {
            component: "envoy-injector",
            instance,
            namespace: args.namespace,
            profile: args.profile,
            replicas: { fixed: inj.replicas },
            antiAffinity: inj.antiAffinity,
            ...(inj.pdbMinAvailable !== undefined ? { pdbMinAvailable: inj.pdbMinAvailable } : {}),
            configChecksum: pulumi.all([certChecksum]).apply(([c]) => checksum({ template, cert: c })),
            servicePorts: [{ name: "https", port: 443, targetPort: "https" }],
            volumes: [
                { name: "tls", secret: { secretName: tlsSecret, defaultMode: 0o440 } },
                { name: "template", configMap: { name: cm.metadata.name } },
            ],
            containers: [{
                name: "envoy-injector",
                image: inj.image,
                args: ["--port", String(INJECTOR_WEBHOOK_PORT), "--tls-cert", "/etc/webhook/tls/tls.crt", "--tls-key", "/etc/webhook/tls/tls.key", "--template-dir", "/etc/envoy-injector"],
                ports: [{ name: "https", containerPort: INJECTOR_WEBHOOK_PORT }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                probes: {
                    livenessProbe: { httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                    readinessProbe: { httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
                },
                volumeMounts: [
                    { name: "tls", mountPath: "/etc/webhook/tls", readOnly: true },
                    { name: "template", mountPath: "/etc/envoy-injector", readOnly: true },
                ],
            }],
        }, { parent: this });

        const selectors = webhookSelectors(args.namespaceName);
        const webhook = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(`${name}-webhook`, {
            metadata: {
                name: instance,
                labels,
                ...(inj.tls.mode === "cert-manager" ? { annotations: { "cert-manager.io/inject-ca-from": pulumi.interpolate`${args.namespace}/${tlsSecret}` } } : {}),
            },
            webhooks: [{
                name: WEBHOOK_NAME,
                admissionReviewVersions: ["v1"],
                sideEffects: "None",
                failurePolicy: inj.failurePolicy,
                matchPolicy: "Equivalent",
                reinvocationPolicy: inj.reinvocationPolicy,
                timeoutSeconds: inj.timeoutSeconds,
                rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
                namespaceSelector: selectors.namespaceSelector,
                objectSelector: selectors.objectSelector,
                clientConfig: {
                    service: { name: workload.serviceName, namespace: args.namespace, path: "/mutate", port: 443 },
                    ...(caBundle ? { caBundle } : {}),
                },
            }],
        }, { parent: this, dependsOn: [workload] });
        this.webhookName = webhook.metadata.name;
        this.registerOutputs({ webhookName: this.webhookName });
    }
}
