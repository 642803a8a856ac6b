/**
 * The guest side of a suspend and a resume, as scripts and parsers. QEMU cannot save a VM while
 * the guest has a 9p share mounted, and no host session (sshfs) survives a restore, so a suspend
 * unmounts every mount in the guest first, and a resume mounts them again. Pure.
 *
 * The scripts are src/guest/mounts/suspend-*.sh. Each runs as root (`sudo -n sh -c SCRIPT NAME MOUNTPOINT...`), the mount points as its
 * arguments.
 */
import type { PlannedMount } from "./types.js";
import { MOUNTS_SUSPEND_BUSY_SH, MOUNTS_SUSPEND_REMOUNT_SH, MOUNTS_SUSPEND_UNMOUNT_SH } from "../guest/embedded.js";

/** The mount types a saved state can live with (QEMU 7.2 cannot migrate vhost-user-fs at all). */
export function unsuspendableMounts(mounts: PlannedMount[]): PlannedMount[] {
  return mounts.filter((m) => m.type === "virtiofs");
}

/**
 * Lists the guest processes that hold something under a mount point: working or root directory,
 * program, open file (/proc/PID/{cwd,root,exe,fd/*} by their link targets) or mapped file
 * (/proc/PID/maps). One line per hit: PID TAB MOUNTPOINT TAB HOW TAB COMMAND LINE.
 * One find and one grep per mount point: a shell loop over every fd is slow under TCG.
 */
export const BUSY_SCRIPT = MOUNTS_SUSPEND_BUSY_SH;

/** A guest process that keeps a mount busy. */
export interface BusyHolder {
  pid: number;
  mountPoint: string;
  /** working directory, open file, mapped file, program, root directory (joined when several). */
  how: string;
  command: string;
}

/** Reads BUSY_SCRIPT's output; one entry per process and mount point. Pure. */
export function parseBusy(stdout: string): BusyHolder[] {
  const byKey = new Map<string, BusyHolder>();
  for (const line of stdout.split("\n")) {
    const [pid, mountPoint, how, command = ""] = line.split("\t");
    if (pid === undefined || mountPoint === undefined || how === undefined || !/^\d+$/.test(pid)) continue;
    const key = `${pid}\t${mountPoint}`;
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, { pid: Number(pid), mountPoint, how, command: command.trim() });
    else if (!seen.how.split(", ").includes(how)) seen.how += `, ${how}`;
  }
  return [...byKey.values()];
}

/** "pid 812 (sleep 600) holds /mnt/x as working directory; ...". Pure. */
export function describeBusy(holders: BusyHolder[]): string {
  return holders.map((h) => `pid ${h.pid}${h.command ? ` (${h.command})` : ""} holds ${h.mountPoint} (${h.how})`).join("; ");
}

/**
 * Flushes the guest's caches (a cold boot from the saved disk then loses nothing) and unmounts
 * each mount point in order, never lazily. Prints "unmounted TAB MP" per mount it unmounted; stops
 * at the first that fails with "failed TAB MP TAB MESSAGE" and exit code 3 (the caller mounts the
 * unmounted ones again).
 */
export const UNMOUNT_SCRIPT = MOUNTS_SUSPEND_UNMOUNT_SH;

export interface UnmountOutcome {
  unmounted: string[];
  failed?: { mountPoint: string; message: string };
}

/** Reads UNMOUNT_SCRIPT's output. Pure. */
export function parseUnmount(stdout: string): UnmountOutcome {
  const out: UnmountOutcome = { unmounted: [] };
  for (const line of stdout.split("\n")) {
    const [kind, mountPoint, message = ""] = line.split("\t");
    if (mountPoint === undefined) continue;
    if (kind === "unmounted") out.unmounted.push(mountPoint);
    else if (kind === "failed") out.failed = { mountPoint, message: message.trim() };
  }
  return out;
}

/** Mounts each mount point again from the guest's fstab, unless it is mounted; exit 1 when one fails. */
export const REMOUNT_SCRIPT = MOUNTS_SUSPEND_REMOUNT_SH;

/** `sudo -n sh -c SCRIPT NAME ARGS...`: one of the scripts above as root. Pure. */
export function asRoot(script: string, name: string, args: string[]): string[] {
  return ["sudo", "-n", "sh", "-c", script, name, ...args];
}
