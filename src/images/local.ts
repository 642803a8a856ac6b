import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TslimaError } from "../errors.js";
import { fileDigest, formatDigest, parseDigest } from "./digest.js";

/** Pure: the local path a `file://` URL or a plain path (`~/` expanded, relative to `cwd`) names; undefined for remote URLs. */
export function localPath(location: string, cwd: string, home: string = homedir()): string | undefined {
  if (location.startsWith("file://")) return fileURLToPath(location);
  if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return undefined;
  if (location === "~" || location.startsWith("~/")) return join(home, location.slice(1));
  return isAbsolute(location) ? location : resolve(cwd, location);
}

/** A local image file is used where it is (not copied); its digest is checked when one is given. */
export async function checkLocalFile(path: string, location: string, digest?: string): Promise<string> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    // missing
  }
  if (!isFile) throw new TslimaError("IMAGE_NOT_FOUND", path === location ? "no such file" : `no such file (${path})`);
  if (digest) {
    const want = parseDigest(digest, `digest of ${location}`);
    const got = await fileDigest(path, want.algorithm);
    if (got.hex !== want.hex) {
      throw new TslimaError(
        "IMAGE_DIGEST_MISMATCH",
        `${location}: digest mismatch: expected ${formatDigest(want)}, the file has ${formatDigest(got)}`,
      );
    }
  }
  return path;
}
