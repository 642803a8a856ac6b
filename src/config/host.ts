import { readFileSync, readlinkSync } from "node:fs";
import { arch, cpus, homedir, platform, tmpdir, totalmem, userInfo } from "node:os";
import type { Arch, HostFacts, OS } from "./types.js";

/** Probes the facts about this host that configuration defaults depend on (the only I/O in src/config). */
export function probeHostFacts(): HostFacts {
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
  };
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
