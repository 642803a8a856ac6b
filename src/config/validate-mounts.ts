import { isAbsolute, posix } from "node:path";
import { trySize } from "./sizes.js";
import type { Config } from "./types.js";
import { oneOf, type Finding } from "./validate-common.js";

export const SECURITY_MODELS = ["passthrough", "mapped-xattr", "mapped-file", "none"];
export const PROTOCOL_VERSIONS = ["9p2000", "9p2000.u", "9p2000.L"];
export const NINEP_CACHES = ["none", "loose", "fscache", "mmap"];
/** Guest paths a mount must not hide: Lima's list, plus what the guest needs to boot and run (/boot, /lib*, /run, ...). */
export const FORBIDDEN_MOUNT_POINTS = [
  "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var",
];
/** Kernel pseudo file systems: nothing can be mounted anywhere below them. */
const PSEUDO_FILE_SYSTEMS = ["/dev", "/proc", "/sys"];

/** `/mnt//a/` -> `/mnt/a`: the directory a guest path names. */
export function normalizeGuestPath(p: string): string {
  return posix.normalize(p).replace(/(.)\/$/, "$1");
}

const isInside = (child: string, parent: string) => child.startsWith(parent === "/" ? "/" : `${parent}/`);

/** A guest mount point: absolute, no `~`, not a system directory nor the user's home. One finding at most. */
function validateMountPoint(mp: string, home: string, path: Array<string | number>, out: Finding[]): void {
  const err = (message: string): void => {
    out.push({ path, message });
  };
  if (mp.startsWith("~")) return err('must not start with "~" (guest paths have no tilde expansion)');
  if (!posix.isAbsolute(mp)) return err(`must be an absolute path in the guest, got "${mp}"`);
  const normalized = normalizeGuestPath(mp);
  if (FORBIDDEN_MOUNT_POINTS.includes(normalized)) {
    return err(`must not be a system path such as /etc or /usr (forbidden: ${FORBIDDEN_MOUNT_POINTS.join(" ")}), got "${mp}"`);
  }
  const pseudo = PSEUDO_FILE_SYSTEMS.find((fs) => isInside(normalized, fs));
  if (pseudo) return err(`must not be inside ${pseudo}, a file system the guest kernel provides, got "${mp}"`);
  if (normalized === home) err(`is the guest user's home directory "${home}", which tslima manages; mount somewhere else`);
}

/**
 * Two mounts on the same guest directory (however it is written: `/mnt/a`, `/mnt/a/`, `/mnt//a`) are an
 * error; entries are combined by Lima only when their mountPoint is written identically. A mount inside
 * another one that is mounted after it would be hidden by it (mounts are made in list order): a warning,
 * as Lima accepts it. Nested mounts in the right order are fine.
 */
function validateMountOverlaps(points: Array<string | undefined>, out: Finding[]): void {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  points.forEach((mp, i) => {
    if (mp === undefined) return;
    if (!first.has(mp)) first.set(mp, i);
    last.set(mp, i);
  });
  points.forEach((mp, i) => {
    if (mp === undefined) return;
    const path = ["mounts", i, "mountPoint"];
    const same = first.get(mp) as number;
    if (same < i) {
      out.push({ path, message: `is the same guest directory "${mp}" as mounts[${same}].mountPoint; use one entry per mount point` });
      return;
    }
    for (let parent = posix.dirname(mp); ; parent = posix.dirname(parent)) {
      const hiding = last.get(parent);
      if (hiding !== undefined && hiding > i) {
        out.push({ path, message: `"${mp}" is inside mounts[${hiding}].mountPoint "${parent}", which is mounted after it and hides it; list mounts[${hiding}] first`, warning: true });
        return;
      }
      if (parent === "/") return;
    }
  });
}

/** mounts[]: paths (Lima's rules plus NUL bytes and system directories), overlaps and the 9p/virtiofs options. */
export function validateMounts(config: Config, raw: Record<string, unknown>, out: Finding[]): void {
  const err = (path: Array<string | number>, message: string) => out.push({ path, message });
  const points: Array<string | undefined> = [];
  config.mounts.forEach((m, i) => {
    const rawMount = Array.isArray(raw.mounts) ? (raw.mounts[i] as Record<string, unknown> | null) : null;
    const rawLoc = typeof rawMount?.location === "string" ? rawMount.location : m.location;
    const locationOk = isAbsolute(m.location) && !m.location.includes("\0");
    if (!isAbsolute(m.location)) err(["mounts", i, "location"], `must be an absolute path or start with "~", got "${rawLoc}"`);
    else if (!locationOk) err(["mounts", i, "location"], "must not contain a NUL byte");
    const mp = m.mountPoint;
    // a mountPoint derived from a bad location is not a second problem
    const mountPointSet = rawMount?.mountPoint !== undefined && rawMount.mountPoint !== null;
    const before = out.length;
    if (mp.includes("\0") && mountPointSet) err(["mounts", i, "mountPoint"], "must not contain a NUL byte");
    else if (locationOk || mountPointSet) validateMountPoint(mp, config.user.home, ["mounts", i, "mountPoint"], out);
    points.push(out.length === before && (locationOk || mountPointSet) ? normalizeGuestPath(mp) : undefined);
    const p9 = m["9p"];
    if (!SECURITY_MODELS.includes(p9.securityModel)) err(["mounts", i, "9p", "securityModel"], `must be one of ${oneOf(SECURITY_MODELS)}, got "${p9.securityModel}"`);
    if (!PROTOCOL_VERSIONS.includes(p9.protocolVersion)) err(["mounts", i, "9p", "protocolVersion"], `must be one of ${oneOf(PROTOCOL_VERSIONS)}, got "${p9.protocolVersion}"`);
    else if (p9.protocolVersion === "9p2000" && config.vmType === "qemu" && config.mountType === "9p") {
      // Seen on QEMU 7.2: its 9p server answers a plain "9P2000" Tversion with "unknown" and the mount fails.
      err(["mounts", i, "9p", "protocolVersion"], `"9p2000" (legacy 9P) is not served by QEMU's 9p server, which speaks "9p2000.u" and "9p2000.L"; the guest's mount would fail ("Remote I/O error"): use "9p2000.L" (the default) or "9p2000.u"`);
    }
    if (!NINEP_CACHES.includes(p9.cache)) err(["mounts", i, "9p", "cache"], `must be one of ${oneOf(NINEP_CACHES)}, got "${p9.cache}"`);
    const msize = trySize(p9.msize);
    if (msize === undefined) err(["mounts", i, "9p", "msize"], `must be a size such as "128KiB" (at least 4KiB), got "${p9.msize}"`);
    else if (msize < 4096) err(["mounts", i, "9p", "msize"], `must be at least 4KiB (4096 bytes), got "${p9.msize}" (${msize} bytes)`);
    const qs = m.virtiofs.queueSize;
    if (qs !== undefined && (qs <= 0 || (qs & (qs - 1)) !== 0 || qs > 1024)) err(["mounts", i, "virtiofs", "queueSize"], `must be a power of 2 from 1 to 1024, got ${qs}`);
  });
  validateMountOverlaps(points, out);
}
