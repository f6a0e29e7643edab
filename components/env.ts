/**
 * Environment wiring helpers: non-secret settings come from a ConfigMap, secret ones only by
 * secretKeyRef. No component writes a secret value into an env var.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** One env var per ConfigMap key, each read through configMapKeyRef. Keys are sorted (stable diffs). */
export function configMapEnv(configMapName: pulumi.Input<string>, data: Readonly<Record<string, string>>): EnvVar[] {
    return Object.keys(data)
        .sort()
        .map((name) => configEnv(name, configMapName, name));
}

/** An env var read from a ConfigMap key. */
export function configEnv(name: string, configMapName: pulumi.Input<string>, key: string): EnvVar {
    return { name, valueFrom: { configMapKeyRef: { name: configMapName, key } } };
}

/** An env var read from a Secret key. */
export function secretEnv(name: string, secretName: pulumi.Input<string>, key: string): EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}
