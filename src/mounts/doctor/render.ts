/** `tslima doctor mounts`: the CLI's table. Pure. */
import { CHECKS, type Check, type CheckName, type DoctorReport, type MountReport } from "./types.js";

/** Short column titles of the table. */
export const CHECK_COLUMN: Record<CheckName, string> = {
  write: "write",
  chown: "chown",
  chownRemount: "remount",
  symlinkGuest: "symlink>host",
  symlinkHost: "symlink<host",
  hardlink: "hardlink",
  rename: "rename",
  mode: "mode",
  xattr: "xattr",
  mtimeSize: "mtime",
  flock: "flock",
  fcntlLock: "fcntl",
  mmapShared: "mmap",
  unixSocket: "socket",
  fsync: "fsync",
  oDirect: "odirect",
  sparse: "sparse",
  caseSensitive: "case",
  readOnly: "ro",
};

/** The CLI's table (pure): one row per mount, one column per check. */
export function doctorTable(report: Pick<DoctorReport, "instance" | "mounts">): string {
  const mark = (c: Check): string => ({ ok: "ok", fail: "FAIL", "not-tested": "-", "n/a": "" })[c.status];
  const modelOf = (m: MountReport) => (m.type === "9p" ? `9p ${m.qemu?.securityModel ?? String(m.configured.securityModel)}` : m.type);
  const head = ["MOUNT", "TYPE", "RW", ...CHECKS.map((k) => CHECK_COLUMN[k])];
  const rows = report.mounts.map((m) => [m.mountPoint, modelOf(m), m.writable ? "rw" : "ro", ...CHECKS.map((k) => mark(m.checks[k]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}
