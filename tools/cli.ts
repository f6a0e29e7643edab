/**
 * Shared command-line plumbing: flag parsing and the exit-code contract (2 = usage or config error,
 * printed as a message — never a stack trace).
 */
import { ConfigError } from "../stacks/errors";
import { StackFileError } from "./harness/stackConfig";

/** A usage error: exit code 2. */
export class UsageError extends Error {}

/** Parses `--flag value` pairs; every flag must be known and have a value. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'`);
        const [flag, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
        if (!known.includes(flag))
            throw new UsageError(`unknown flag --${flag} (known: ${known.map((k) => `--${k}`).join(", ")})`);
        const value = inline ?? argv[++i];
        if (value === undefined || value.startsWith("--")) throw new UsageError(`--${flag} needs a value`);
        out[flag] = value;
    }
    return out;
}

/** Exit code and message for an error: 2 for usage/config problems, 1 otherwise. */
export function classifyError(e: unknown): { code: number; message: string } {
    if (e instanceof UsageError || e instanceof StackFileError || e instanceof ConfigError)
        return { code: 2, message: e.message };
    // pulumi.RunError, recognised by its marker so this module does not load the Pulumi SDK.
    if (e instanceof Error && (e as { __pulumiRunError?: boolean }).__pulumiRunError === true)
        return { code: 2, message: e.message };
    const message = e instanceof Error ? e.message : String(e);
    return { code: 1, message };
}

/** A reader that stops early (`| head`) closes the pipe: that ends the output, it is not an error. */
export function quietOnClosedPipe(): void {
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
        throw e;
    });
}

/** Runs a CLI main function with the exit-code contract. */
export function runCli(name: string, main: (argv: string[]) => Promise<number>): void {
    quietOnClosedPipe();
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            const { code, message } = classifyError(e);
            process.stderr.write(`${name}: ${message}\n`);
            process.exitCode = code;
        },
    );
}
