/**
 * The rules every fixed-size workload (ExtAuth, the injector, Keycloak, the data stores) resolves its
 * level row with: replica overrides never below the level, a PDB that never blocks a drain, and the
 * row's anti-affinity where it means something. Pure.
 */
import { AntiAffinity, Availability, FixedProfile, LevelProfile } from "./levels";

/** Adds a config issue at a path below `agentstack:`. */
export type AddIssue = (path: (string | number)[], message: string) => void;

/** A replica override, checked against the level's minimum (an issue at `path` when below). */
export function replicasOverride(
    base: number,
    override: number | undefined,
    path: (string | number)[],
    profile: LevelProfile,
    add: AddIssue,
): number {
    if (override !== undefined && override < base) {
        add(
            path,
            `${override} is below the level ${profile.level} minimum of ${base}: remove the override or set it to at least ${base}`,
        );
    }
    return override ?? base;
}

/**
 * PDB minAvailable of a fixed workload, or undefined for none: only where the level asks for PDBs and
 * the workload runs at least two pods; the row's value, else a majority from three pods on, else the
 * level's default — always below the replica count, so a node drain is never blocked.
 */
export function pdbMinAvailableFor(profile: LevelProfile, replicas: number, row?: number): number | undefined {
    if (!profile.pdbs || replicas < 2) return undefined;
    const wanted = row ?? (replicas >= 3 ? Math.floor(replicas / 2) + 1 : profile.pdbMinAvailable);
    return Math.max(1, Math.min(wanted, replicas - 1));
}

/** The row's anti-affinity for a replica count: none for a single pod unless the row applies at every count. */
export function rowAntiAffinity(row: FixedProfile, replicas: number, everyCount = false): AntiAffinity {
    return everyCount || replicas >= 2 ? row.antiAffinity : "none";
}

/**
 * The availability of a workload without a row of its own (agents, MCP servers, the gateway and its
 * chat UI, the sandbox), from its smallest replica count: the level's anti-affinity and PDB for a
 * multi-replica workload, none for a single pod.
 */
export function levelAvailability(profile: LevelProfile, minReplicas: number): Availability {
    const pdb = pdbMinAvailableFor(profile, minReplicas, profile.pdbMinAvailable);
    return {
        antiAffinity: minReplicas >= 2 ? profile.antiAffinity : "none",
        ...(pdb !== undefined ? { pdbMinAvailable: pdb } : {}),
    };
}
