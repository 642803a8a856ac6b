import { processError, runProgram } from "../proc/run.js";
import { makePrivateFile } from "../store/private.js";

const QEMU_IMG = "qemu-img";
const TIMEOUT_MS = 10 * 60_000;
const HINT_MISSING = "install qemu-img (Debian: apt-get install qemu-utils; macOS: brew install qemu)";

/** The parts of `qemu-img info --output=json` tslima reads. */
export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFile?: string;
  backingFormat?: string;
  /** Internal snapshots (qcow2), in the image's order. */
  snapshots?: ImageSnapshot[];
}

/** One internal snapshot of a qcow2 image (`qemu-img snapshot`; Lima's `snapshot --tag`). */
export interface ImageSnapshot {
  id: string;
  tag: string;
  /** Bytes of VM state saved with it (0 for a disk-only snapshot taken by qemu-img). */
  vmStateSize: number;
  /** When it was taken, seconds since the epoch. */
  dateSec: number;
}

/** Parses `qemu-img info --output=json` output. Pure. */
export function parseImageInfo(json: string): ImageInfo {
  const j = JSON.parse(json) as Record<string, unknown>;
  const info: ImageInfo = { format: String(j.format), virtualSize: Number(j["virtual-size"]) };
  if (typeof j["actual-size"] === "number") info.actualSize = j["actual-size"];
  if (typeof j["backing-filename"] === "string") info.backingFile = j["backing-filename"];
  if (typeof j["backing-filename-format"] === "string") info.backingFormat = j["backing-filename-format"];
  if (Array.isArray(j.snapshots)) {
    info.snapshots = (j.snapshots as Array<Record<string, unknown>>).map((s) => ({ id: String(s.id), tag: String(s.name), vmStateSize: Number(s["vm-state-size"] ?? 0), dateSec: Number(s["date-sec"] ?? 0) }));
  }
  return info;
}

async function qemuImg(what: string, args: string[], hint: string): Promise<string> {
  const r = await runProgram(QEMU_IMG, args, { timeoutMs: TIMEOUT_MS });
  if (r.code !== 0 || r.timedOut) {
    throw processError("QEMU_IMG", what, r, r.spawnError?.code === "ENOENT" ? HINT_MISSING : hint);
  }
  return r.stdout;
}

export interface InfoOptions {
  /** -U: read an image a running QEMU holds open (its metadata may be a moment old). */
  shared?: boolean;
  /** -f: the format, so that qemu-img does not probe for one (a raw disk is never read as another format). */
  format?: string;
}

/** The argv of `qemu-img info --output=json`. Pure. */
export function infoArgs(file: string, opts: InfoOptions = {}): string[] {
  return ["info", ...(opts.shared ? ["-U"] : []), ...(opts.format !== undefined ? ["-f", opts.format] : []), "--output=json", file];
}

/** `qemu-img info --output=json` as qemu-img prints it (parsed). */
export async function qemuImgInfoJson(file: string, opts: InfoOptions = {}): Promise<unknown> {
  return JSON.parse(await qemuImg(`cannot read disk image ${file}`, infoArgs(file, opts), `check that ${file} is a disk image`)) as unknown;
}

/** `qemu-img info`: format and sizes of an image file. */
export async function qemuImgInfo(file: string, opts: InfoOptions = {}): Promise<ImageInfo> {
  return parseImageInfo(await qemuImg(`cannot read disk image ${file}`, infoArgs(file, opts), `check that ${file} is a disk image`));
}

/** The argv of qemuImgCreateOverlay. Pure. */
export function overlayArgs(base: string, baseFormat: string, diffdisk: string, sizeBytes: number): string[] {
  return ["create", "-f", "qcow2", "-F", baseFormat, "-b", base, diffdisk, String(sizeBytes)];
}

/**
 * Creates `diffdisk`, a qcow2 overlay of `sizeBytes` over `base`. The size is not allowed to be smaller
 * than the base image (qemu-img would refuse anyway, less clearly).
 */
export async function qemuImgCreateOverlay(base: string, baseFormat: string, diffdisk: string, sizeBytes: number): Promise<void> {
  const info = await qemuImgInfo(base, { format: baseFormat });
  const size = Math.max(sizeBytes, info.virtualSize);
  await qemuImg(`cannot create the disk ${diffdisk}`, overlayArgs(base, baseFormat, diffdisk, size), "check free space and permissions of the instance directory");
  makePrivateFile(diffdisk);
}

/** `qemu-img rebase -u`: points a qcow2 overlay at another copy of its backing file (contents unchanged). */
export async function qemuImgRebaseUnsafe(file: string, backing: string, backingFormat: string): Promise<void> {
  await qemuImg(`cannot repoint ${file} at ${backing}`, ["rebase", "-u", "-f", "qcow2", "-F", backingFormat, "-b", backing, file], `check that ${file} is a qcow2 image`);
}

/** `qemu-img resize`: grows an image to `sizeBytes`. */
export async function qemuImgResize(file: string, format: string, sizeBytes: number): Promise<void> {
  await qemuImg(`cannot resize ${file}`, ["resize", "-f", format, file, String(sizeBytes)], "a disk can only grow; check the disk size in lima.yaml");
}

/**
 * `qemu-img rebase` (safe mode): makes `file` read the same through `backing` as through its
 * current backing chain, copying into it every cluster in which the two differ. Its current
 * backing file must be reachable as recorded.
 */
export async function qemuImgRebase(file: string, backing: string, backingFormat: string): Promise<void> {
  await qemuImg(`cannot rebase ${file} onto ${backing}`, ["rebase", "-f", "qcow2", "-F", backingFormat, "-b", backing, file], "check free space and that the backing files exist");
}

/** `qemu-img create`: a new empty image. */
export async function qemuImgCreate(file: string, format: "qcow2" | "raw", sizeBytes: number): Promise<void> {
  await qemuImg(`cannot create the disk ${file}`, ["create", "-f", format, file, String(sizeBytes)], "check free space and permissions of the directory");
  makePrivateFile(file);
}

/** The argv of `qemu-img snapshot` creating (-c), applying (-a) or deleting (-d) internal snapshot `tag`. Pure. */
export function snapshotArgs(op: "create" | "apply" | "delete", file: string, tag: string): string[] {
  return ["snapshot", op === "create" ? "-c" : op === "apply" ? "-a" : "-d", tag, file];
}

/** `qemu-img snapshot`: an internal snapshot of a qcow2 image that no QEMU has open. */
export async function qemuImgSnapshot(op: "create" | "apply" | "delete", file: string, tag: string): Promise<void> {
  await qemuImg(`cannot ${op} snapshot ${tag} of ${file}`, snapshotArgs(op, file, tag), "the instance must be stopped, and the tag must exist (apply, delete) or be new (create)");
}
