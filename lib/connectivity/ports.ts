/**
 * Connection sets: for each protocol (TCP, UDP, SCTP) a set of destination
 * ports in 1..65535, kept in canonical form (sorted, overlapping and adjacent
 * intervals merged) so that equal sets always print identically.
 *
 * Printed form (the `conn` field of the report):
 *  - every port of every protocol: `All Connections`; nothing: `No Connections`;
 *  - otherwise `PROTO list;PROTO list` with protocols in the order TCP, UDP,
 *    SCTP, where `list` is the comma-joined intervals in ascending order. An
 *    interval of one port prints as `53`, of two ports as `6333,6334`, of three
 *    or more as `8000-8080`. A protocol with every port prints `TCP 1-65535`.
 */

/** Protocols a NetworkPolicy can name. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** Protocols in output order. */
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

/** Lowest port a NetworkPolicy can name. */
export const MIN_PORT = 1;
/** Highest port a NetworkPolicy can name. */
export const MAX_PORT = 65535;

/** An inclusive port interval `[first, last]`. */
export type PortInterval = readonly [number, number];

/** True when `s` is one of the protocol names the API accepts (case-sensitive, like the API server). */
export function isProtocol(s: unknown): s is Protocol {
    return s === "TCP" || s === "UDP" || s === "SCTP";
}

function normalize(intervals: readonly PortInterval[]): PortInterval[] {
    const clipped = intervals
        .map(([a, b]): PortInterval => [Math.max(a, MIN_PORT), Math.min(b, MAX_PORT)])
        .filter(([a, b]) => a <= b)
        .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const out: [number, number][] = [];
    for (const [a, b] of clipped) {
        const last = out[out.length - 1];
        if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
        else out.push([a, b]);
    }
    return out;
}

function intersectIntervals(x: readonly PortInterval[], y: readonly PortInterval[]): PortInterval[] {
    const out: PortInterval[] = [];
    let i = 0;
    let j = 0;
    while (i < x.length && j < y.length) {
        const [a1, b1] = x[i] as PortInterval;
        const [a2, b2] = y[j] as PortInterval;
        const lo = Math.max(a1, a2);
        const hi = Math.min(b1, b2);
        if (lo <= hi) out.push([lo, hi]);
        if (b1 < b2) i++;
        else j++;
    }
    return out;
}

function formatInterval([a, b]: PortInterval): string {
    if (a === b) return String(a);
    if (b === a + 1) return `${a},${b}`;
    return `${a}-${b}`;
}

/**
 * An immutable set of (protocol, port) pairs. Build with the static
 * constructors and combine with `union` / `intersect`.
 */
export class ConnectionSet {
    private constructor(private readonly byProtocol: ReadonlyMap<Protocol, readonly PortInterval[]>) {}

    // Immutable, so the empty and the full set are shared: the evaluator asks for them per rule and pair.
    private static readonly NONE = new ConnectionSet(new Map());
    private static readonly ALL = new ConnectionSet(
        new Map(PROTOCOLS.map((p) => [p, [[MIN_PORT, MAX_PORT] as PortInterval]])),
    );

    /** The empty set (no connection). */
    static none(): ConnectionSet {
        return ConnectionSet.NONE;
    }

    /** Every port of every protocol. */
    static all(): ConnectionSet {
        return ConnectionSet.ALL;
    }

    /** The ports `first..last` (inclusive; default `last = first`) of one protocol. */
    static ports(protocol: Protocol, first: number, last: number = first): ConnectionSet {
        return ConnectionSet.fromIntervals(protocol, [[first, last]]);
    }

    /** Every port of one protocol. */
    static protocol(protocol: Protocol): ConnectionSet {
        return ConnectionSet.ports(protocol, MIN_PORT, MAX_PORT);
    }

    /** A set from intervals of one protocol (out-of-range parts are clipped). */
    static fromIntervals(protocol: Protocol, intervals: readonly PortInterval[]): ConnectionSet {
        const n = normalize(intervals);
        return new ConnectionSet(n.length === 0 ? new Map() : new Map([[protocol, n]]));
    }

    /**
     * Parses the printed form (`All Connections`, `No Connections`,
     * `TCP 80,443;UDP 53`, `TCP 8000-8080`, a bare `TCP` = all TCP ports).
     * Throws a `SyntaxError` on anything else.
     */
    static parse(text: string): ConnectionSet {
        const t = text.trim();
        if (t === "All Connections") return ConnectionSet.all();
        if (t === "No Connections" || t === "") return ConnectionSet.none();
        let acc = ConnectionSet.none();
        for (const part of t.split(";")) {
            const m = /^\s*(TCP|UDP|SCTP)(?:\s+([0-9,\s-]+))?\s*$/.exec(part);
            if (m === null) throw new SyntaxError(`cannot parse connection "${part}"`);
            const proto = m[1] as Protocol;
            if (m[2] === undefined) {
                acc = acc.union(ConnectionSet.protocol(proto));
                continue;
            }
            for (const item of m[2].split(",")) {
                const r = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
                if (r === null) throw new SyntaxError(`cannot parse port "${item}" in "${part}"`);
                const a = Number(r[1]);
                const b = r[2] === undefined ? a : Number(r[2]);
                if (a < MIN_PORT || b > MAX_PORT || b < a) throw new SyntaxError(`bad port range "${item}"`);
                acc = acc.union(ConnectionSet.ports(proto, a, b));
            }
        }
        return acc;
    }

    /** The canonical intervals of one protocol (empty when none). */
    intervals(protocol: Protocol): readonly PortInterval[] {
        return this.byProtocol.get(protocol) ?? [];
    }

    /** True when no (protocol, port) pair is in the set. */
    isEmpty(): boolean {
        return this.byProtocol.size === 0;
    }

    /** True when every port of every protocol is in the set. */
    isAll(): boolean {
        return PROTOCOLS.every((p) => {
            const iv = this.intervals(p);
            return iv.length === 1 && iv[0]?.[0] === MIN_PORT && iv[0]?.[1] === MAX_PORT;
        });
    }

    /** True when `port` of `protocol` is in the set. */
    has(protocol: Protocol, port: number): boolean {
        return this.intervals(protocol).some(([a, b]) => a <= port && port <= b);
    }

    /** The set of pairs in either set. */
    union(other: ConnectionSet): ConnectionSet {
        if (other.isEmpty()) return this;
        if (this.isEmpty()) return other;
        const m = new Map<Protocol, readonly PortInterval[]>();
        for (const p of PROTOCOLS) {
            const n = normalize([...this.intervals(p), ...other.intervals(p)]);
            if (n.length > 0) m.set(p, n);
        }
        return new ConnectionSet(m);
    }

    /** The set of pairs in both sets. */
    intersect(other: ConnectionSet): ConnectionSet {
        const m = new Map<Protocol, readonly PortInterval[]>();
        for (const p of PROTOCOLS) {
            const n = intersectIntervals(this.intervals(p), other.intervals(p));
            if (n.length > 0) m.set(p, n);
        }
        return new ConnectionSet(m);
    }

    /** True when both sets hold the same pairs. */
    equals(other: ConnectionSet): boolean {
        return this.toString() === other.toString();
    }

    /** True when every pair of this set is also in `other`. */
    isSubsetOf(other: ConnectionSet): boolean {
        return this.intersect(other).equals(this);
    }

    /** The printed form described at the top of this module. */
    toString(): string {
        if (this.isEmpty()) return "No Connections";
        if (this.isAll()) return "All Connections";
        return PROTOCOLS.filter((p) => this.intervals(p).length > 0)
            .map((p) => `${p} ${this.intervals(p).map(formatInterval).join(",")}`)
            .join(";");
    }
}
