/**
 * CLI: connectivity report of Kubernetes manifests under NetworkPolicy semantics.
 *
 *   npx tsx tools/connectivity.ts --manifests <dir|file> [--format text|json|md]
 *       [--outside-namespace <ns>] [--kube-dns] [--kube-dns-namespace <ns>]
 *       [--kube-dns-labels k=v,k=v] [--apiserver-cidr <cidr>] [--internet]
 *       [--no-ip-ranges] [--quiet]
 *
 * `--manifests` takes a file, a directory, or a synth output directory (its
 * `manifests/` is read). Exit codes: 0 success, 1 unreadable/invalid manifests
 * or peer options, 2 usage error — a missing path, or input that holds no
 * Kubernetes object. Warnings about the manifests go to stderr.
 */
import {
    analyzeConnectivity,
    renderMarkdownMatrix,
    renderText,
    virtualPeers,
    type VirtualPeerOptions,
} from "../lib/connectivity/index";
import { quietOnClosedPipe } from "./cli";
import { loadKubernetesObjects, ManifestError, NotKubernetesError } from "../lib/manifests";

const USAGE = `usage: connectivity --manifests <dir|file> [--format text|json|md]
       [--outside-namespace <ns>] [--kube-dns] [--kube-dns-namespace <ns>] [--kube-dns-labels k=v,...]
       [--apiserver-cidr <cidr>] [--internet] [--no-ip-ranges] [--quiet]

  --manifests <p>           .yaml/.yml/.json file or directory (searched recursively),
                            or a synth output directory (its manifests/)
  --format <f>              text (default: "src => dst : conn" lines), json, md (matrix)
  --outside-namespace <ns>  add peer "outside" = a pod in the ingress controller namespace
  --kube-dns                add peer "kube-dns" (kube-system, k8s-app=kube-dns)
  --kube-dns-namespace <ns> namespace of kube-dns (implies --kube-dns)
  --kube-dns-labels <l>     pod labels of kube-dns, k=v,k=v (implies --kube-dns)
  --apiserver-cidr <cidr>   add IP peer "kube-apiserver" (use 0.0.0.0/0 when unknown)
  --internet                add IP peer "internet" (0.0.0.0/0 minus RFC 1918 ranges)
  --no-ip-ranges            do not list the anonymous IP ranges
  --quiet                   do not print warnings
`;

/** Where `main` writes. */
export interface CliIo {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
}

class UsageError extends Error {}

interface CliArgs {
    readonly manifests: string;
    readonly format: "text" | "json" | "md";
    readonly peers: VirtualPeerOptions;
    readonly ipRanges: boolean;
    readonly quiet: boolean;
}

function parseLabels(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of text.split(",").filter((p) => p !== "")) {
        const eq = part.indexOf("=");
        if (eq <= 0) throw new UsageError(`--kube-dns-labels: expected k=v, got "${part}"`);
        out[part.slice(0, eq)] = part.slice(eq + 1);
    }
    return out;
}

function parseArgs(argv: readonly string[]): CliArgs | "help" {
    let manifests: string | undefined;
    let format: CliArgs["format"] = "text";
    let outsideNamespace: string | undefined;
    let kubeDns = false;
    let dnsNamespace: string | undefined;
    let dnsLabels: Record<string, string> | undefined;
    let apiServer: string | undefined;
    let internet = false;
    let ipRanges = true;
    let quiet = false;
    for (let i = 0; i < argv.length; i++) {
        const raw = argv[i] as string;
        const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
        const flag = eq > 0 ? raw.slice(0, eq) : raw;
        const inline = eq > 0 ? raw.slice(eq + 1) : undefined;
        const value = (): string => {
            if (inline !== undefined) return inline;
            const v = argv[i + 1];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
            i++;
            return v;
        };
        const noValue = (): void => {
            if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
        };
        switch (flag) {
            case "-h":
            case "--help":
                return "help";
            case "--manifests":
                manifests = value();
                break;
            case "--format": {
                const f = value();
                if (f !== "text" && f !== "json" && f !== "md")
                    throw new UsageError(`--format must be text, json or md (got "${f}")`);
                format = f;
                break;
            }
            case "--outside-namespace":
                outsideNamespace = value();
                break;
            case "--kube-dns":
                noValue();
                kubeDns = true;
                break;
            case "--kube-dns-namespace":
                dnsNamespace = value();
                kubeDns = true;
                break;
            case "--kube-dns-labels":
                dnsLabels = parseLabels(value());
                kubeDns = true;
                break;
            case "--apiserver-cidr":
                apiServer = value();
                break;
            case "--internet":
                noValue();
                internet = true;
                break;
            case "--no-ip-ranges":
                noValue();
                ipRanges = false;
                break;
            case "--quiet":
                noValue();
                quiet = true;
                break;
            default:
                throw new UsageError(raw.startsWith("-") ? `unknown option ${flag}` : `unexpected argument "${raw}"`);
        }
    }
    if (manifests === undefined || manifests === "") throw new UsageError("--manifests <dir|file> is required");
    const peers: VirtualPeerOptions = {
        ...(outsideNamespace === undefined ? {} : { outsideNamespace }),
        ...(kubeDns
            ? {
                  kubeDns: {
                      ...(dnsNamespace === undefined ? {} : { namespace: dnsNamespace }),
                      ...(dnsLabels === undefined ? {} : { labels: dnsLabels }),
                  },
              }
            : {}),
        ...(apiServer === undefined ? {} : { kubeApiServer: apiServer }),
        internet,
    };
    return { manifests, format, peers, ipRanges, quiet };
}

const defaultIo: CliIo = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
};

/**
 * Runs the CLI with `argv` (without the node/script names) and returns the
 * exit code; never throws and never prints a stack trace.
 */
export function main(argv: readonly string[], io: CliIo = defaultIo): number {
    let args: CliArgs | "help";
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            io.stderr(`connectivity: ${e.message}\n${USAGE}`);
            return 2;
        }
        throw e;
    }
    if (args === "help") {
        io.stdout(USAGE);
        return 0;
    }
    try {
        const objects = loadKubernetesObjects(args.manifests).map((o) => o.object);
        const entries = analyzeConnectivity(objects, {
            ...virtualPeers(args.peers),
            ipRanges: args.ipRanges,
            onWarning: args.quiet ? undefined : (m) => io.stderr(`warning: ${m}\n`),
        });
        if (args.format === "json") io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
        else if (args.format === "md") io.stdout(renderMarkdownMatrix(entries));
        else io.stdout(renderText(entries));
        return 0;
    } catch (e) {
        const usage =
            e instanceof NotKubernetesError ||
            (e instanceof ManifestError && e.message.endsWith("no such file or directory"));
        io.stderr(`connectivity: ${e instanceof Error ? e.message : String(e)}\n`);
        return usage ? 2 : 1;
    }
}

if (typeof require !== "undefined" && typeof module !== "undefined" && require.main === module) {
    quietOnClosedPipe();
    process.exitCode = main(process.argv.slice(2));
}
