import { createHash } from "node:crypto";

/**
 * The 9p/virtiofs mount tag, as Lima 2.x computes it (pkg/limayaml MountTag):
 * "lima-" + hex of the first 8 bytes of sha256(location + "\0" + mountPoint).
 * `location` is the expanded host path, `mountPoint` the guest path. Lima separates them with a NUL
 * byte (not ":"), so that no pair of paths can produce the same input.
 */
export function mountTag(location: string, mountPoint: string): string {
  const digest = createHash("sha256").update(`${location}\0${mountPoint}`, "utf8").digest();
  return `lima-${digest.subarray(0, 8).toString("hex")}`;
}
