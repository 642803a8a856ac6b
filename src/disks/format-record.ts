/**
 * The format of an additional disk, written when `disk create` / `disk import` makes it
 * (`_disks/NAME/format`). A raw disk holds whatever its guests wrote, possibly a qcow2 header naming a
 * host file: probing its bytes again would let a guest turn its raw disk into a qcow2 over a host file.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../store/atomic.js";
import { DISK_FORMATS, type DiskFormat, type DiskPaths } from "./plan.js";

export function writeDiskFormat(p: DiskPaths, format: DiskFormat): void {
  writeFileAtomic(p.formatRecord, `${format}\n`);
}

/** The recorded format; undefined for a disk made before tslima recorded it (or a bad record). */
export function readDiskFormat(p: DiskPaths): DiskFormat | undefined {
  let text: string;
  try {
    text = readFileSync(p.formatRecord, "utf8").trim();
  } catch {
    return undefined;
  }
  return (DISK_FORMATS as readonly string[]).includes(text) ? (text as DiskFormat) : undefined;
}
