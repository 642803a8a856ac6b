/**
 * `limactl disk create|list|delete|resize|import|unlock`: Lima's additional disks, kept in
 * TSLIMA_HOME/_disks/NAME/datadisk (disks/plan.ts); instances attach them with `additionalDisks:`.
 */
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parse } from "yaml";
import { TslimaError } from "../errors.js";
import { parseSize } from "../config/sizes.js";
import { checkUntrustedImage, qemuImgCreate, qemuImgInfo, qemuImgResize } from "../qemu/index.js";
import { DISK_FORMATS, diskJson, diskPaths, disksRoot, type DiskFormat, type DiskJson, type DiskPaths } from "../disks/plan.js";
import { diskHolder } from "../disks/lock.js";
import { readDiskFormat, writeDiskFormat } from "../disks/format-record.js";
import { instancePaths, tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { copyFileAtomic } from "../store/atomic.js";
import { ensurePrivateHome, makePrivateDir } from "../store/private.js";
import { validateInstanceName } from "./names.js";
import { listInstanceNames } from "./lookup.js";

export interface DiskOptions {
  home?: string;
}

function existing(home: string, name: string): DiskPaths {
  const p = diskPaths(home, name);
  if (!existsSync(p.datadisk)) {
    const names = diskNames(home);
    throw new TslimaError("UNKNOWN_DISK", `disk ${JSON.stringify(name)} does not exist`, {
      hint: names.length > 0 ? `existing disks: ${names.join(", ")}` : `create one: limactl disk create ${name} --size 10GiB`,
    });
  }
  return p;
}

function diskNames(home: string): string[] {
  try {
    return readdirSync(disksRoot(home)).filter((n) => existsSync(diskPaths(home, n).datadisk)).sort();
  } catch {
    return [];
  }
}

function checkName(name: string): void {
  try {
    validateInstanceName(name);
  } catch (e) {
    throw new TslimaError("INVALID_NAME", (e as Error).message.replace("instance name", "disk name"), { hint: "disk names follow Lima's identifier rule, e.g. data, data-1" });
  }
}

function checkFormat(format: string): DiskFormat {
  if (!(DISK_FORMATS as readonly string[]).includes(format)) {
    throw new TslimaError("INVALID_FLAG", `--format ${format}: a disk is qcow2 or raw`, { hint: "pass --format qcow2 (the default) or --format raw" });
  }
  return format as DiskFormat;
}

/** The instance holding the disk, when it still exists (a lock whose instance is gone is stale). */
function holderName(p: DiskPaths): string | undefined {
  const holder = diskHolder(p);
  return holder !== undefined && existsSync(holder) ? basename(holder) : undefined;
}

function refuseInUse(p: DiskPaths, what: string): void {
  const holder = holderName(p);
  if (holder !== undefined) {
    throw new TslimaError("DISK_IN_USE", `cannot ${what} disk ${p.name}: it is in use by instance ${holder}`, {
      hint: `stop ${holder} first (limactl stop ${holder}); if it is not running, clear the stale lock: limactl disk unlock ${p.name}`,
    });
  }
}

function fresh(home: string, name: string): DiskPaths {
  checkName(name);
  const p = diskPaths(home, name);
  if (existsSync(p.datadisk)) throw new TslimaError("DISK_EXISTS", `disk ${name} already exists (${p.dir})`, { hint: `pick another name, or delete it: limactl disk delete ${name}` });
  ensurePrivateHome(home);
  makePrivateDir(p.dir);
  return p;
}

/** `disk create NAME --size SIZE [--format qcow2|raw]`. */
export async function createDisk(name: string, opts: DiskOptions & { size: string; format?: string }): Promise<DiskJson> {
  const home = opts.home ?? tslimaHome();
  const format = checkFormat(opts.format ?? "qcow2");
  const size = parseSize(opts.size, "--size");
  const p = fresh(home, name);
  try {
    await qemuImgCreate(p.datadisk, format, size);
    writeDiskFormat(p, format);
  } catch (e) {
    rmSync(p.dir, { recursive: true, force: true });
    throw e;
  }
  return describe(p);
}

/**
 * `disk import NAME FILE`: a copy of an existing qcow2 or raw image. The file comes from outside: the
 * copy is checked (checkUntrustedImage) and refused (IMAGE_UNSAFE, nothing left) when it names a
 * backing or data file on the host or is in another format (Lima converts those; tslima asks for a
 * conversion the user makes knowingly).
 */
export async function importDisk(name: string, file: string, opts: DiskOptions = {}): Promise<DiskJson> {
  const home = opts.home ?? tslimaHome();
  if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new TslimaError("IMAGE_NOT_FOUND", `${file}: no such file`, { hint: "pass the path of a qcow2 or raw image file: limactl disk import NAME FILE" });
  }
  const p = fresh(home, name);
  try {
    copyFileAtomic(file, p.datadisk);
    writeDiskFormat(p, await checkUntrustedImage(p.datadisk, { name: file, path: file }));
  } catch (e) {
    rmSync(p.dir, { recursive: true, force: true });
    throw e;
  }
  return describe(p);
}

/** `-f` for qemu-img: the recorded format, so a raw disk's guest-written bytes are never probed as a format. */
function formatOf(p: DiskPaths): { format?: DiskFormat } {
  const format = readDiskFormat(p);
  return format === undefined ? {} : { format };
}

async function describe(p: DiskPaths): Promise<DiskJson> {
  const info = await qemuImgInfo(p.datadisk, { shared: true, ...formatOf(p) });
  const holder = diskHolder(p);
  return diskJson(p, info.virtualSize, info.format, holder !== undefined && existsSync(holder) ? holder : undefined);
}

/** `disk list [NAME...]`: Lima's Disk fields (unknown names are an error). */
export async function listDisks(names: string[] = [], opts: DiskOptions = {}): Promise<DiskJson[]> {
  const home = opts.home ?? tslimaHome();
  const wanted = names.length > 0 ? names.map((n) => existing(home, n)) : diskNames(home).map((n) => diskPaths(home, n));
  return Promise.all(wanted.map(describe));
}

/** Instances whose lima.yaml lists the disk in additionalDisks. */
function referencedBy(home: string, name: string): string[] {
  return listInstanceNames(home).filter((d) => {
    try {
      const doc = parse(readFileSync(instancePaths(home, d).limaYaml, "utf8")) as { additionalDisks?: unknown } | null;
      const list = Array.isArray(doc?.additionalDisks) ? (doc.additionalDisks as unknown[]) : [];
      return list.some((x) => x === name || (x !== null && typeof x === "object" && (x as { name?: unknown }).name === name));
    } catch {
      return false;
    }
  });
}

/**
 * `disk delete NAME... [-f]`: a disk in use by an instance is refused; one that a stopped instance
 * lists in additionalDisks is refused unless `force` (that instance would not start without it).
 */
export function deleteDisk(name: string, opts: DiskOptions & { force?: boolean } = {}): void {
  const home = opts.home ?? tslimaHome();
  const p = existing(home, name);
  refuseInUse(p, "delete");
  const refs = referencedBy(home, name);
  if (refs.length > 0 && opts.force !== true) {
    throw new TslimaError("DISK_IN_USE", `disk ${name} is listed in additionalDisks of instance ${refs.join(", ")}`, {
      hint: `remove it from ${refs.length > 1 ? "their" : "its"} additionalDisks (limactl edit), or delete anyway: limactl disk delete -f ${name}`,
    });
  }
  rmSync(p.dir, { recursive: true, force: true });
}

/** `disk resize NAME --size SIZE`: grows a disk that no instance uses (the guest grows its file system on the next boot). */
export async function resizeDisk(name: string, opts: DiskOptions & { size: string }): Promise<DiskJson> {
  const home = opts.home ?? tslimaHome();
  const p = existing(home, name);
  refuseInUse(p, "resize");
  const size = parseSize(opts.size, "--size");
  const info = await qemuImgInfo(p.datadisk, formatOf(p));
  if (size < info.virtualSize) {
    throw new TslimaError("DISK_SIZE", `disk ${name} is ${info.virtualSize} bytes; --size ${opts.size} would shrink it`, { hint: "a disk can only grow: pass a larger --size" });
  }
  if (size > info.virtualSize) await qemuImgResize(p.datadisk, info.format, size);
  return describe(p);
}

/** `disk unlock NAME...`: clears the lock of a disk whose instance is not running (a stale lock). */
export function unlockDisk(name: string, opts: DiskOptions = {}): void {
  const home = opts.home ?? tslimaHome();
  const p = existing(home, name);
  const holder = diskHolder(p);
  if (holder === undefined) return;
  if (existsSync(holder)) {
    const st = inspectStatus(instancePaths(dirname(holder), basename(holder)));
    if (st.status === "Running" || st.status === "Broken") {
      throw new TslimaError("DISK_IN_USE", `cannot unlock disk ${name}: instance ${basename(holder)} is ${st.status} and uses it`, { hint: `stop it first: limactl stop ${basename(holder)}` });
    }
  }
  rmSync(p.inUseBy, { force: true });
}
