/**
 * IP address arithmetic for NetworkPolicy `ipBlock`s, for IPv4 and IPv6.
 * Addresses are `bigint`s; sets are sorted lists of disjoint inclusive ranges
 * per family, so nothing is ever enumerated address by address.
 */

/** Address family. */
export type IpFamily = 4 | 6;

/** An inclusive range of addresses of one family. */
export interface IpRange {
    readonly family: IpFamily;
    readonly start: bigint;
    readonly end: bigint;
}

const MAX: Readonly<Record<IpFamily, bigint>> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };
const BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };

/** The whole address space of a family. */
export function universe(family: IpFamily): IpRange {
    return { family, start: 0n, end: MAX[family] };
}

function parseIpv4(s: string): bigint | undefined {
    const parts = s.split(".");
    if (parts.length !== 4) return undefined;
    let v = 0n;
    for (const p of parts) {
        if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return undefined;
        const n = Number(p);
        if (n > 255) return undefined;
        v = (v << 8n) | BigInt(n);
    }
    return v;
}

function parseIpv6(s: string): bigint | undefined {
    if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
    let text = s;
    if (text.includes(".")) {
        // Embedded IPv4 tail (`::ffff:10.0.0.1`): rewrite it as two hex groups.
        const lastColon = text.lastIndexOf(":");
        const v4 = parseIpv4(text.slice(lastColon + 1));
        if (v4 === undefined) return undefined;
        text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const parseGroups = (h: string): number[] | undefined => {
        if (h === "") return [];
        const out: number[] = [];
        for (const g of h.split(":")) {
            if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
            out.push(parseInt(g, 16));
        }
        return out;
    };
    const head = parseGroups(halves[0] as string);
    const rest = halves.length === 2 ? parseGroups(halves[1] as string) : [];
    if (head === undefined || rest === undefined) return undefined;
    let groups: number[];
    if (halves.length === 2) {
        const missing = 8 - head.length - rest.length;
        if (missing < 1) return undefined;
        groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
    } else {
        groups = head;
    }
    if (groups.length !== 8) return undefined;
    return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses a single IPv4 or IPv6 address. */
function parseIp(s: string): { family: IpFamily; value: bigint } | undefined {
    const t = s.trim();
    if (t.includes(":")) {
        const v = parseIpv6(t);
        return v === undefined ? undefined : { family: 6, value: v };
    }
    const v = parseIpv4(t);
    return v === undefined ? undefined : { family: 4, value: v };
}

/**
 * Parses a CIDR (`10.0.0.0/8`, `fd00::/8`). Host bits are masked off, as the
 * network implementations do. Returns `undefined` when malformed.
 */
export function parseCidr(s: string): IpRange | undefined {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
    if (m === null) return undefined;
    const ip = parseIp(m[1] as string);
    if (ip === undefined) return undefined;
    const bits = Number(m[2]);
    const width = BITS[ip.family];
    if (bits > width) return undefined;
    const hostBits = BigInt(width - bits);
    const hostMask = (1n << hostBits) - 1n;
    const start = ip.value & ~hostMask & MAX[ip.family];
    return { family: ip.family, start, end: start | hostMask };
}

/** Formats one address in its usual text form (IPv6 compressed per RFC 5952). */
function formatIp(family: IpFamily, value: bigint): string {
    if (family === 4) {
        return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 0xffn)).join(".");
    }
    const groups: number[] = [];
    for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen && j - i >= 2) {
            bestStart = i;
            bestLen = j - i;
        }
        i = j;
    }
    const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(":");
    if (bestStart < 0) return hex(groups);
    return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Formats a range as `first-last`, e.g. `0.0.0.0-9.255.255.255`. */
export function formatRange(r: IpRange): string {
    return `${formatIp(r.family, r.start)}-${formatIp(r.family, r.end)}`;
}

/**
 * Parses `a.b.c.d-e.f.g.h`, a CIDR, or a single address into a range.
 * Returns `undefined` when `s` is none of these.
 */
export function parseRange(s: string): IpRange | undefined {
    const t = s.trim();
    if (t.includes("/")) return parseCidr(t);
    const dash = t.indexOf("-");
    if (dash < 0) {
        const ip = parseIp(t);
        return ip === undefined ? undefined : { family: ip.family, start: ip.value, end: ip.value };
    }
    const a = parseIp(t.slice(0, dash));
    const b = parseIp(t.slice(dash + 1));
    if (a === undefined || b === undefined || a.family !== b.family || b.value < a.value) return undefined;
    return { family: a.family, start: a.value, end: b.value };
}

/** An immutable set of addresses: disjoint, sorted, non-adjacent ranges (IPv4 ranges first). */
export type IpSet = readonly IpRange[];

function compareRanges(x: IpRange, y: IpRange): number {
    if (x.family !== y.family) return x.family - y.family;
    if (x.start !== y.start) return x.start < y.start ? -1 : 1;
    return x.end === y.end ? 0 : x.end < y.end ? -1 : 1;
}

/** Builds the canonical set covering the given ranges. */
export function ipSet(ranges: readonly IpRange[]): IpSet {
    const sorted = [...ranges].sort(compareRanges);
    const out: { family: IpFamily; start: bigint; end: bigint }[] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last !== undefined && last.family === r.family && r.start <= last.end + 1n) {
            if (r.end > last.end) last.end = r.end;
        } else out.push({ ...r });
    }
    return out;
}

/** The addresses of `a` that are not in `b`. */
export function subtract(a: IpSet, b: IpSet): IpSet {
    const out: IpRange[] = [];
    for (const r of a) {
        let pieces: IpRange[] = [r];
        for (const x of b) {
            if (x.family !== r.family) continue;
            const next: IpRange[] = [];
            for (const p of pieces) {
                if (x.end < p.start || x.start > p.end) {
                    next.push(p);
                    continue;
                }
                if (x.start > p.start) next.push({ family: p.family, start: p.start, end: x.start - 1n });
                if (x.end < p.end) next.push({ family: p.family, start: x.end + 1n, end: p.end });
            }
            pieces = next;
        }
        out.push(...pieces);
    }
    return ipSet(out);
}

/** True when `value` (of `family`) is in `set`. */
export function contains(set: IpSet, family: IpFamily, value: bigint): boolean {
    return set.some((r) => r.family === family && r.start <= value && value <= r.end);
}

/** True when `set` and the range `r` share at least one address. */
export function overlaps(set: IpSet, r: IpRange): boolean {
    return set.some((x) => x.family === r.family && x.start <= r.end && r.start <= x.end);
}

/** True when some range of `set` is IPv6. */
export function hasIpv6(set: IpSet): boolean {
    return set.some((r) => r.family === 6);
}

/**
 * Splits the address space of each family in `families` into the coarsest
 * disjoint ranges such that every given set either contains a range entirely
 * or does not touch it. The ranges cover the whole space, in ascending order.
 */
export function disjointRanges(sets: readonly IpSet[], families: readonly IpFamily[]): IpRange[] {
    const out: IpRange[] = [];
    for (const family of families) {
        const cuts = new Set<bigint>([0n, MAX[family] + 1n]);
        for (const s of sets) {
            for (const r of s) {
                if (r.family !== family) continue;
                cuts.add(r.start);
                cuts.add(r.end + 1n);
            }
        }
        const sorted = [...cuts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        for (let i = 0; i + 1 < sorted.length; i++) {
            out.push({ family, start: sorted[i] as bigint, end: (sorted[i + 1] as bigint) - 1n });
        }
    }
    return out;
}
