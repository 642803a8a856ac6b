/**
 * Lima's additional disks (`limactl disk`, `additionalDisks:` in lima.yaml), the pure part: the
 * disks a config asks for, the QEMU drives and the guest runner lines that attach, format and mount
 * them, and the shapes `disk list` prints. Disks live in TSLIMA_HOME/_disks/NAME/datadisk, as
 * Lima's live in LIMA_HOME/_disks; `in_use_by` there is a symlink to the instance directory using it.
 */
import { join } from "node:path";
import type { Config } from "../config/types.js";
import { qemuOptValue as optValue } from "../mounts/driver.js";
import { shellQuote } from "../proc/quote.js";

const shQuote = (s: string): string => shellQuote(s, { always: true });

/** One entry of `additionalDisks:` with Lima's defaults filled in. */
export interface AdditionalDisk {
  name: string;
  /** Format (and on first use partition) the disk; false attaches it as it is, unmounted. */
  format: boolean;
  fsType: string;
  fsArgs: string[];
}

/** A disk attached to one boot: the config's entry plus the file and its image format (qemu-img info). */
export interface AttachedDisk extends AdditionalDisk {
  file: string;
  imageFormat: string;
}

export const DEFAULT_FS_TYPE = "ext4";
export const DISK_FORMATS = ["qcow2", "raw"] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number];

/** Where the guest mounts disk NAME (Lima's path). */
export function guestMountPoint(name: string): string {
  return `/mnt/lima-${name}`;
}

/** The files of one disk. Pure. */
export interface DiskPaths {
  name: string;
  dir: string;
  datadisk: string;
  /** Symlink to the directory of the instance using the disk (Lima's lock). */
  inUseBy: string;
  /**
   * The image format the disk was made in (disks/format-record.ts). The guest writes what it likes
   * into a raw disk, a qcow2 header too: the format is never read from the file's bytes again.
   */
  formatRecord: string;
}

export function disksRoot(home: string): string {
  return join(home, "_disks");
}

export function diskPaths(home: string, name: string): DiskPaths {
  const dir = join(disksRoot(home), name);
  return { name, dir, datadisk: join(dir, "datadisk"), inUseBy: join(dir, "in_use_by"), formatRecord: join(dir, "format") };
}

/**
 * `additionalDisks:` of a config (kept in config.extra; validated by config/validate.ts): a name, or
 * `{name, format, fsType, fsArgs}`. Pure.
 */
export function additionalDisks(config: Config): AdditionalDisk[] {
  const raw = config.extra.additionalDisks;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((d): AdditionalDisk[] => {
    if (typeof d === "string") return [{ name: d, format: true, fsType: DEFAULT_FS_TYPE, fsArgs: [] }];
    if (d === null || typeof d !== "object") return [];
    const o = d as { name?: unknown; format?: unknown; fsType?: unknown; fsArgs?: unknown };
    if (typeof o.name !== "string") return [];
    return [{
      name: o.name,
      format: o.format !== false,
      fsType: typeof o.fsType === "string" && o.fsType !== "" ? o.fsType : DEFAULT_FS_TYPE,
      fsArgs: Array.isArray(o.fsArgs) ? o.fsArgs.map(String) : [],
    }];
  });
}

/** The virtio serial of the i-th additional disk: the guest finds it as /dev/disk/by-id/virtio-SERIAL. */
export function diskSerial(index: number): string {
  return `lima-disk${index}`;
}

/** QEMU arguments attaching the disks as virtio-blk devices, in config order. Pure. */
export function diskDriveArgs(disks: AttachedDisk[]): string[] {
  return disks.flatMap((d, i) => [
    "-drive", `file=${optValue(d.file)},if=none,id=data${i},format=${d.imageFormat},discard=unmap,cache=writeback`,
    "-device", `virtio-blk-pci,drive=data${i},serial=${diskSerial(i)}`,
  ]);
}

/** The runner's plan.sh lines (cidata/scripts/runner.ts `disk` step), one per disk. Pure. */
export function diskRunnerLines(disks: AdditionalDisk[]): string[] {
  return disks.map((d, i) => ["disk", String(i), shQuote(d.name), diskSerial(i), d.format ? "true" : "false", shQuote(d.fsType), ...d.fsArgs.map(shQuote)].join(" "));
}

/** One disk as `disk list --json` prints it: Lima's field names (pkg/store Disk). */
export interface DiskJson {
  name: string;
  size: number;
  format: string;
  dir: string;
  instance: string;
  instanceDir: string;
  mountPoint: string;
}

/** Lima's Disk fields from what the store found. Pure. */
export function diskJson(p: DiskPaths, size: number, format: string, instanceDir: string | undefined): DiskJson {
  const instance = instanceDir === undefined ? "" : (instanceDir.split("/").filter((s) => s !== "").pop() ?? "");
  return { name: p.name, size, format, dir: p.dir, instance, instanceDir: instanceDir ?? "", mountPoint: guestMountPoint(p.name) };
}
