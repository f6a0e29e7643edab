import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../tools/connectivity";
import {
    analyzeConnectivity,
    buildModel,
    ConnectionSet,
    connectionBetween,
    parseRange,
    formatRange,
    renderMarkdownMatrix,
    renderText,
    virtualPeers,
    type AnalyzeOptions,
    type ConnEntry,
} from "../lib/connectivity/index";
import { loadManifests } from "../lib/manifests";

type Obj = Record<string, unknown>;
type Port = { name?: string; containerPort: number; protocol?: string };

const ROOT = path.resolve(__dirname, "..");

function namespace(name: string, labels?: Record<string, string>): Obj {
    return { apiVersion: "v1", kind: "Namespace", metadata: { name, ...(labels ? { labels } : {}) } };
}

function podSpec(ports: Port[] = []): Obj {
    return { containers: [{ name: "main", image: "x", ports }] };
}

function deployment(ns: string, name: string, labels: Record<string, string>, ports: Port[] = []): Obj {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, labels: { "metadata-only": "yes" } },
        spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(ports) } },
    };
}

function netpol(ns: string, name: string, spec: Obj): Obj {
    return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec };
}

/** A policy isolating `selector` pods for ingress with the given rules. */
function ingressPolicy(ns: string, name: string, podSelector: Obj, ingress: Obj[]): Obj {
    return netpol(ns, name, { podSelector, policyTypes: ["Ingress"], ingress });
}

function egressPolicy(ns: string, name: string, podSelector: Obj, egress: Obj[]): Obj {
    return netpol(ns, name, { podSelector, policyTypes: ["Egress"], egress });
}

/** Pod-to-pod entries only. */
function podEntries(objects: Obj[], options: AnalyzeOptions = {}): ConnEntry[] {
    return analyzeConnectivity(objects, { ipRanges: false, ...options });
}

function connOf(entries: ConnEntry[], src: string, dst: string): string | undefined {
    return entries.find((e) => e.src === src && e.dst === dst)?.conn;
}

const D = (ns: string, name: string): string => `${ns}/${name}[Deployment]`;

describe("ConnectionSet", () => {
    it("prints protocols in order TCP, UDP, SCTP with sorted ports and ranges", () => {
        const c = ConnectionSet.ports("SCTP", 9000)
            .union(ConnectionSet.ports("UDP", 53))
            .union(ConnectionSet.ports("TCP", 6334))
            .union(ConnectionSet.ports("TCP", 6333))
            .union(ConnectionSet.ports("TCP", 8000, 8080))
            .union(ConnectionSet.ports("TCP", 443));
        expect(c.toString()).toBe("TCP 443,6333,6334,8000-8080;UDP 53;SCTP 9000");
        expect(ConnectionSet.all().toString()).toBe("All Connections");
        expect(ConnectionSet.none().toString()).toBe("No Connections");
        expect(ConnectionSet.protocol("UDP").toString()).toBe("UDP 1-65535");
        expect(ConnectionSet.parse("TCP 443,6333,6334,8000-8080;UDP 53;SCTP 9000").equals(c)).toBe(true);
        expect(ConnectionSet.parse("TCP").union(ConnectionSet.parse("UDP;SCTP")).isAll()).toBe(true);
    });

    it("intersects and merges canonically", () => {
        const a = ConnectionSet.ports("TCP", 1, 100);
        const b = ConnectionSet.ports("TCP", 50, 200).union(ConnectionSet.ports("UDP", 53));
        expect(a.intersect(b).toString()).toBe("TCP 50-100");
        expect(
            ConnectionSet.ports("TCP", 1, 10)
                .union(ConnectionSet.ports("TCP", 11, 20))
                .toString(),
        ).toBe("TCP 1-20");
        expect(a.intersect(ConnectionSet.ports("UDP", 1, 100)).isEmpty()).toBe(true);
    });
});

describe("IP ranges", () => {
    it("parses and formats IPv4 and IPv6", () => {
        const r = parseRange("10.1.2.3/8");
        expect(r && formatRange(r)).toBe("10.0.0.0-10.255.255.255");
        const v6 = parseRange("fd00::/8");
        expect(v6 && formatRange(v6)).toBe("fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        const mapped = parseRange("::ffff:10.0.0.1");
        expect(mapped && formatRange(mapped)).toBe("::ffff:a00:1-::ffff:a00:1");
        expect(parseRange("agents/x[Deployment]")).toBeUndefined();
        expect(parseRange("kube-dns")).toBeUndefined();
    });
});

describe("selectors", () => {
    const base = [
        namespace("app"),
        deployment("app", "client", { role: "client", tier: "gold" }),
        deployment("app", "other", { role: "other" }),
        deployment("app", "server", { role: "server" }, [{ name: "http", containerPort: 8080 }]),
    ];
    const run = (from: Obj): ConnEntry[] =>
        podEntries([...base, ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ from: [from] }])]);
    const server = D("app", "server");

    it("matchLabels: allows the matching pod, denies the other", () => {
        const e = run({ podSelector: { matchLabels: { role: "client" } } });
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("app", "other"), server)).toBeUndefined();
    });

    it("matchExpressions In", () => {
        const e = run({
            podSelector: { matchExpressions: [{ key: "role", operator: "In", values: ["client", "x"] }] },
        });
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("app", "other"), server)).toBeUndefined();
    });

    it("matchExpressions NotIn (a missing label satisfies NotIn)", () => {
        const e = run({ podSelector: { matchExpressions: [{ key: "role", operator: "NotIn", values: ["client"] }] } });
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
        expect(connOf(e, D("app", "other"), server)).toBe("All Connections");
        const e2 = run({ podSelector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["gold"] }] } });
        expect(connOf(e2, D("app", "other"), server)).toBe("All Connections");
        expect(connOf(e2, D("app", "client"), server)).toBeUndefined();
    });

    it("matchExpressions Exists", () => {
        const e = run({ podSelector: { matchExpressions: [{ key: "tier", operator: "Exists" }] } });
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("app", "other"), server)).toBeUndefined();
    });

    it("matchExpressions DoesNotExist", () => {
        const e = run({ podSelector: { matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] } });
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
        expect(connOf(e, D("app", "other"), server)).toBe("All Connections");
    });

    it("matchLabels and matchExpressions are ANDed", () => {
        const e = run({
            podSelector: {
                matchLabels: { role: "client" },
                matchExpressions: [{ key: "tier", operator: "In", values: ["silver"] }],
            },
        });
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
        const e2 = run({
            podSelector: {
                matchLabels: { role: "client" },
                matchExpressions: [{ key: "tier", operator: "In", values: ["gold"] }],
            },
        });
        expect(connOf(e2, D("app", "client"), server)).toBe("All Connections");
    });

    it("an invalid operator selects nothing and warns", () => {
        const warnings: string[] = [];
        const objs = [
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                { from: [{ podSelector: { matchExpressions: [{ key: "role", operator: "Gt", values: ["1"] }] } }] },
            ]),
        ];
        const e = podEntries(objs, { onWarning: (m) => warnings.push(m) });
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
        expect(warnings.some((w) => w.includes("matchExpressions[0]"))).toBe(true);
    });

    it("empty podSelector {} in a peer selects every pod of the policy namespace", () => {
        const objs = [
            ...base,
            deployment("elsewhere", "client", { role: "client" }),
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ from: [{ podSelector: {} }] }]),
        ];
        const e = podEntries(objs);
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("app", "other"), server)).toBe("All Connections");
        expect(connOf(e, D("elsewhere", "client"), server)).toBeUndefined();
    });

    it("empty policy podSelector {} selects (isolates) every pod of its namespace only", () => {
        const objs = [
            ...base,
            deployment("elsewhere", "client", { role: "client" }),
            netpol("app", "deny", { podSelector: {} }),
        ];
        const e = podEntries(objs);
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
        expect(connOf(e, D("app", "server"), D("app", "client"))).toBeUndefined();
        expect(connOf(e, D("app", "server"), D("elsewhere", "client"))).toBe("All Connections");
    });
});

describe("peers", () => {
    const objs = (from: Obj): Obj[] => [
        namespace("app"),
        namespace("friends", { team: "friends" }),
        namespace("strangers", { team: "strangers" }),
        deployment("app", "server", { role: "server" }),
        deployment("app", "client", { role: "client" }),
        deployment("friends", "client", { role: "client" }),
        deployment("friends", "batch", { role: "batch" }),
        deployment("strangers", "client", { role: "client" }),
        ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ from: [from] }]),
    ];
    const server = D("app", "server");

    it("podSelector-only peer selects pods in the policy's namespace only", () => {
        const e = podEntries(objs({ podSelector: { matchLabels: { role: "client" } } }));
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("friends", "client"), server)).toBeUndefined();
        expect(connOf(e, D("strangers", "client"), server)).toBeUndefined();
    });

    it("namespaceSelector-only peer selects all pods of matching namespaces", () => {
        const e = podEntries(objs({ namespaceSelector: { matchLabels: { team: "friends" } } }));
        expect(connOf(e, D("friends", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("friends", "batch"), server)).toBe("All Connections");
        expect(connOf(e, D("strangers", "client"), server)).toBeUndefined();
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
    });

    it("empty namespaceSelector {} selects pods of every namespace", () => {
        const e = podEntries(objs({ namespaceSelector: {} }));
        expect(connOf(e, D("strangers", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("app", "client"), server)).toBe("All Connections");
    });

    it("namespaceSelector + podSelector select matching pods in matching namespaces", () => {
        const e = podEntries(
            objs({
                namespaceSelector: { matchLabels: { team: "friends" } },
                podSelector: { matchLabels: { role: "client" } },
            }),
        );
        expect(connOf(e, D("friends", "client"), server)).toBe("All Connections");
        expect(connOf(e, D("friends", "batch"), server)).toBeUndefined();
        expect(connOf(e, D("strangers", "client"), server)).toBeUndefined();
        expect(connOf(e, D("app", "client"), server)).toBeUndefined();
    });

    it("a namespace without a Namespace object has only kubernetes.io/metadata.name", () => {
        const base = [
            deployment("ghost", "client", { role: "client" }),
            deployment("app", "server", { role: "server" }),
        ];
        const byName = podEntries([
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ghost" } } }] },
            ]),
        ]);
        expect(connOf(byName, D("ghost", "client"), server)).toBe("All Connections");
        const byTeam = podEntries([
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                { from: [{ namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists" }] } }] },
            ]),
        ]);
        expect(connOf(byTeam, D("ghost", "client"), server)).toBeUndefined();
        const model = buildModel(base);
        expect(model.namespaces.get("ghost")).toEqual({ "kubernetes.io/metadata.name": "ghost" });
    });

    it("a Namespace object always carries its name label, even if the manifest sets another value", () => {
        const e = podEntries([
            namespace("real", { "kubernetes.io/metadata.name": "fake", team: "t" }),
            deployment("real", "client", { role: "client" }),
            deployment("app", "server", { role: "server" }),
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                {
                    from: [
                        { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "real", team: "t" } } },
                    ],
                },
            ]),
        ]);
        expect(connOf(e, D("real", "client"), server)).toBe("All Connections");
    });
});

describe("ipBlock", () => {
    const objs: Obj[] = [
        deployment("app", "web", { app: "web" }),
        egressPolicy("app", "out", { matchLabels: { app: "web" } }, [
            { to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], ports: [{ port: 443 }] },
        ]),
        ingressPolicy("app", "in", { matchLabels: { app: "web" } }, [
            { from: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.1.0/24"] } }] },
        ]),
    ];

    it("splits the address space at every cidr/except and reports each range", () => {
        const e = analyzeConnectivity(objs);
        const web = D("app", "web");
        expect(e).toEqual([
            { src: "192.168.0.0-192.168.0.255", dst: web, conn: "All Connections" },
            { src: "192.168.2.0-192.168.255.255", dst: web, conn: "All Connections" },
            { src: web, dst: "10.0.0.0-10.0.255.255", conn: "TCP 443" },
            { src: web, dst: "10.2.0.0-10.255.255.255", conn: "TCP 443" },
        ]);
        expect(buildModel(objs).ipRanges.map(formatRange)).toEqual([
            "0.0.0.0-9.255.255.255",
            "10.0.0.0-10.0.255.255",
            "10.1.0.0-10.1.255.255",
            "10.2.0.0-10.255.255.255",
            "11.0.0.0-192.167.255.255",
            "192.168.0.0-192.168.0.255",
            "192.168.1.0-192.168.1.255",
            "192.168.2.0-192.168.255.255",
            "192.169.0.0-255.255.255.255",
        ]);
    });

    it("answers queries for single addresses inside and outside the block", () => {
        const model = buildModel(objs);
        expect(connectionBetween(model, D("app", "web"), "10.9.9.9").toString()).toBe("TCP 443");
        expect(connectionBetween(model, D("app", "web"), "10.1.2.3").isEmpty()).toBe(true);
        expect(connectionBetween(model, "192.168.7.1", D("app", "web")).isAll()).toBe(true);
        expect(connectionBetween(model, "192.168.1.1", D("app", "web")).isEmpty()).toBe(true);
        expect(() => connectionBetween(model, "1.1.1.1", "2.2.2.2")).toThrow(/two IP peers/);
    });

    it("pod IPs are not inside any ipBlock: a 0.0.0.0/0 rule does not admit pods", () => {
        const e = podEntries([
            deployment("app", "a", { app: "a" }),
            deployment("app", "b", { app: "b" }),
            ingressPolicy("app", "p", { matchLabels: { app: "b" } }, [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }]),
        ]);
        expect(connOf(e, D("app", "a"), D("app", "b"))).toBeUndefined();
        expect(connOf(e, D("app", "b"), D("app", "a"))).toBe("All Connections");
    });

    it("a non-isolated pod is open to and from every range; ingress is open when only egress is isolated", () => {
        const e = analyzeConnectivity([deployment("app", "web", { app: "web" })]);
        expect(e).toEqual([
            { src: "0.0.0.0-255.255.255.255", dst: D("app", "web"), conn: "All Connections" },
            { src: D("app", "web"), dst: "0.0.0.0-255.255.255.255", conn: "All Connections" },
        ]);
    });

    it("supports IPv6 blocks", () => {
        const e = analyzeConnectivity([
            deployment("app", "web", { app: "web" }),
            egressPolicy("app", "out", { matchLabels: { app: "web" } }, [
                { to: [{ ipBlock: { cidr: "2001:db8::/32" } }] },
            ]),
        ]);
        const out = e.filter((x) => x.src === D("app", "web")).map((x) => x.dst);
        expect(out).toEqual(["2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]);
    });
});

describe("ports", () => {
    const base = [
        deployment("app", "client", { role: "client" }),
        deployment("app", "server", { role: "server" }, [
            { name: "http", containerPort: 8080 },
            { name: "dns", containerPort: 53, protocol: "UDP" },
        ]),
        deployment("app", "bare", { role: "server" }),
    ];
    const run = (ports: Obj[]): ConnEntry[] =>
        podEntries([...base, ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ ports }])]);
    const c = D("app", "client");
    const s = D("app", "server");

    it("numeric port: only that TCP port", () => {
        const e = run([{ port: 80 }]);
        expect(connOf(e, c, s)).toBe("TCP 80");
        const set = connectionBetween(
            buildModel([
                ...base,
                ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ ports: [{ port: 80 }] }]),
            ]),
            c,
            s,
        );
        expect(set.has("TCP", 80)).toBe(true);
        expect(set.has("TCP", 81)).toBe(false);
        expect(set.has("UDP", 80)).toBe(false);
    });

    it("named port on ingress resolves on the selected (destination) pod", () => {
        const e = run([{ port: "http" }]);
        expect(connOf(e, c, s)).toBe("TCP 8080");
        expect(connOf(e, c, D("app", "bare"))).toBeUndefined();
    });

    it("named port must match the protocol of the container port", () => {
        expect(connOf(run([{ port: "dns", protocol: "UDP" }]), c, s)).toBe("UDP 53");
        expect(connOf(run([{ port: "dns" }]), c, s)).toBeUndefined();
    });

    it("named port on egress resolves on the peer (destination) pod", () => {
        const objs = [
            deployment("app", "client", { role: "client" }),
            deployment("app", "metrics", { role: "m" }, [{ name: "metrics", containerPort: 9090 }]),
            deployment("app", "nometrics", { role: "n" }, [{ name: "web", containerPort: 80 }]),
            egressPolicy("app", "out", { matchLabels: { role: "client" } }, [{ ports: [{ port: "metrics" }] }]),
        ];
        const warnings: string[] = [];
        const e = analyzeConnectivity(objs, { onWarning: (w) => warnings.push(w) });
        expect(connOf(e, c, D("app", "metrics"))).toBe("TCP 9090");
        expect(connOf(e, c, D("app", "nometrics"))).toBeUndefined();
        // Named port towards IP ranges cannot be resolved: nothing allowed, and a warning.
        expect(e.filter((x) => x.src === c && parseRange(x.dst) !== undefined)).toEqual([]);
        expect(warnings.some((w) => w.includes("cannot be resolved for IP destinations"))).toBe(true);
    });

    it("endPort: an inclusive range", () => {
        const objs = [
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                { ports: [{ port: 8000, endPort: 8080 }] },
            ]),
        ];
        expect(connOf(podEntries(objs), c, s)).toBe("TCP 8000-8080");
        const set = connectionBetween(buildModel(objs), c, s);
        expect(set.has("TCP", 8080)).toBe(true);
        expect(set.has("TCP", 8081)).toBe(false);
        expect(set.has("TCP", 7999)).toBe(false);
    });

    it("invalid endPort (< port) allows nothing and warns", () => {
        const warnings: string[] = [];
        const objs = [
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                { ports: [{ port: 9000, endPort: 8000 }] },
            ]),
        ];
        expect(connOf(podEntries(objs, { onWarning: (w) => warnings.push(w) }), c, s)).toBeUndefined();
        expect(warnings.length).toBeGreaterThan(0);
    });

    it("each protocol: TCP (default), UDP, SCTP, sorted TCP;UDP;SCTP", () => {
        expect(connOf(run([{ protocol: "UDP", port: 53 }]), c, s)).toBe("UDP 53");
        expect(connOf(run([{ protocol: "SCTP", port: 9000 }]), c, s)).toBe("SCTP 9000");
        expect(connOf(run([{ protocol: "TCP", port: 53 }]), c, s)).toBe("TCP 53");
        expect(
            connOf(
                run([{ protocol: "SCTP", port: 9000 }, { protocol: "UDP", port: 53 }, { port: 6334 }, { port: 6333 }]),
                c,
                s,
            ),
        ).toBe("TCP 6333,6334;UDP 53;SCTP 9000");
        const set = connectionBetween(
            buildModel([
                ...base,
                ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [
                    { ports: [{ protocol: "UDP", port: 53 }] },
                ]),
            ]),
            c,
            s,
        );
        expect(set.has("TCP", 53)).toBe(false);
        expect(set.has("SCTP", 53)).toBe(false);
    });

    it("a port entry with only a protocol allows all its ports", () => {
        expect(connOf(run([{ protocol: "UDP" }]), c, s)).toBe("UDP 1-65535");
    });

    it("an empty or absent ports list allows all ports and protocols", () => {
        expect(connOf(run([]), c, s)).toBe("All Connections");
        const e = podEntries([
            ...base,
            ingressPolicy("app", "p", { matchLabels: { role: "server" } }, [{ from: [{ podSelector: {} }] }]),
        ]);
        expect(connOf(e, c, s)).toBe("All Connections");
    });
});

describe("policy semantics", () => {
    const a = D("app", "a");
    const b = D("app", "b");
    const pods = [deployment("app", "a", { app: "a" }), deployment("app", "b", { app: "b" })];

    it("policyTypes absent and no egress section: Ingress only", () => {
        const e = podEntries([
            ...pods,
            netpol("app", "p", { podSelector: { matchLabels: { app: "a" } }, ingress: [] }),
        ]);
        expect(connOf(e, b, a)).toBeUndefined(); // ingress of a isolated, no rules
        expect(connOf(e, a, b)).toBe("All Connections"); // egress of a not isolated
    });

    it("policyTypes absent with an egress section: Ingress and Egress", () => {
        const e = podEntries([
            ...pods,
            netpol("app", "p", {
                podSelector: { matchLabels: { app: "a" } },
                egress: [{ ports: [{ port: 53, protocol: "UDP" }] }],
            }),
        ]);
        expect(connOf(e, a, b)).toBe("UDP 53");
        expect(connOf(e, b, a)).toBeUndefined();
    });

    it("policyTypes absent with an empty egress list: Ingress only (API server defaulting)", () => {
        const e = podEntries([...pods, netpol("app", "p", { podSelector: { matchLabels: { app: "a" } }, egress: [] })]);
        expect(connOf(e, a, b)).toBe("All Connections");
        expect(connOf(e, b, a)).toBeUndefined();
    });

    it("explicit policyTypes [Egress] ignores the ingress section", () => {
        const e = podEntries([
            ...pods,
            netpol("app", "p", { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Egress"], ingress: [] }),
        ]);
        expect(connOf(e, b, a)).toBe("All Connections");
        expect(connOf(e, a, b)).toBeUndefined();
    });

    it("isolation applies only to the selected pods", () => {
        const three = [...pods, deployment("app", "c", { app: "c" })];
        const e = podEntries([
            ...three,
            netpol("app", "deny-a", { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Ingress", "Egress"] }),
        ]);
        expect(connOf(e, b, a)).toBeUndefined();
        expect(connOf(e, a, b)).toBeUndefined();
        expect(connOf(e, b, D("app", "c"))).toBe("All Connections");
        expect(connOf(e, D("app", "c"), b)).toBe("All Connections");
    });

    it("the rules of two policies selecting the same pod are unioned", () => {
        const withC = [...pods, deployment("app", "c", { app: "c" })];
        const e = podEntries([
            ...withC,
            ingressPolicy("app", "p1", { matchLabels: { app: "a" } }, [
                { from: [{ podSelector: { matchLabels: { app: "b" } } }], ports: [{ port: 80 }] },
            ]),
            ingressPolicy("app", "p2", { matchLabels: { app: "a" } }, [
                { from: [{ podSelector: { matchLabels: { app: "b" } } }], ports: [{ port: 443 }] },
            ]),
        ]);
        expect(connOf(e, b, a)).toBe("TCP 80,443");
        expect(connOf(e, D("app", "c"), a)).toBeUndefined();
    });

    it("a connection needs both the source's egress and the destination's ingress", () => {
        const egress = egressPolicy("app", "e", { matchLabels: { app: "a" } }, [
            { to: [{ podSelector: { matchLabels: { app: "b" } } }], ports: [{ port: 80 }, { port: 8080 }] },
        ]);
        const ingress = ingressPolicy("app", "i", { matchLabels: { app: "b" } }, [
            { from: [{ podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: 80 }, { port: 443 }] },
        ]);
        expect(connOf(podEntries([...pods, egress, ingress]), a, b)).toBe("TCP 80");
        const denyIngress = netpol("app", "deny", {
            podSelector: { matchLabels: { app: "b" } },
            policyTypes: ["Ingress"],
        });
        expect(connOf(podEntries([...pods, egress, denyIngress]), a, b)).toBeUndefined();
        const denyEgress = netpol("app", "deny", {
            podSelector: { matchLabels: { app: "a" } },
            policyTypes: ["Egress"],
        });
        expect(connOf(podEntries([...pods, ingress, denyEgress]), a, b)).toBeUndefined();
    });

    it("ignores NetworkPolicies of other API groups", () => {
        const calico = {
            apiVersion: "projectcalico.org/v3",
            kind: "NetworkPolicy",
            metadata: { name: "x", namespace: "app" },
            spec: { selector: "all()" },
        };
        expect(connOf(podEntries([...pods, calico]), a, b)).toBe("All Connections");
    });

    it("omits self loops from the report but connectionBetween answers replica-to-replica", () => {
        const objs = [
            ...pods,
            ingressPolicy("app", "p", { matchLabels: { app: "a" } }, [
                { from: [{ podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: 7000 }] },
            ]),
        ];
        expect(podEntries(objs).some((x) => x.src === x.dst)).toBe(false);
        expect(connectionBetween(buildModel(objs), a, a).toString()).toBe("TCP 7000");
    });
});

describe("workload kinds", () => {
    const kinds: Obj[] = [
        {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "pod", namespace: "w", labels: { role: "client" } },
            spec: podSpec(),
        },
        {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "job", namespace: "w", labels: { role: "server" } },
            spec: { template: { metadata: { labels: { role: "client" } }, spec: podSpec() } },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: { name: "cron", namespace: "w", labels: { role: "server" } },
            spec: {
                schedule: "* * * * *",
                jobTemplate: {
                    metadata: { labels: { role: "server" } },
                    spec: { template: { metadata: { labels: { role: "client" } }, spec: podSpec() } },
                },
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "ds", namespace: "w", labels: { role: "server" } },
            spec: { template: { metadata: { labels: { role: "client" } }, spec: podSpec() } },
        },
        {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            metadata: { name: "sts", namespace: "w" },
            spec: { template: { metadata: { labels: { role: "client" } }, spec: podSpec() } },
        },
        {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            metadata: { name: "rs", namespace: "w" },
            spec: { template: { metadata: { labels: { role: "other" } }, spec: podSpec() } },
        },
        deployment("w", "server", { role: "server" }, [{ name: "http", containerPort: 8080 }]),
        ingressPolicy("w", "p", { matchLabels: { role: "server" } }, [
            { from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: "http" }] },
        ]),
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "w" }, data: {} },
    ];

    it("names workloads ns/name[Kind] and uses the pod template labels", () => {
        const e = podEntries(kinds);
        const server = D("w", "server");
        for (const src of ["w/pod[Pod]", "w/job[Job]", "w/cron[CronJob]", "w/ds[DaemonSet]", "w/sts[StatefulSet]"]) {
            expect(connOf(e, src, server)).toBe("TCP 8080");
        }
        expect(connOf(e, "w/rs[ReplicaSet]", server)).toBeUndefined();
        // object metadata labels (role=server on Job/CronJob/DaemonSet) do not make them policy targets
        expect(connOf(e, "w/rs[ReplicaSet]", "w/cron[CronJob]")).toBe("All Connections");
        expect(buildModel(kinds).workloads.map((w) => w.name)).toEqual([
            "w/cron[CronJob]",
            "w/ds[DaemonSet]",
            "w/job[Job]",
            "w/pod[Pod]",
            "w/rs[ReplicaSet]",
            "w/server[Deployment]",
            "w/sts[StatefulSet]",
        ]);
    });

    it("a Pod's metadata.labels are its labels; a CronJob's are its job template's pod labels", () => {
        const e = podEntries([
            ...kinds,
            ingressPolicy("w", "p2", { matchLabels: { role: "client" } }, [
                { from: [{ podSelector: { matchLabels: { role: "other" } } }] },
            ]),
        ]);
        expect(connOf(e, "w/rs[ReplicaSet]", "w/pod[Pod]")).toBe("All Connections");
        expect(connOf(e, "w/rs[ReplicaSet]", "w/cron[CronJob]")).toBe("All Connections");
        expect(connOf(e, D("w", "server"), "w/pod[Pod]")).toBeUndefined();
        expect(connOf(e, D("w", "server"), "w/cron[CronJob]")).toBeUndefined();
    });

    it("objects without a namespace go to the default namespace", () => {
        const e = podEntries([
            { apiVersion: "v1", kind: "Pod", metadata: { name: "p", labels: {} }, spec: podSpec() },
            deployment("x", "y", {}),
        ]);
        expect(connOf(e, "default/p[Pod]", D("x", "y"))).toBe("All Connections");
    });
});

describe("virtual peers", () => {
    const objs: Obj[] = [
        namespace("agents", { tier: "agents" }),
        deployment("agents", "agent", { app: "agent" }, [{ name: "http", containerPort: 8080 }]),
        netpol("agents", "agent", {
            podSelector: { matchLabels: { app: "agent" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }],
                    ports: [{ port: "http" }],
                },
            ],
            egress: [
                {
                    to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ port: "dns", protocol: "UDP" }, { port: "dns-tcp" }],
                },
                {
                    to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
                    ports: [{ port: 443 }],
                },
            ],
        }),
    ];
    const opts: AnalyzeOptions = {
        ...virtualPeers({ outsideNamespace: "ingress-nginx", kubeDns: true, kubeApiServer: true, internet: true }),
        ipRanges: false,
    };
    const agent = D("agents", "agent");

    it("reports outside, kube-dns, kube-apiserver and internet by name", () => {
        const e = analyzeConnectivity(objs, opts);
        expect(e).toEqual([
            { src: agent, dst: "internet", conn: "TCP 443" },
            { src: agent, dst: "kube-apiserver", conn: "TCP 443" },
            { src: agent, dst: "kube-dns", conn: "TCP 53;UDP 53" },
            { src: "internet", dst: "kube-dns", conn: "All Connections" },
            { src: "internet", dst: "outside", conn: "All Connections" },
            { src: "kube-apiserver", dst: "kube-dns", conn: "All Connections" },
            { src: "kube-apiserver", dst: "outside", conn: "All Connections" },
            { src: "kube-dns", dst: "internet", conn: "All Connections" },
            { src: "kube-dns", dst: "kube-apiserver", conn: "All Connections" },
            { src: "kube-dns", dst: "outside", conn: "All Connections" },
            { src: "outside", dst: agent, conn: "TCP 8080" },
            { src: "outside", dst: "internet", conn: "All Connections" },
            { src: "outside", dst: "kube-apiserver", conn: "All Connections" },
            { src: "outside", dst: "kube-dns", conn: "All Connections" },
        ]);
    });

    it("match=all reports only what every address of the peer gets", () => {
        const model = buildModel(objs, {
            ...virtualPeers({ kubeApiServer: "10.96.0.1/32", internet: true, match: "all" }),
        });
        expect(connectionBetween(model, agent, "internet").toString()).toBe("TCP 443");
        expect(connectionBetween(model, agent, "kube-apiserver").isEmpty()).toBe(true);
        const any = buildModel(objs, { ipPeers: [{ name: "anywhere", cidrs: ["0.0.0.0/0"] }] });
        expect(connectionBetween(any, agent, "anywhere").toString()).toBe("TCP 443");
        expect(connectionBetween(any, agent, "anywhere", "all").isEmpty()).toBe(true);
    });

    it("rejects peer names that clash", () => {
        expect(() => buildModel(objs, { extraWorkloads: [{ name: agent, namespace: "x" }] })).toThrow(/clashes/);
    });
});

describe("rendering", () => {
    const entries: ConnEntry[] = [
        { src: "a/x[Pod]", dst: "b/y[Pod]", conn: "TCP 80" },
        { src: "b/y[Pod]", dst: "a/x[Pod]", conn: "All Connections" },
    ];

    it("renderText prints one line per entry", () => {
        expect(renderText(entries)).toBe("a/x[Pod] => b/y[Pod] : TCP 80\nb/y[Pod] => a/x[Pod] : All Connections\n");
        expect(renderText([])).toBe("");
    });

    it("renderMarkdownMatrix builds a src x dst table", () => {
        expect(renderMarkdownMatrix(entries)).toBe(
            [
                "| src \\\\ dst | a/x[Pod] | b/y[Pod] |",
                "|---|---|---|",
                "| **a/x[Pod]** | n/a | TCP 80 |",
                "| **b/y[Pod]** | All Connections | n/a |",
                "",
            ].join("\n"),
        );
        expect(renderMarkdownMatrix(entries, ["b/y[Pod]", "c|z"])).toContain("| **c\\|z** | - | n/a |");
    });

    it("sorts IP ranges numerically before named peers", () => {
        const e = analyzeConnectivity([
            deployment("app", "web", { app: "web" }),
            egressPolicy("app", "out", { matchLabels: { app: "web" } }, [
                { to: [{ ipBlock: { cidr: "9.0.0.0/8" } }, { ipBlock: { cidr: "100.0.0.0/8" } }] },
            ]),
        ]);
        expect(e.map((x) => `${x.src} ${x.dst}`)).toEqual([
            "0.0.0.0-8.255.255.255 app/web[Deployment]",
            "9.0.0.0-9.255.255.255 app/web[Deployment]",
            "10.0.0.0-99.255.255.255 app/web[Deployment]",
            "100.0.0.0-100.255.255.255 app/web[Deployment]",
            "101.0.0.0-255.255.255.255 app/web[Deployment]",
            "app/web[Deployment] 9.0.0.0-9.255.255.255",
            "app/web[Deployment] 100.0.0.0-100.255.255.255",
        ]);
    });
});

const tmpDirs: string[] = [];
afterAll(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function fixtureDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "connectivity-"));
    tmpDirs.push(dir);
    fs.mkdirSync(path.join(dir, "b-sub"));
    fs.writeFileSync(
        path.join(dir, "a.yaml"),
        [
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data\n  labels: {tier: data}",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: qdrant, namespace: data}\nspec:\n  template:\n    metadata: {labels: {app: qdrant}}\n    spec:\n      containers:\n      - name: q\n        ports: [{name: http, containerPort: 6333}, {name: grpc, containerPort: 6334}]",
            "",
        ].join("\n---\n"),
    );
    fs.writeFileSync(
        path.join(dir, "b-sub", "list.yml"),
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: qdrant, namespace: data}\n  spec:\n    podSelector: {matchLabels: {app: qdrant}}\n    policyTypes: [Ingress, Egress]\n    ingress:\n    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: agents}}}]\n      ports: [{port: http}, {port: grpc}]\n",
    );
    fs.writeFileSync(
        path.join(dir, "c.json"),
        JSON.stringify({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "agent", namespace: "agents" },
            spec: { template: { metadata: { labels: { app: "agent" } }, spec: podSpec() } },
        }),
    );
    fs.writeFileSync(path.join(dir, "notes.txt"), "ignored");
    return dir;
}

const EXPECTED_CLI: ConnEntry[] = [
    { src: "0.0.0.0-255.255.255.255", dst: "agents/agent[Deployment]", conn: "All Connections" },
    { src: "agents/agent[Deployment]", dst: "0.0.0.0-255.255.255.255", conn: "All Connections" },
    { src: "agents/agent[Deployment]", dst: "data/qdrant[StatefulSet]", conn: "TCP 6333,6334" },
];

describe("loadManifests", () => {
    it("reads multi-document YAML, List items and JSON recursively in sorted order", () => {
        const objs = loadManifests(fixtureDir());
        expect(objs.map((o) => o.kind)).toEqual(["Namespace", "StatefulSet", "NetworkPolicy", "Deployment"]);
    });

    it("names the file on parse errors", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "connectivity-bad-"));
        tmpDirs.push(dir);
        fs.writeFileSync(path.join(dir, "bad.yaml"), "a: [1, 2\n");
        expect(() => loadManifests(dir)).toThrow(/bad\.yaml: invalid YAML/);
    });
});

describe("CLI", () => {
    it("prints the JSON report (spawned as npm run connectivity runs it)", () => {
        const dir = fixtureDir();
        const r = spawnSync(
            process.execPath,
            ["tools/launch.cjs", "connectivity", "--manifests", dir, "--format", "json"],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout)).toEqual(EXPECTED_CLI);
    });

    it("exits 2 on usage errors without a stack trace", () => {
        const r = spawnSync(process.execPath, ["tools/launch.cjs", "connectivity", "--format", "yaml"], {
            cwd: ROOT,
            encoding: "utf8",
        });
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("--format must be text, json or md");
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout).toBe("");
    });

    it("main(): text format, missing path and unknown options", () => {
        const dir = fixtureDir();
        let out = "";
        let err = "";
        const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
        expect(main(["--manifests", dir], io)).toBe(0);
        expect(out).toBe(renderText(EXPECTED_CLI));
        expect(main(["--manifests", path.join(dir, "missing")], io)).toBe(2);
        expect(err).toContain("no such file or directory");
        expect(main(["--bogus"], io)).toBe(2);
        expect(err).toContain("unknown option --bogus");
        expect(main([], io)).toBe(2);
        expect(err).toContain("--manifests <dir|file> is required");
    });
});

describe("performance", () => {
    it("evaluates a 300-object input quickly", () => {
        const objs: Obj[] = [];
        for (let n = 0; n < 10; n++) {
            objs.push(namespace(`ns${n}`, { team: `t${n % 3}` }));
            for (let i = 0; i < 20; i++)
                objs.push(
                    deployment(`ns${n}`, `app${i}`, { app: `app${i}`, tier: i % 2 ? "web" : "db" }, [
                        { name: "http", containerPort: 8000 + i },
                    ]),
                );
            for (let i = 0; i < 9; i++) {
                objs.push(
                    netpol(`ns${n}`, `p${i}`, {
                        podSelector: { matchLabels: { app: `app${i}` } },
                        ingress: [
                            {
                                from: [
                                    {
                                        namespaceSelector: { matchLabels: { team: `t${i % 3}` } },
                                        podSelector: {
                                            matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }],
                                        },
                                    },
                                    { ipBlock: { cidr: `10.${i}.0.0/16`, except: [`10.${i}.1.0/24`] } },
                                ],
                                ports: [{ port: "http" }, { port: 9000, endPort: 9100 }],
                            },
                        ],
                        egress: [
                            { to: [{ podSelector: {} }, { ipBlock: { cidr: `172.16.${n}.0/24` } }] },
                            { ports: [{ protocol: "UDP", port: 53 }] },
                        ],
                    }),
                );
            }
        }
        expect(objs.length).toBe(300);
        const t0 = performance.now();
        const e = analyzeConnectivity(objs);
        const ms = performance.now() - t0;
        expect(e.length).toBeGreaterThan(1000);
        expect(ms).toBeLessThan(2000);
    });
});
