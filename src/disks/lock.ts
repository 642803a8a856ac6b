/**
 * Lima's disk lock: `in_use_by` in the disk's directory, a symlink to the directory of the instance
 * that uses it (held from the start of a boot until the host agent exits). A lock whose instance
 * directory is gone is stale and taken over; one held by another instance refuses the start.
 */
import { readlinkSync, rmSync, symlinkSync } from "node:fs";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { TslimaError } from "../errors.js";
import type { DiskPaths } from "./plan.js";

/** The instance directory holding the disk, or undefined when it is not locked. */
export function diskHolder(p: DiskPaths): string | undefined {
  try {
    return readlinkSync(p.inUseBy);
  } catch {
    return undefined;
  }
}

/** Locks the disk for `instanceDir`; throws DISK_IN_USE naming the other instance. */
export function lockDisk(p: DiskPaths, instanceDir: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    const holder = diskHolder(p);
    if (holder === instanceDir) return;
    if (holder !== undefined) {
      if (existsSync(holder)) {
        const other = basename(holder);
        throw new TslimaError("DISK_IN_USE", `additional disk ${p.name} is in use by instance ${other}`, {
          hint: `stop it first (limactl stop ${other}); if ${other} is not running, clear the stale lock: limactl disk unlock ${p.name}`,
        });
      }
      rmSync(p.inUseBy, { force: true }); // its instance is gone: a stale lock
    }
    try {
      symlinkSync(instanceDir, p.inUseBy);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  throw new TslimaError("DISK_IN_USE", `additional disk ${p.name} is being locked by another instance`, { hint: "try again" });
}

/** Removes the lock if `instanceDir` holds it (a lock taken over by another instance stays). */
export function unlockDisk(p: DiskPaths, instanceDir: string): void {
  if (diskHolder(p) === instanceDir) rmSync(p.inUseBy, { force: true });
}
