/**
 * Secrets: no secret-looking env var or ConfigMap key with a literal value; secret values reach
 * containers only by reference to a Secret.
 *
 * Rule module: defines policies, no side effects.
 */
import { fixHint } from "../lib/components";
import { containerPolicy } from "../lib/containers";
import { AgentstackPolicy, resourcePolicy } from "../lib/define";
import { at, isUnknown, list, rec, str } from "../lib/values";
import { policyMeta } from "../catalog";

/** Name parts that make a name secret-looking. */
const SECRET_WORDS = new Set([
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "PASSPHRASE",
    "PRIVATEKEY",
    "CERTKEY",
]);
/** Words that make a following KEY secret (API_KEY, PRIVATE_KEY, ACCESS_KEY, ...). */
const KEY_QUALIFIERS = new Set([
    "API",
    "PRIVATE",
    "SECRET",
    "SIGNING",
    "ENCRYPTION",
    "MASTER",
    "ACCESS",
    "AUTH",
    "LICENSE",
    "HMAC",
    "CLIENT",
    "SERVICE",
    "TLS",
    "SSH",
    "JWT",
    "HS256",
]);
/** Last parts that make a name a reference or a setting about a secret, not the secret itself. */
const NON_SECRET_SUFFIXES = new Set([
    "URL",
    "URLS",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "PATH",
    "FILE",
    "DIR",
    "NAME",
    "ALG",
    "ALGORITHM",
    "ISSUER",
    "AUDIENCE",
    "ID",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRES",
    "ENABLED",
    "MODE",
    "HEADER",
    "TYPE",
    "LENGTH",
    "SIZE",
    "FORMAT",
    "REF",
    "KIND",
    "SCOPE",
    "SCOPES",
    "USER",
    "USERNAME",
    "LIFETIME",
    "ROTATION",
    "VERSION",
    "PREFIX",
    "FIELD",
    "LIMIT",
    "COUNT",
    "BUDGET",
    "RATE",
    "MINUTE",
]);
/** First parts that make a name a setting (MAX_TOKENS, MIN_PASSWORD_LENGTH). */
const NON_SECRET_PREFIXES = new Set(["MAX", "MIN", "NUM"]);

/** Splits `OPENAI_API_KEY`, `mcp-auth.token`, `apiKey` into upper-case words. */
function words(name: string): string[] {
    return name
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .split(/[^A-Za-z0-9]+/)
        .filter((w) => w !== "")
        .map((w) => w.toUpperCase());
}

/** True for a name that holds secret material (OPENAI_API_KEY, DB_PASSWORD, MCP_AUTH_TOKEN; not MCP_AUTH_TOKEN_URL). */
function looksSecretName(name: string): boolean {
    const w = words(name);
    if (w.length === 0) return false;
    if (NON_SECRET_SUFFIXES.has(w[w.length - 1]!) || NON_SECRET_PREFIXES.has(w[0]!)) return false;
    for (let i = 0; i < w.length; i++) {
        if (SECRET_WORDS.has(w[i]!)) return true;
        if ((w[i] === "KEY" || w[i] === "KEYS") && i > 0 && KEY_QUALIFIERS.has(w[i - 1]!)) return true;
    }
    return false;
}

const SECRET_VALUE_PATTERNS: ReadonlyArray<[RegExp, string]> = [
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a PEM private key"],
    [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, "a JWT"],
    [/\bsk-(proj-)?[A-Za-z0-9_-]{20,}/, "an OpenAI-style API key"],
    [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key id"],
    [/\bgh[pousr]_[A-Za-z0-9]{36}\b/, "a GitHub token"],
    [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
];

/** What secret material a value looks like, if any. */
function secretValueKind(value: string): string | undefined {
    return SECRET_VALUE_PATTERNS.find(([re]) => re.test(value))?.[1];
}

/** A literal that is not secret material although the name looks secret: empty, or a `$(VAR)` reference. */
function harmlessLiteral(value: string): boolean {
    return value.trim() === "" || /^\$\([A-Za-z_][A-Za-z0-9_]*\)$/.test(value.trim());
}

/** Calls `fn` with each env var of a container: its name ("" when it has none) and its index. */
function eachEnv(c: { readonly container: unknown }, fn: (name: string, i: number) => void): void {
    list(c.container, "env").forEach((_, i) => fn(str(c.container, "env", i, "name") ?? "", i));
}

const envLiteral = containerPolicy({
    meta: policyMeta("secrets-env-literal"),
    check: (c, obj, ctx) => {
        eachEnv(c, (name, i) => {
            const value = at(c.container, "env", i, "value");
            if (typeof value !== "string" || harmlessLiteral(value)) return;
            const kind = secretValueKind(value);
            if (looksSecretName(name) || kind) {
                const why = kind ? `holds ${kind} as a literal value` : "looks secret but has a literal value";
                ctx.report(
                    obj,
                    `${c.label} env ${name} ${why}; ${fixHint(obj, "hardening", "move the value into a Secret and use valueFrom.secretKeyRef")}; secrets are set only as Secrets (e.g. pulumi config set --secret agentstack:llmApiKey, or agentstack:llm.apiKeySecretRef)`,
                );
            }
        });
    },
});

const configMapLiteral = resourcePolicy({
    meta: policyMeta("secrets-configmap-literal"),
    appliesTo: (o) => o.is("ConfigMap", ""),
    notApplicable: "applies to ConfigMaps",
    validate: (obj, ctx) => {
        for (const field of ["data", "binaryData"]) {
            ctx.guard(obj, field, () => {
                const data = rec(obj.props, field) ?? {};
                for (const key of Object.keys(data)) {
                    const v = data[key];
                    if (isUnknown(v)) {
                        ctx.guard(obj, `${field}.${key}`, () => at(data, key));
                        continue;
                    }
                    if (typeof v !== "string" || harmlessLiteral(v)) continue;
                    const kind = field === "data" ? secretValueKind(v) : undefined;
                    if (looksSecretName(key) || kind) {
                        const why = kind ? `holds ${kind}` : "looks secret and holds a value";
                        ctx.report(
                            obj,
                            `${field} key ${key} ${why}; ${fixHint(obj, "hardening", "move it into a Secret")}; secrets are set only as Secrets (agentstack:llmApiKey with --secret, or a *SecretRef key)`,
                        );
                    }
                }
            });
        }
    },
});

const byReference = containerPolicy({
    meta: policyMeta("secrets-by-reference"),
    check: (c, obj, ctx) => {
        eachEnv(c, (name, i) => {
            if (!looksSecretName(name)) return;
            const from = rec(c.container, "env", i, "valueFrom");
            if (!from || rec(from, "secretKeyRef")) return;
            const source = rec(from, "configMapKeyRef")
                ? `ConfigMap ${str(from, "configMapKeyRef", "name") ?? "?"}`
                : rec(from, "fieldRef")
                  ? "a field reference"
                  : "a resource field";
            ctx.report(
                obj,
                `${c.label} env ${name} looks secret but comes from ${source}, not a Secret; ${fixHint(obj, "hardening", "use valueFrom.secretKeyRef")}; secrets are set only as Secrets (agentstack:llm.apiKeySecretRef, agentstack:agents[name=...].apiKeySecretRef)`,
            );
        });
    },
});

/** The secrets policies. */
export const SECRETS_POLICIES: readonly AgentstackPolicy[] = [envLiteral, configMapLiteral, byReference];
