/**
 * Instances that live only as long as the process that made them (an MCP server's `--from`
 * sandbox): `owner.json` in the instance directory names that process (pid and its start time, so
 * a reused pid is not taken for it) and the booted snapshots made for the instance (its
 * checkpoints; written by instance/owned.ts). When the owner ends without cleaning up (SIGKILL, a crash) the record outlives it;
 * `orphanedInstances` finds such instances and instance/owned.ts deletes them at the next command.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../proc/pid.js";

export const OWNER_FILE = "owner.json";

export interface OwnerRecord {
  pid: number;
  /** /proc/PID/stat's start time (clock ticks since boot); absent where there is no /proc. */
  startTime?: number;
  /** What owns it, for messages: e.g. "mcp serve --from base". */
  purpose: string;
  /** Booted snapshots made for this instance, deleted with it. */
  snapshots: string[];
}

/** A process's start time from /proc, or undefined. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const t = Number(fields[19]);
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The record of the running process `pid` (this one by default). */
export function ownerRecord(purpose: string, pid = process.pid): OwnerRecord {
  const startTime = processStartTime(pid);
  return { pid, ...(startTime !== undefined ? { startTime } : {}), purpose, snapshots: [] };
}

/** The instance's owner record, or undefined (none, or unreadable: treated as none). */
export function readOwner(instanceDir: string): OwnerRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(instanceDir, OWNER_FILE), "utf8")) as Partial<OwnerRecord>;
    if (typeof r.pid !== "number" || typeof r.purpose !== "string") return undefined;
    const snapshots = Array.isArray(r.snapshots) ? r.snapshots.filter((s): s is string => typeof s === "string") : [];
    return { pid: r.pid, ...(typeof r.startTime === "number" ? { startTime: r.startTime } : {}), purpose: r.purpose, snapshots };
  } catch {
    return undefined;
  }
}

/** Whether the owner has ended (its pid is gone, or now belongs to a process started later). */
export function ownerGone(r: OwnerRecord): boolean {
  if (!isAlive(r.pid)) return true;
  return r.startTime !== undefined && processStartTime(r.pid) !== r.startTime;
}

/** Instances of the home whose owner has ended: [name, record]. Cheap: one readdir, one stat each. */
export function orphanedInstances(home: string): [string, OwnerRecord][] {
  let names: string[];
  try {
    names = readdirSync(home).filter((n) => !n.startsWith("_") && !n.startsWith("."));
  } catch {
    return [];
  }
  const out: [string, OwnerRecord][] = [];
  for (const n of names) {
    const r = readOwner(join(home, n));
    if (r !== undefined && ownerGone(r)) out.push([n, r]);
  }
  return out;
}
