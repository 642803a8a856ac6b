/** `tslima doctor mounts`: the verdict of every check of one mount, from what the probes saw. Pure. */
import type { Mount, MountType } from "../../config/types.js";
import { parseProcMounts, type MountEntry } from "../verify.js";
import { addProblems } from "./advice.js";
import type { ProbeLine, ProbeOutput } from "./parse.js";
import { CHOWN_TO, GUEST_T, HOST_FILE } from "./probes.js";
import { CHECKS, type Check, type CheckName, type HostView, type MountFacts, type MountReport, type Status } from "./types.js";

const ok = (detail = ""): Check => ({ status: "ok", detail });
const fail = (detail: string): Check => ({ status: "fail", detail });
const notTested = (detail: string): Check => ({ status: "not-tested", detail });
const na = (detail = ""): Check => ({ status: "n/a", detail });

/** Shortens an error output to its cause ("Operation not permitted"). */
function why(line: ProbeLine | undefined): string {
  if (!line) return "no result";
  const m = /(Operation not permitted|Permission denied|not supported|Too many levels of symbolic links|No such file or directory|Read-only file system|Input\/output error|Invalid argument|No such device|Function not implemented|Device or resource busy)/i.exec(line.out);
  return m?.[1] ?? (line.out || line.status);
}

function configuredOptions(m: Mount, type: MountType): Record<string, string | number | boolean> {
  if (type === "9p") {
    const o = m["9p"];
    return { securityModel: o.securityModel, protocolVersion: o.protocolVersion, msize: o.msize, cache: o.cache };
  }
  if (type === "virtiofs") return m.virtiofs.queueSize !== undefined ? { queueSize: m.virtiofs.queueSize } : {};
  return { cache: m.sshfs.cache, followSymlinks: m.sshfs.followSymlinks, sftpDriver: m.sshfs.sftpDriver };
}

type Roles = Array<["root" | "user", ProbeOutput]>;

/**
 * A check run by both roles: ok when every role that ran says ok; otherwise the failing roles.
 * `judge` returns the check for one role's output.
 */
function both(roles: Roles, judge: (p: ProbeOutput, role: "root" | "user") => Check): Check {
  if (roles.length === 0) return notTested("the probe did not run");
  const results = roles.map(([role, p]) => [role, judge(p, role)] as const);
  const statuses = new Set(results.map(([, c]) => c.status));
  if (statuses.size === 1) {
    const details = new Set(results.map(([, c]) => c.detail));
    const only = results[0]?.[1];
    if (only && details.size === 1) return only;
    return { status: only?.status ?? "not-tested", detail: results.map(([r, c]) => `${r}: ${c.detail}`).join("; ") };
  }
  const status: Status = statuses.has("fail") ? "fail" : statuses.has("ok") ? "ok" : "not-tested";
  return { status, detail: results.map(([r, c]) => `${r}: ${c.status === "ok" ? "ok" : ""}${c.status === "ok" && c.detail ? ` ${c.detail}` : c.status === "ok" ? "" : c.detail}`.trim()).join("; ") };
}

/** A simple pass/fail line of the probe, or "not tested" for skip/missing. */
function simple(p: ProbeOutput, key: string, okDetail?: (out: string) => string): Check {
  const l = p[key];
  if (!l) return notTested("no result");
  if (l.status === "skip") return notTested(l.out);
  if (l.status === "fail") return fail(why(l));
  return ok(okDetail ? okDetail(l.out) : "");
}

function ownerDetail(h: HostView | undefined): string {
  if (!h) return "host: not seen";
  const parts = [`host owner ${h.owner ?? "?"}`];
  if (h.virtfsXattrs) parts.push(`user.virtfs.* ${h.virtfsXattrs}`);
  if (h.virtfsMetadata) parts.push(`.virtfs_metadata ${h.virtfsMetadata}`);
  return parts.join(", ");
}

/** Where the host keeps a chown the guest made: "xattr", "metadata", "owner" or "nowhere". */
function chownKeptIn(h: HostView | undefined): "xattr" | "metadata" | "owner" | "nowhere" {
  if (!h) return "nowhere";
  const [u, g] = CHOWN_TO.split(":");
  if (h.owner === CHOWN_TO) return "owner";
  if (h.virtfsXattrs?.includes(`uid=${u}`) || h.virtfsXattrs?.includes(`gid=${g}`)) return "xattr";
  if (h.virtfsMetadata?.includes(`uid=${u}`) || h.virtfsMetadata?.includes(`gid=${g}`)) return "metadata";
  return "nowhere";
}

type Checks = Record<CheckName, Check>;
type HostOf = (role: "root" | "user") => HostView | undefined;

/** The verdict of every property of one mount. */
export function mountReport(f: MountFacts): MountReport {
  const entries = parseProcMounts(f.procMounts).filter((e: MountEntry) => e.mountPoint === f.mount.mountPoint);
  const entry = entries[entries.length - 1];
  const report: MountReport = {
    location: f.mount.location,
    mountPoint: f.mount.mountPoint,
    type: f.type,
    writable: f.mount.writable,
    configured: configuredOptions(f.mount, f.type),
    guest: entry ? { fstype: entry.fstype, options: entry.options } : null,
    qemu: f.qemu ? { securityModel: f.qemu.securityModel, readonly: f.qemu.readonly } : null,
    checks: {} as Checks,
    problems: [],
  };
  const c = report.checks;
  if (!entry) {
    for (const k of CHECKS) c[k] = notTested(`${f.mount.mountPoint} is not mounted in the guest`);
    report.problems.push(`not mounted: ${f.mount.mountPoint} is not in the guest's /proc/mounts; see ha.stderr.log, or restart the instance`);
    return report;
  }
  if (!f.mount.writable) {
    for (const k of CHECKS) c[k] = na("read-only mount");
    const w = f.readOnly?.rowrite;
    c.readOnly = !w ? notTested("no result") : w.status === "fail" ? ok(`write refused (${why(w)})`) : fail("a write as root succeeded");
  } else {
    c.readOnly = na("writable mount");
    const roles: Roles = [];
    for (const role of ["root", "user"] as const) {
      const p = f[role];
      if (p && p.mkdir?.status === "ok") roles.push([role, p]);
    }
    const host: HostOf = (role) => (role === "root" ? f.hostRoot : f.hostUser);
    c.write = writeCheck(f, host);
    ownershipChecks(c, f);
    fileChecks(c, roles, host);
    dataChecks(c, roles, host);
  }
  addProblems(report);
  return report;
}

const roleNotRun = (f: MountFacts, role: "root" | "user"): string => f.roleErrors?.[role] ?? "did not run";

/** write: both ways, per role; a role that could not even mkdir fails here. */
function writeCheck(f: MountFacts, host: HostOf): Check {
  // write: both ways, per role; a role that could not even mkdir fails here
  const writeChecks: Array<[string, Check]> = [];
  for (const role of ["root", "user"] as const) {
    const p = f[role];
    if (!p) {
      writeChecks.push([role, notTested(roleNotRun(f, role))]);
      continue;
    }
    if (p.mkdir?.status !== "ok") {
      writeChecks.push([role, fail(`cannot create files (${why(p.mkdir)})`)]);
      continue;
    }
    const problems: string[] = [];
    if (p.write?.status !== "ok") problems.push(`guest write ${why(p.write)}`);
    else if (host(role)?.write !== "from-guest") problems.push("the host does not see the guest's file");
    if (p.hostread?.status !== "ok" || p.hostread.out !== HOST_FILE.content.trim()) problems.push(`the host's file not readable (${why(p.hostread)})`);
    writeChecks.push([role, problems.length ? fail(problems.join(", ")) : ok()]);
  }
  return combine(writeChecks);

}

/** chown and chownRemount: root only. */
function ownershipChecks(c: Checks, f: MountFacts): void {
  const rootP = f.root?.mkdir?.status === "ok" ? f.root : undefined;
  if (!rootP) c.chown = notTested(f.root ? `root cannot create files (${why(f.root.mkdir)})` : roleNotRun(f, "root"));
  else if (rootP.chown?.status !== "ok") c.chown = fail(`refused (${why(rootP.chown)}); ${ownerDetail(f.hostRoot)}`);
  else if (rootP.owner?.out !== CHOWN_TO) c.chown = fail(`accepted but the guest shows ${rootP.owner?.out ?? "?"}; ${ownerDetail(f.hostRoot)}`);
  else {
    const kept = chownKeptIn(f.hostRoot);
    const where = { owner: "the real owner on the host", xattr: "kept in user.virtfs.* xattrs", metadata: "kept in .virtfs_metadata", nowhere: "not kept on the host" }[kept];
    c.chown = ok(`${where}; ${ownerDetail(f.hostRoot)}`);
  }
  if (c.chown.status !== "ok") c.chownRemount = notTested(c.chown.status === "fail" ? "chown not kept" : c.chown.detail);
  else if (f.remountSkipped) c.chownRemount = notTested(f.remountSkipped);
  else {
    const r = f.remount?.remount;
    if (!r) c.chownRemount = notTested("no result");
    else if (r.status === "skip") c.chownRemount = notTested(r.out === "busy" ? "busy" : r.out);
    else if (r.status === "fail") c.chownRemount = notTested(`remount failed: ${r.out}`);
    else c.chownRemount = f.remount?.owner2?.out === CHOWN_TO ? ok() : fail(`owner after remount ${f.remount?.owner2?.out ?? "?"}`);
  }

}

/** Links, rename, mode and xattr, per role. */
function fileChecks(c: Checks, roles: Roles, host: HostOf): void {
  c.symlinkGuest = both(roles, (p, role) => {
    if (p.symlink?.status !== "ok") return fail(`ln -s ${why(p.symlink)}`);
    const h = host(role)?.symlink ?? "missing";
    if (h.startsWith("symlink")) return ok();
    return fail(`a ${h.startsWith("file") ? "regular file" : h} on the host (the guest sees a symlink: ${p.symlinkread?.status === "ok" ? "yes" : "no"})`);
  });
  c.symlinkHost = both(roles, (p) => {
    if (p.hostlinkcat?.status === "ok" && p.hostlinkcat.out === HOST_FILE.content.trim()) return ok();
    return fail(`cannot be followed (${why(p.hostlinkcat)}); readlink: ${p.hostlink?.status === "ok" ? p.hostlink.out : why(p.hostlink)}`);
  });
  c.hardlink = both(roles, (p, role) => {
    if (p.hardlink?.status !== "ok") return fail(`ln ${why(p.hardlink)}`);
    const hn = host(role)?.nlink;
    const gn = p.nlink?.out ?? "?";
    if (hn === 2) return ok(gn === "2" ? "nlink 2 in the guest and on the host" : `nlink 2 on the host, ${gn} in the guest`);
    return fail(`link made; nlink ${gn} in the guest, ${hn ?? "?"} on the host`);
  });
  c.rename = both(roles, (p, role) => {
    if (p.rename?.status !== "ok") return fail(`mv ${why(p.rename)}`);
    if (p.renamed?.out !== "a") return fail(`the guest reads "${p.renamed?.out ?? ""}" after the rename`);
    if (host(role)?.renamed !== "a") return fail(`the host reads "${host(role)?.renamed ?? "(missing)"}" after the rename`);
    return ok();
  });
  c.mode = both(roles, (p, role) => {
    if (p.chmod?.status !== "ok") return fail(`chmod ${why(p.chmod)}`);
    const gm = p.mode?.out ?? "?";
    const hm = host(role)?.mode ?? "?";
    const fromHost = (p.hoststat?.out ?? "").split(" ")[2] ?? "?";
    const wrong: string[] = [];
    if (gm !== "750") wrong.push(`guest keeps ${gm}`);
    if (hm !== "750") wrong.push(`host sees ${hm}`);
    if (fromHost !== "755") wrong.push(`the host's 755 file is ${fromHost} in the guest`);
    return wrong.length ? fail(`chmod 750: ${wrong.join(", ")}`) : ok();
  });
  c.xattr = both(roles, (p, role) => {
    const l = p.xattr;
    if (!l) return notTested("no result");
    if (l.status === "skip") return notTested(l.out);
    if (l.status === "fail") return fail(why(l));
    const h = host(role)?.xattr;
    return ok(h === "doctor" ? "seen on the host" : "not seen on the host");
  });
}

/** Times and sizes, locks, mmap, sockets, fsync, O_DIRECT, sparse files and case, per role. */
function dataChecks(c: Checks, roles: Roles, host: HostOf): void {
  c.mtimeSize = both(roles, (p, role) => {
    const want = `${GUEST_T.content.length} ${GUEST_T.mtime}`;
    const wrong: string[] = [];
    if (p.mtime?.status !== "ok") wrong.push(`guest touch -d ${why(p.mtime)}`);
    else if (p.mtime.out !== want) wrong.push(`the guest shows "${p.mtime.out}" for ${want}`);
    else if (host(role)?.mtime !== want) wrong.push(`the host shows "${host(role)?.mtime ?? "?"}" for ${want}`);
    const hs = (p.hoststat?.out ?? "").split(" ");
    const hostWant = `${HOST_FILE.content.length} ${HOST_FILE.mtime}`;
    if (`${hs[0]} ${hs[1]}` !== hostWant) wrong.push(`the guest shows "${hs[0]} ${hs[1]}" for the host's ${hostWant}`);
    return wrong.length ? fail(wrong.join(", ")) : ok();
  });
  c.flock = both(roles, (p) => simple(p, "flock"));
  c.fcntlLock = both(roles, (p) => simple(p, "fcntl"));
  c.mmapShared = both(roles, (p, role) => {
    const s = simple(p, "mmap");
    if (s.status !== "ok") return p.mmap?.status === "fail" ? fail(p.mmap.out || s.detail) : s;
    return host(role)?.mmap === "mmap-ok" ? ok() : fail("written in the guest, not seen on the host");
  });
  c.unixSocket = both(roles, (p) => simple(p, "socket"));
  c.fsync = both(roles, (p) => simple(p, "fsync"));
  c.oDirect = both(roles, (p) => simple(p, "odirect"));
  c.sparse = both(roles, (p, role) => {
    const s = simple(p, "sparse");
    if (s.status !== "ok") return s;
    const [size, blocks, unit] = (p.sparse?.out ?? "").split(" ").map(Number);
    const guestBytes = (blocks ?? 0) * (unit ?? 512);
    const hostBlocks = Number((host(role)?.sparse ?? "").split(" ")[1] ?? NaN);
    const half = (size ?? 0) / 2;
    const guestSparse = guestBytes < half;
    // the host decides; sshfs reports every file as fully allocated in the guest (SFTP has no block count)
    if (Number.isFinite(hostBlocks)) {
      if (hostBlocks * 512 >= half) return fail(`${hostBlocks * 512} bytes allocated on the host for ${size}`);
      return ok(guestSparse ? "" : `sparse on the host; the guest shows ${guestBytes} bytes allocated`);
    }
    return guestSparse ? ok() : fail(`${guestBytes} bytes allocated in the guest for ${size}`);
  });
  c.caseSensitive = both(roles, (p) => {
    const l = p.case;
    if (!l) return notTested("no result");
    if (l.status === "fail" && !l.out) return fail("no file");
    return l.out === "2" ? ok() : fail(l.out === "1" ? "Case and case are one file" : why(l));
  });
}

function combine(roles: Array<[string, Check]>): Check {
  const statuses = new Set(roles.map(([, c]) => c.status));
  if (statuses.size === 1 && roles.every(([, c]) => c.detail === roles[0]?.[1].detail)) return roles[0]?.[1] ?? notTested("");
  const status: Status = statuses.has("fail") ? "fail" : statuses.has("ok") ? "ok" : "not-tested";
  return { status, detail: roles.map(([r, c]) => `${r}: ${c.status === "ok" ? "ok" : c.detail}`).join("; ") };
}
