/**
 * `tslima doctor mounts`, the pure part: the guest probe scripts, parsing their output, the verdict
 * of every property and the advice for each failure. The executor (src/instance/doctor.ts) runs the
 * scripts over ssh, looks at the host side with node:fs and hands both to mountReport().
 */
import type { InotifyStats } from "./inotify.js";
import type { Mount, MountType } from "../config/types.js";
import { parseProcMounts, type MountEntry } from "./verify.js";

/** The scratch directory made inside each writable mount (removed afterwards): `<location>/<prefix><id>`. */
export const DOCTOR_SCRATCH_PREFIX = ".tslima-doctor-";

/** What the host puts into the scratch directory before the guest probes run. */
export const HOST_FILE = { name: "host.txt", content: "from-host\n", mode: 0o755, mtime: 1500000000, link: "host-link" } as const;
/** What the guest writes: `t` with GUEST_T_CONTENT and mtime GUEST_T_MTIME. */
export const GUEST_T = { content: "12345", mtime: 1600000000 } as const;
/** The owner root gives a file in the guest. */
export const CHOWN_TO = "1234:2345";

/** One line of probe output: key, ok|fail|skip, detail. */
export interface ProbeLine {
  status: "ok" | "fail" | "skip";
  out: string;
}
export type ProbeOutput = Record<string, ProbeLine>;

const HELPERS = String.raw`
r() { k=$1; shift; if o=$("$@" 2>&1); then s=ok; else s=fail; fi; o=$(printf '%s' "$o" | tr '\t\n' '  ' | cut -c1-200); printf '%s\t%s\t%s\n' "$k" "$s" "$o"; }
skip() { printf '%s\tskip\t%s\n' "$1" "$2"; }
`;

/** python3 part of the probe: fcntl lock, shared mmap write, unix socket, xattr fallback. Single quotes are not allowed in it. */
const PYTHON = String.raw`
import os, sys, fcntl, mmap, socket
d = sys.argv[1]
def out(k, ok, detail=""):
    print("%s\t%s\t%s" % (k, "ok" if ok else "fail", str(detail).replace("\t", " ").replace("\n", " ")[:200]))
try:
    fd = os.open(os.path.join(d, "fl"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.lockf(fd, fcntl.LOCK_UN)
    os.close(fd)
    out("fcntl", True)
except OSError as e:
    out("fcntl", False, e.strerror)
try:
    p = os.path.join(d, "mm")
    with open(p, "wb") as f:
        f.write(bytes(4096))
    with open(p, "r+b") as f:
        m = mmap.mmap(f.fileno(), 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        m[0:7] = b"mmap-ok"
        m.flush()
        m.close()
    with open(p, "rb") as f:
        got = f.read(7)
    out("mmap", got == b"mmap-ok", got.decode("ascii", "replace").strip(chr(0)) or "(zeros)")
except (OSError, ValueError) as e:
    out("mmap", False, getattr(e, "strerror", None) or e)
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, "sock"))
    s.listen(1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(os.path.join(d, "sock"))
    c.close()
    s.close()
    out("socket", True)
except OSError as e:
    out("socket", False, e.strerror)
if len(sys.argv) > 2:
    try:
        p = os.path.join(d, "x")
        open(p, "a").close()
        os.setxattr(p, "user.tslima", b"doctor")
        out("xattr", True, os.getxattr(p, "user.tslima").decode())
    except OSError as e:
        out("xattr", False, e.strerror)
`;

/** perl (perl-base) part, when there is no python3: fcntl lock and unix socket; no mmap. */
const PERL = String.raw`
use strict; use Fcntl; my $d = shift;
if (sysopen(my $fh, "$d/fl", O_RDWR | O_CREAT, 0644)) {
  my $lk = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);
  if (fcntl($fh, F_SETLK, $lk)) { print "fcntl\tok\t\n" } else { print "fcntl\tfail\t$!\n" }
} else { print "fcntl\tfail\t$!\n" }
print "mmap\tskip\tnot tested (no python3; perl cannot mmap)\n";
if (eval { require Socket; 1 }) {
  my $s; if (socket($s, Socket::PF_UNIX(), Socket::SOCK_STREAM(), 0) && bind($s, Socket::pack_sockaddr_un("$d/sock"))) { print "socket\tok\t\n" } else { print "socket\tfail\t$!\n" }
} else { print "socket\tskip\tnot tested (no python3, perl without Socket)\n" }
`;

/**
 * The probe of one role (sh -s -- DIR ROLE; DIR = <scratch>/<role>, made here). ROLE "root" also
 * chowns, and opens the scratch directory (the host makes it 0700) to the user who ran sudo when the
 * guest shows it owned by someone else. Every line: key TAB ok|fail|skip TAB output.
 */
export const GUEST_PROBE_SCRIPT = `${HELPERS}
D="$1"; ROLE="$2"; S=$(dirname "$D")
if [ "$ROLE" = root ] && [ -n "\${SUDO_UID:-}" ] && [ "$(stat -c %u "$S")" != "$SUDO_UID" ]; then chmod 0777 "$S"; fi
r id id -un
r mkdir mkdir "$D"
[ -d "$D" ] || exit 0
cd "$D" || exit 0
r write sh -c 'echo from-guest > gw.txt && cat gw.txt'
r hostread cat "$S/${HOST_FILE.name}"
r hoststat stat -c '%s %Y %a' "$S/${HOST_FILE.name}"
r hostlink readlink "$S/${HOST_FILE.link}"
r hostlinkcat cat "$S/${HOST_FILE.link}"
if [ "$ROLE" = root ]; then
  touch own
  r chown chown ${CHOWN_TO} own
  r owner stat -c %u:%g own
fi
r symlink ln -s gw.txt gl
r symlinkread readlink gl
echo x > f
r hardlink ln f f2
r nlink stat -c %h f
echo a > ra; echo b > rb
r rename mv -f ra rb
r renamed cat rb
echo 'echo hi' > m
r chmod chmod 750 m
r mode stat -c %a m
r mtime sh -c 'printf ${GUEST_T.content} > t && touch -d @${GUEST_T.mtime} t && stat -c "%s %Y" t'
r fsync sh -c 'echo s > fs && sync fs'
r odirect dd if=/dev/zero of=od bs=4096 count=1 oflag=direct
r sparse sh -c 'truncate -s 64M sp && stat -c "%s %b %B" sp'
r case sh -c 'echo u > Case && echo l > case && ls | grep -ci "^case$"'
if command -v flock >/dev/null 2>&1; then r flock flock -n -x fk true; else skip flock "not tested (no flock: util-linux)"; fi
X=
if command -v setfattr >/dev/null 2>&1 && command -v getfattr >/dev/null 2>&1; then
  r xattr sh -c 'touch x && setfattr -n user.tslima -v doctor x && getfattr --only-values -n user.tslima x'
else X=xattr; fi
if command -v python3 >/dev/null 2>&1; then
  python3 -c '${PYTHON}' "$D" $X
elif command -v perl >/dev/null 2>&1; then
  perl -e '${PERL}' "$D"
  [ -n "$X" ] && skip xattr "not tested (no setfattr, no python3)"
else
  for k in fcntl mmap socket $X; do skip $k "not tested (no python3/perl)"; done
fi
exit 0
`;

/** After a guest umount + mount (root; sh -s -- MOUNTPOINT FILE): does the owner survive? */
export const GUEST_REMOUNT_SCRIPT = `${HELPERS}
MP="$1"; F="$2"
if o=$(umount "$MP" 2>&1); then
  if o=$(mount "$MP" 2>&1); then printf 'remount\\tok\\t\\n'; r owner2 stat -c %u:%g "$F"
  else printf 'remount\\tfail\\tmount: %s\\n' "$(echo $o)"; fi
else
  case "$o" in *busy*) printf 'remount\\tskip\\tbusy\\n' ;; *) printf 'remount\\tfail\\tumount: %s\\n' "$(echo $o)" ;; esac
fi
`;

/** A read-only mount (root; sh -s -- FILE): a write must be refused. */
export const GUEST_READONLY_SCRIPT = `${HELPERS}
r ls ls "$(dirname "$1")"
if o=$(touch "$1" 2>&1); then rm -f "$1"; printf 'rowrite\\tok\\t\\n'; else printf 'rowrite\\tfail\\t%s\\n' "$(echo $o)"; fi
`;

/** Removes the scratch directory in the guest (sh -s -- DIR), as whoever runs it. */
export const GUEST_CLEANUP_SCRIPT = 'case "$1" in */' + DOCTOR_SCRATCH_PREFIX + '*) rm -rf "$1" ;; esac\n';

/** Parses probe output (key TAB status TAB detail); the last line of a key wins. */
export function parseProbeOutput(text: string): ProbeOutput {
  const out: ProbeOutput = {};
  for (const line of text.split("\n")) {
    const [k, s, ...rest] = line.split("\t");
    if (!k || (s !== "ok" && s !== "fail" && s !== "skip")) continue;
    out[k] = { status: s, out: rest.join(" ").trim() };
  }
  return out;
}

/** A 9p device as QEMU runs it: -fsdev local,...,path=P,security_model=M[,readonly=on]. */
export interface QemuFsdev {
  path: string;
  securityModel: string;
  readonly: boolean;
}

/** Splits a QEMU option string on single commas (",," is a literal comma). */
function qemuOptions(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ",") {
      if (s[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      out.push(cur);
      cur = "";
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

/** The 9p devices of a QEMU command line (argv as in /proc/PID/cmdline). */
export function parseQemuFsdevs(argv: string[]): QemuFsdev[] {
  const out: QemuFsdev[] = [];
  argv.forEach((a, i) => {
    if (a !== "-fsdev" && a !== "-virtfs") return;
    const kv = new Map(qemuOptions(argv[i + 1] ?? "").map((o) => [o.split("=")[0] ?? "", o.includes("=") ? o.slice(o.indexOf("=") + 1) : "on"] as const));
    const path = kv.get("path");
    if (path === undefined) return;
    out.push({ path, securityModel: kv.get("security_model") ?? "?", readonly: kv.get("readonly") === "on" });
  });
  return out;
}

/** What the host saw in one role's directory after the guest probe (gathered by the executor). */
export interface HostView {
  /** Content of gw.txt (trimmed), or undefined when missing. */
  write?: string;
  /** own: "uid:gid" */
  owner?: string;
  /** own: user.virtfs.* xattrs as "uid=1234,gid=2345,mode=100644" ("" none; undefined = could not read) */
  virtfsXattrs?: string;
  /** own: .virtfs_metadata/own contents, one line joined by "," */
  virtfsMetadata?: string;
  /** gl: "symlink -> T" or "file: CONTENT" or "other" */
  symlink?: string;
  /** f: link count */
  nlink?: number;
  /** rb content */
  renamed?: string;
  /** m: mode (octal string, permission bits) */
  mode?: string;
  /** t: "size mtime" */
  mtime?: string;
  /** x: value of user.tslima (undefined: not there or not readable) */
  xattr?: string;
  /** mm: first 7 bytes */
  mmap?: string;
  /** sp: "size blocks512" */
  sparse?: string;
}

export type Status = "ok" | "fail" | "not-tested" | "n/a";

export interface Check {
  status: Status;
  /** What was seen (guest and host); for "not-tested", why. */
  detail: string;
}

/** The properties, in table order (also the JSON `checks` keys). */
export const CHECKS = [
  "write",
  "chown",
  "chownRemount",
  "symlinkGuest",
  "symlinkHost",
  "hardlink",
  "rename",
  "mode",
  "xattr",
  "mtimeSize",
  "flock",
  "fcntlLock",
  "mmapShared",
  "unixSocket",
  "fsync",
  "oDirect",
  "sparse",
  "caseSensitive",
  "readOnly",
] as const;
export type CheckName = (typeof CHECKS)[number];

/** One line per check, what it means (the README's JSON field list). */
export const CHECK_MEANING: Record<CheckName, string> = {
  write: "files written in the guest appear on the host and the other way round",
  chown: `root in the guest chowns a file to ${CHOWN_TO} and the guest keeps it (detail: what the host has)`,
  chownRemount: "the chown is still there after the guest unmounts and mounts again",
  symlinkGuest: "a symlink made in the guest is a symlink on the host",
  symlinkHost: "a symlink made on the host can be followed in the guest",
  hardlink: "ln works in the guest and the host sees a link count of 2 (detail: the guest's count; sshfs shows 1)",
  rename: "mv over an existing file",
  mode: "chmod 750 in the guest is seen on the host; the host's 755 (exec bit) is seen in the guest",
  xattr: "a user.* extended attribute set in the guest reads back (detail: whether the host has it)",
  mtimeSize: "size and mtime set on either side are seen on the other",
  flock: "flock(1) takes an exclusive lock",
  fcntlLock: "an fcntl (POSIX) lock is taken",
  mmapShared: "a write through a shared mmap reaches the file (and the host)",
  unixSocket: "a unix socket can be created and connected to",
  fsync: "fsync of a file succeeds",
  oDirect: "a write with O_DIRECT (dd oflag=direct) succeeds",
  sparse: "a 64 MiB file made with truncate in the guest stays sparse on the host",
  caseSensitive: "Case and case are two files",
  readOnly: "read-only mounts refuse a write",
};

export interface MountFacts {
  mount: Mount;
  type: MountType;
  /** The guest's /proc/mounts text. */
  procMounts: string;
  /** The 9p device QEMU really runs for this mount, when known. */
  qemu?: QemuFsdev;
  /** Probe output per role (absent: that role could not run, with why in `roleErrors`). */
  root?: ProbeOutput;
  user?: ProbeOutput;
  roleErrors?: { root?: string; user?: string };
  /** Host views of each role's directory. */
  hostRoot?: HostView;
  hostUser?: HostView;
  /** Remount probe output (root), or why it was not run. */
  remount?: ProbeOutput;
  remountSkipped?: string;
  /** Read-only mounts: GUEST_READONLY_SCRIPT output. */
  readOnly?: ProbeOutput;
  /** The guest user's name. */
  userName?: string;
}

export interface MountReport {
  location: string;
  mountPoint: string;
  type: MountType;
  writable: boolean;
  /** The options configured in lima.yaml for this mount type. */
  configured: Record<string, string | number | boolean>;
  /** As the guest mounted it (/proc/mounts), or null when it is not mounted. */
  guest: { fstype: string; options: string[] } | null;
  /** 9p: QEMU's side (-fsdev), or null. */
  qemu: { securityModel: string; readonly: boolean } | null;
  checks: Record<CheckName, Check>;
  /** One line per failing check: what fails, why, and which option changes it. */
  problems: string[];
  /** With --raw: what the verdicts were made from. */
  raw?: MountFacts;
}

export interface DoctorReport {
  instance: string;
  mounts: MountReport[];
  /** `mountInotify`: whether it is on, the host agent's counters while it runs (else null), and the line printed. */
  inotify: { enabled: boolean; stats: InotifyStats | null; summary: string };
}

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

/** The verdict of every property of one mount (pure). */
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
    checks: {} as Record<CheckName, Check>,
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
    addProblems(report, f);
    return report;
  }
  c.readOnly = na("writable mount");

  const roles: Roles = [];
  const roleNotRun = (role: "root" | "user"): string => f.roleErrors?.[role] ?? "did not run";
  for (const role of ["root", "user"] as const) {
    const p = f[role];
    if (p && p.mkdir?.status === "ok") roles.push([role, p]);
  }
  const host = (role: "root" | "user") => (role === "root" ? f.hostRoot : f.hostUser);

  // write: both ways, per role; a role that could not even mkdir fails here
  const writeChecks: Array<[string, Check]> = [];
  for (const role of ["root", "user"] as const) {
    const p = f[role];
    if (!p) {
      writeChecks.push([role, notTested(roleNotRun(role))]);
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
  c.write = combine(writeChecks);

  // ownership: root only
  const rootP = f.root?.mkdir?.status === "ok" ? f.root : undefined;
  if (!rootP) c.chown = notTested(f.root ? `root cannot create files (${why(f.root.mkdir)})` : roleNotRun("root"));
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
  addProblems(report, f);
  return report;
}

function combine(roles: Array<[string, Check]>): Check {
  const statuses = new Set(roles.map(([, c]) => c.status));
  if (statuses.size === 1 && roles.every(([, c]) => c.detail === roles[0]?.[1].detail)) return roles[0]?.[1] ?? notTested("");
  const status: Status = statuses.has("fail") ? "fail" : statuses.has("ok") ? "ok" : "not-tested";
  return { status, detail: roles.map(([r, c]) => `${r}: ${c.status === "ok" ? "ok" : c.detail}`).join("; ") };
}

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
function addProblems(report: MountReport, _f: MountFacts): void {
  const c = report.checks;
  report.checks = Object.fromEntries(CHECKS.map((k) => [k, c[k]])) as Record<CheckName, Check>;
  for (const k of CHECKS) {
    const c = report.checks[k];
    if (c.status === "fail") report.problems.push(advice(k, report, c.detail));
  }
}

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
