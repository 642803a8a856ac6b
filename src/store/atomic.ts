import { constants, copyFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

/** A temporary name next to `path`, unique to this process and call. */
function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Runs `make(tmp)` then renames tmp over `path`; tmp is removed when anything fails. */
function replaceWith(path: string, make: (tmp: string) => void): void {
  const tmp = tempPath(path);
  try {
    make(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `path` through a temporary file renamed into place: readers (and a crash) see the old
 * file or the new one, never half of one. `mode` applies to a new file (e.g. 0o600 for secrets).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  replaceWith(path, (tmp) => writeFileSync(tmp, data, { mode }));
}

/** Copies `src` to `dest` the same way (a reflink where the file system can). */
export function copyFileAtomic(src: string, dest: string): void {
  replaceWith(dest, (tmp) => copyFileSync(src, tmp, constants.COPYFILE_FICLONE));
}
