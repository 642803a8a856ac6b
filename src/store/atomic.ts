import { chmodSync, closeSync, constants, copyFileSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { PRIVATE_FILE_MODE } from "./private.js";

/** A temporary name next to `path`, unique to this process and call. */
function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Flushes a file or a directory (its entries: a rename in it) to the disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Runs `make(tmp)` then renames tmp over `path`; tmp is removed when anything fails. */
function replaceWith(path: string, make: (tmp: string) => void, durable: boolean): void {
  const tmp = tempPath(path);
  try {
    make(tmp);
    if (durable) fsyncPath(tmp);
    renameSync(tmp, path);
    if (durable) fsyncPath(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface AtomicOptions {
  /** Mode of the file, whatever the umask; default 0o600 (store/private.ts). */
  mode?: number;
  /**
   * Flush the data before the rename and the directory after it, so that the new file survives a
   * power loss once this returns (a commit point, e.g. suspend.json). Default false.
   */
  durable?: boolean;
}

/**
 * Writes `path` through a temporary file renamed into place: readers (and a crash) see the old
 * file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicOptions | number = {}): void {
  const o = typeof opts === "number" ? { mode: opts } : opts;
  const mode = o.mode ?? PRIVATE_FILE_MODE;
  replaceWith(path, (tmp) => {
    writeFileSync(tmp, data, { mode, flag: "wx" });
    chmodSync(tmp, mode);
  }, o.durable === true);
}

/** Copies `src` to `dest` the same way (a reflink where the file system can); `dest` is 0600 unless `mode` says otherwise. */
export function copyFileAtomic(src: string, dest: string, opts: AtomicOptions = {}): void {
  replaceWith(dest, (tmp) => {
    copyFileSync(src, tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, opts.mode ?? PRIVATE_FILE_MODE);
  }, opts.durable === true);
}

/**
 * Puts a file that is never written again (a frozen disk, a saved state) at `dest`: a hard link
 * when `src` is on the same file system (instant, no space), else a copy (a reflink where the file
 * system can). `dest` must not exist.
 */
export function linkOrCopy(src: string, dest: string): "linked" | "copied" {
  try {
    linkSync(src, dest);
    return "linked";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw e;
  }
  copyFileAtomic(src, dest);
  return "copied";
}
