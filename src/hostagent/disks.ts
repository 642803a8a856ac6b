import { existsSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { checkUntrustedImage } from "../qemu/index.js";
import { diskPaths, type AdditionalDisk, type AttachedDisk } from "../disks/plan.js";
import { lockDisk, unlockDisk } from "../disks/lock.js";
import { readDiskFormat } from "../disks/format-record.js";

/**
 * Locks the config's additional disks for the instance in `instanceDir` (all or none) and probes
 * their image format. Throws UNKNOWN_DISK for a disk never created, DISK_IN_USE for a locked one.
 */
export async function attachDisks(home: string, instanceDir: string, disks: AdditionalDisk[]): Promise<AttachedDisk[]> {
  const taken: AdditionalDisk[] = [];
  try {
    const out: AttachedDisk[] = [];
    for (const d of disks) {
      const p = diskPaths(home, d.name);
      if (!existsSync(p.datadisk)) {
        throw new TslimaError("UNKNOWN_DISK", `additional disk ${d.name} (additionalDisks in lima.yaml) does not exist: no ${p.datadisk}`, {
          hint: `create it: limactl disk create ${d.name} --size 10GiB, or remove it from additionalDisks (limactl edit)`,
        });
      }
      lockDisk(p, instanceDir);
      taken.push(d);
      // _disks may hold files put there by hand or imported before images were checked: a disk
      // that names a host file is refused like an image (tslima's own disks never have one)
      const imageFormat = await checkUntrustedImage(p.datadisk, { name: `additional disk ${d.name}`, path: p.datadisk }, readDiskFormat(p));
      out.push({ ...d, file: p.datadisk, imageFormat });
    }
    return out;
  } catch (e) {
    releaseDisks(home, instanceDir, taken);
    throw e;
  }
}

/** Unlocks the disks the instance holds. */
export function releaseDisks(home: string, instanceDir: string, disks: AdditionalDisk[]): void {
  for (const d of disks) unlockDisk(diskPaths(home, d.name), instanceDir);
}
