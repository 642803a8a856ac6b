/** `tslima doctor mounts`: the advice for each failing check (why, and which option changes it). Pure. */
import { CHECKS, type Check, type CheckName, type MountReport } from "./types.js";

/** The advice for one failing check: why it fails and which option changes it. */
export function advice(check: CheckName, r: Pick<MountReport, "type" | "configured" | "qemu" | "mountPoint">, detail: string): string {
  const sm = String(r.qemu?.securityModel ?? r.configured.securityModel ?? "");
  const mapped = r.type === "9p" && sm.startsWith("mapped");
  const ninep = r.type === "9p" ? `9p securityModel ${sm}` : r.type;
  const mappedAlt = "use mapped-xattr (chown kept in xattrs; symlinks then become files on the host) or virtiofs with a root virtiofsd";
  switch (check) {
    case "write":
      if (r.type === "9p" && sm === "passthrough") return `files cannot be created: 9p securityModel passthrough gives new files the guest's owner, which needs QEMU to run as root; ${mappedAlt}, or none`;
      return `guest and host do not see each other's writes (${detail}); check that the location is writable for you on the host`;
    case "chown":
      if (r.type === "9p" && sm === "none") return `chown refused: 9p securityModel none; ${mappedAlt}`;
      if (r.type === "9p" && sm === "passthrough") return `chown refused: 9p securityModel passthrough changes real owners, which needs QEMU to run as root; ${mappedAlt}`;
      if (r.type === "9p") return `chown not kept: 9p securityModel ${sm}; use mapped-xattr`;
      if (r.type === "virtiofs") return "chown refused: virtiofsd runs unprivileged and cannot change owners; run tslima as root (a root virtiofsd makes real chowns) or use 9p with securityModel mapped-xattr";
      return "chown refused: reverse-sshfs's sftp-server runs as your host user and cannot change owners; use 9p with securityModel mapped-xattr, or virtiofs with a root virtiofsd";
    case "chownRemount":
      return `chown not kept across a remount (${detail}): ${ninep}; use 9p with securityModel mapped-xattr or mapped-file`;
    case "symlinkGuest":
      if (mapped) return `guest symlinks become regular files on the host: 9p securityModel ${sm} stores them as files; use none (chown then refused unless QEMU runs as root) or virtiofs`;
      return `guest symlinks do not reach the host as symlinks (${detail}) on ${ninep}; use 9p with securityModel none, or virtiofs`;
    case "symlinkHost":
      if (mapped) return `host symlinks cannot be followed in the guest: 9p securityModel ${sm} reads them as metadata files; use none or virtiofs`;
      if (r.type === "reverse-sshfs") return `host symlinks cannot be followed in the guest (${detail}); set sshfs.followSymlinks: true for links that point outside the mount`;
      return `host symlinks cannot be followed in the guest (${detail}) on ${ninep}; a link pointing outside the mount is not reachable: mount its target too`;
    case "hardlink":
      if (r.type === "reverse-sshfs") return `hard links (${detail}): sshfs needs OpenSSH's hardlink@openssh.com extension; use 9p or virtiofs`;
      return `hard links (${detail}) on ${ninep}; use virtiofs or 9p with securityModel none`;
    case "rename":
      return `rename over an existing file fails (${detail}) on ${ninep}${r.type === "reverse-sshfs" ? "; sshfs needs OpenSSH's posix-rename extension: use 9p or virtiofs" : "; use virtiofs"}`;
    case "mode":
      if (mapped) return `modes differ (${detail}): 9p securityModel ${sm} keeps the guest's mode as metadata, the host file stays private; use none or virtiofs if the host must see modes`;
      return `modes differ (${detail}) on ${ninep}; use virtiofs or 9p with securityModel none`;
    case "xattr":
      return `user.* xattrs refused (${detail}) on ${ninep}; the host file system must support user xattrs${r.type === "reverse-sshfs" ? "; sshfs does not pass them: use 9p or virtiofs" : ""}`;
    case "mtimeSize":
      return `mtime or size not kept (${detail}) on ${ninep}${r.type === "9p" ? "; with cache: loose the guest may show stale values, use cache: mmap or none" : ""}`;
    case "flock":
    case "fcntlLock":
      return `${check === "flock" ? "flock" : "fcntl"} locks fail (${detail}) on ${ninep}: databases (SQLite, PostgreSQL) need them; keep their files on the guest's own disk, or use virtiofs`;
    case "mmapShared":
      if (r.type === "9p") return `shared writable mmap fails (${detail}): 9p cache ${String(r.configured.cache)} does not support it; use 9p cache: mmap (the writable default) or loose, or virtiofs`;
      return `shared writable mmap fails (${detail}) on ${r.type}; databases (SQLite WAL, LMDB) need it: use 9p with cache: mmap, or virtiofs`;
    case "unixSocket":
      return `unix sockets cannot be created (${detail}) on ${ninep}; put sockets on the guest's own file system (e.g. /run, /tmp)`;
    case "fsync":
      return `fsync fails (${detail}) on ${ninep}; databases need it: keep their files on the guest's own disk`;
    case "oDirect":
      return `O_DIRECT refused (${detail}) on ${ninep}${r.type === "9p" ? " (9p supports it only with cache: none or mmap)" : ""}; databases that open files with O_DIRECT (e.g. MySQL innodb_flush_method=O_DIRECT) need another setting or the guest's own disk`;
    case "sparse":
      return `sparse files are fully allocated (${detail}) on ${ninep}; disk images and databases take their full size on the host`;
    case "caseSensitive":
      return `the file system is case-insensitive (${detail}): the host's file system decides; use a case-sensitive volume on the host`;
    case "readOnly":
      return `a read-only mount accepted a write (${detail}): ${r.type === "9p" ? "QEMU's readonly=on is missing" : r.type === "virtiofs" ? "virtiofsd does not run read-only" : "sshfs was not mounted ro"}; restart the instance`;
  }
}

/** Puts the checks in CHECKS order (the JSON's field order) and adds the advice of every failing one. */
export function addProblems(report: MountReport): void {
  const c = report.checks;
  report.checks = Object.fromEntries(CHECKS.map((k) => [k, c[k]])) as Record<CheckName, Check>;
  for (const k of CHECKS) {
    const c = report.checks[k];
    if (c.status === "fail") report.problems.push(advice(k, report, c.detail));
  }
}
