/**
 * Configuration errors: every one names the stack config key and the fix.
 */

/** One problem with the stack configuration. */
export interface ConfigIssue {
    /** The full config key path, e.g. `agentstack:agents[0].minReplicas`. */
    readonly key: string;
    /** What is wrong and how to fix it. */
    readonly message: string;
    /** Where the key is written, when known: `<file>:<line>:<col>` (set by the CLIs). */
    readonly where?: string;
}

/** Thrown when the stack configuration is rejected; carries every issue found, not just the first. */
export class ConfigError extends Error {
    public readonly issues: readonly ConfigIssue[];

    constructor(issues: readonly ConfigIssue[]) {
        super(formatIssues(issues));
        this.name = "ConfigError";
        this.issues = issues;
        // A config error is the user's to fix: a stack trace would only hide the message.
        this.stack = undefined;
    }
}

/** The message of a ConfigError: one line per issue, key first. */
function formatIssues(issues: readonly ConfigIssue[]): string {
    const lines = issues.map((i) => `  - ${i.where ? `${i.where}: ` : ""}${i.key}: ${i.message}`);
    return `invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Project namespace of every config key. */
export const CONFIG_NAMESPACE = "agentstack";

/** `agentstack:` + a path made of object keys and array indexes. */
export function configKey(path: ReadonlyArray<string | number | symbol>): string {
    let out = `${CONFIG_NAMESPACE}:`;
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += (i === 0 ? "" : ".") + String(p);
    });
    return out;
}
