import { existsSync } from "node:fs";
import type { InstancePaths } from "./paths.js";
import { isOurProcess, readPidFile } from "./pidfile.js";
import { hasSavedState } from "./suspend.js";

/** Suspended: nothing runs, and a saved VM state (store/suspend.ts) waits for the next start. */
export type InstanceStatus = "Running" | "Stopped" | "Suspended" | "Broken";

export interface StatusReport {
  status: InstanceStatus;
  /** Live, verified pids (undefined when not running or not ours). */
  haPid?: number;
  qemuPid?: number;
  /** Why the instance is Broken, or which stale files a Stopped one left behind. */
  reason?: string;
}

export interface PidFacts {
  haPidFile?: number;
  haAlive: boolean;
  qemuPidFile?: number;
  qemuAlive: boolean;
  /** A valid saved state exists (suspend.json + vmstate). */
  savedState?: boolean;
}

/**
 * Classifies pid facts: Running when both are alive, Stopped (or Suspended, with a saved state)
 * when neither, Broken when one. Pure.
 */
export function classifyStatus(f: PidFacts): StatusReport {
  const haPid = f.haAlive ? f.haPidFile : undefined;
  const qemuPid = f.qemuAlive ? f.qemuPidFile : undefined;
  if (f.haAlive && f.qemuAlive) return { status: "Running", haPid, qemuPid };
  if (!f.haAlive && !f.qemuAlive) {
    if (f.savedState === true) return { status: "Suspended" };
    const stale = [f.haPidFile !== undefined ? "ha.pid" : "", f.qemuPidFile !== undefined ? "qemu.pid" : ""].filter(Boolean);
    return stale.length > 0 ? { status: "Stopped", reason: `stale ${stale.join(" and ")}` } : { status: "Stopped" };
  }
  if (f.haAlive) {
    const why = f.qemuPidFile === undefined ? "qemu.pid is missing" : `qemu (pid ${f.qemuPidFile}) is not running`;
    return { status: "Broken", haPid, reason: `the host agent (pid ${f.haPidFile}) runs but ${why}` };
  }
  const why = f.haPidFile === undefined ? "ha.pid is missing" : `the host agent (pid ${f.haPidFile}) is not running`;
  return { status: "Broken", qemuPid, reason: `qemu (pid ${f.qemuPidFile}) runs but ${why}: \`start\` re-attaches to it (the guest runs on), \`stop\` powers it off` };
}

/** The foreground host agent runs inside `tslima start --foreground NAME`. */
function foregroundAgent(name: string) {
  return (cmdline: string[]) => cmdline.includes("--foreground") && cmdline.includes(name);
}

/** Reads pid files and checks the processes (alive and really ours). */
export function inspectStatus(paths: InstancePaths): StatusReport {
  const haPidFile = readPidFile(paths.haPid);
  const qemuPidFile = readPidFile(paths.qemuPid);
  return classifyStatus({
    haPidFile,
    haAlive: haPidFile !== undefined && isOurProcess(haPidFile, paths.dir, foregroundAgent(paths.name)),
    qemuPidFile,
    qemuAlive: qemuPidFile !== undefined && isOurProcess(qemuPidFile, paths.dir),
    savedState: hasSavedState(paths),
  });
}

/** Whether the directory is an instance (has lima.yaml). */
export function isInstanceDir(paths: InstancePaths): boolean {
  return existsSync(paths.limaYaml);
}
