import { readFileSync, readlinkSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { arch, cpus, homedir, platform, tmpdir, totalmem, userInfo } from "node:os";
import type { Arch, HostFacts, OS } from "../config/types.js";

/**
 * Probes the facts about this host that configuration defaults depend on (src/config takes them as data).
 * With `dataDir` (TSLIMA_HOME), also the free space of the file system that will hold the disk images.
 */
export function probeHostFacts(dataDir?: string): HostFacts {
  const info = userInfo();
  const osMap: Record<string, OS> = { linux: "Linux", darwin: "Darwin", freebsd: "FreeBSD", win32: "Windows" };
  const archMap: Record<string, Arch> = { x64: "x86_64", arm64: "aarch64", arm: "armv7l", ppc64: "ppc64le", riscv64: "riscv64", s390x: "s390x" };
  return {
    os: osMap[platform()] ?? "Linux",
    arch: archMap[arch()] ?? "x86_64",
    cpus: Math.max(1, cpus().length),
    memoryBytes: totalmem(),
    home: homedir(),
    user: info.username,
    uid: info.uid,
    gid: info.gid,
    // Lima: "The global temp dir is always /tmp on Unix"
    tmpDir: platform() === "win32" ? tmpdir() : "/tmp",
    timezone: hostTimezone(),
    ...(dataDir === undefined ? {} : freeBytes(dataDir)),
  };
}

/** Free bytes for an unprivileged user on the file system of `dir` or of its nearest existing parent. */
function freeBytes(dir: string): { diskFreeBytes?: number } {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = statfsSync(d);
      return { diskFreeBytes: s.bavail * s.bsize };
    } catch {
      if (dirname(d) === d) return {};
    }
  }
}

/** The zoneinfo name from /etc/timezone or the /etc/localtime symlink, as Lima does; "" if unknown. */
function hostTimezone(): string {
  try {
    const tz = readFileSync("/etc/timezone", "utf8").trim();
    if (tz) return tz;
  } catch {
    // fall through
  }
  try {
    const target = readlinkSync("/etc/localtime");
    const m = /zoneinfo\/(.+)$/.exec(target);
    if (m) return m[1] as string;
  } catch {
    // no symlink
  }
  return "";
}
