/**
 * Report entries, their deterministic order, and text / Markdown renderings.
 */
import { parseRange } from "./ipblock";
import { compareStrings } from "../objects";

/** One allowed connection: from `src` to `dst`, `conn` in the printed form of `ConnectionSet`. */
export interface ConnEntry {
    src: string;
    dst: string;
    conn: string;
}

type PeerKey =
    | { readonly ip: false }
    | { readonly ip: true; readonly family: number; readonly start: bigint; readonly end: bigint };

function peerKey(name: string): PeerKey {
    const r = parseRange(name);
    return r === undefined ? { ip: false } : { ip: true, family: r.family, start: r.start, end: r.end };
}

function compareKeys(a: string, ka: PeerKey, b: string, kb: PeerKey): number {
    if (ka.ip && kb.ip) {
        if (ka.family !== kb.family) return ka.family - kb.family;
        if (ka.start !== kb.start) return ka.start < kb.start ? -1 : 1;
        if (ka.end !== kb.end) return ka.end < kb.end ? -1 : 1;
        return compareStrings(a, b);
    }
    if (ka.ip !== kb.ip) return ka.ip ? -1 : 1;
    return compareStrings(a, b);
}

/**
 * Orders peer names: IP ranges (`a.b.c.d-e.f.g.h`) first, IPv4 before IPv6,
 * by start address (numerically); then every other name (workloads and named
 * virtual peers) by code-unit string order.
 */
export function comparePeerNames(a: string, b: string): number {
    return compareKeys(a, peerKey(a), b, peerKey(b));
}

/** Returns the entries sorted by `src`, then `dst` (see `comparePeerNames`), then `conn`. */
export function sortEntries(entries: readonly ConnEntry[]): ConnEntry[] {
    const keys = new Map<string, PeerKey>();
    const key = (n: string): PeerKey => {
        let k = keys.get(n);
        if (k === undefined) {
            k = peerKey(n);
            keys.set(n, k);
        }
        return k;
    };
    return [...entries].sort(
        (x, y) =>
            compareKeys(x.src, key(x.src), y.src, key(y.src)) ||
            compareKeys(x.dst, key(x.dst), y.dst, key(y.dst)) ||
            compareStrings(x.conn, y.conn),
    );
}

/** One line per entry, `src => dst : conn`, each terminated by a newline (np-guard's txt format). */
export function renderText(entries: ConnEntry[]): string {
    return entries.map((e) => `${e.src} => ${e.dst} : ${e.conn}\n`).join("");
}

function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
}

/**
 * A Markdown table with one row per source and one column per destination.
 * A cell holds the allowed connections, `-` when none, `n/a` on the diagonal
 * (self connections are not reported). `peers` chooses the rows/columns and
 * their order; by default every peer named in `entries`, in report order.
 * Entries whose source or destination is not in `peers` are not shown.
 */
export function renderMarkdownMatrix(entries: ConnEntry[], peers?: string[]): string {
    const names = peers ?? [...new Set(entries.flatMap((e) => [e.src, e.dst]))].sort(comparePeerNames);
    if (names.length === 0) return "| src \\\\ dst |\n|---|\n";
    const conn = new Map<string, string>();
    for (const e of entries) conn.set(`${e.src}\u0000${e.dst}`, e.conn);
    const lines = [`| src \\\\ dst | ${names.map(cell).join(" | ")} |`, `|---|${names.map(() => "---|").join("")}`];
    for (const src of names) {
        const cells = names.map((dst) => (src === dst ? "n/a" : cell(conn.get(`${src}\u0000${dst}`) ?? "-")));
        lines.push(`| **${cell(src)}** | ${cells.join(" | ")} |`);
    }
    return `${lines.join("\n")}\n`;
}
