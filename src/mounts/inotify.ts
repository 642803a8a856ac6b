/**
 * `mountInotify: true`, the pure part: which host paths become which guest paths, coalescing and
 * capping of host change events into batches, the echo filter, and the guest command that turns a
 * batch into inotify events. The host agent (src/hostagent/inotify.ts) only watches, stats, times
 * and sends.
 *
 * How the guest gets an event: 9p, virtiofs and sshfs pass no change notifications from the host, so
 * the guest kernel never hears of a host-side write. The agent makes the guest do, on the path, an
 * operation that goes through the guest's VFS and so raises inotify events there, but writes no value
 * the guest (or the host) may be changing at the same time: no mode, owner, times, size or data.
 * An earlier version ran `chmod --reference=P P`, which reads the mode and writes it back: a guest
 * `chmod` landing in between was undone (the mounts-9p e2e test caught it). Lima's guest agent sets
 * the mtime it got from the host (`os.Chtimes`), which has the same window: a later mtime set in the
 * guest or on the host meanwhile is overwritten with the older one.
 *
 * What the guest sees for a host change of path P:
 * - P a regular file: `user.tslima.inotify` set and removed (setxattr/removexattr: IN_ATTRIB on P
 *   and, with the name, on its directory's watch), then P opened write-only for appending and closed
 *   without writing (IN_OPEN, IN_CLOSE_WRITE, likewise on both). No IN_MODIFY: nothing is written.
 *   Node's fs.watch (libuv asks for IN_ATTRIB, not IN_CLOSE_WRITE; so chokidar, webpack, vite,
 *   nodemon) reacts to the IN_ATTRIB, `inotifywait -e close_write` to the IN_CLOSE_WRITE.
 * - If user xattrs are refused (reverse-sshfs, virtiofs without xattr support, a host file system
 *   without them): a hard link `.tslima-inotify-*` made next to P and removed; the link count change
 *   is IN_ATTRIB on P's own watch only, the directory's watch sees IN_CREATE and IN_DELETE of the
 *   hidden name (and the directory's mtime moves, as for any entry made in it).
 * - P a directory: the xattr as above (IN_ATTRIB|IN_ISDIR); nothing when xattrs are refused.
 * - P gone: the same for its directory. P a symlink: nothing (Linux refuses user xattrs on links).
 * Without python3 in the guest only the hard link is made.
 *
 * Echo: none of these change what the host's echo filter compares (mtime, size, mode), and the host
 * events of the hidden link are ignored by name, so the agent's own operations never come back.
 * A change made in the guest reaches the host like any other write (QEMU, virtiofsd or sftp-server
 * makes it there; an unprivileged host watcher does not learn the writer) and is forwarded; the guest
 * program drops that echo. It watches each forwarded mount in the guest with inotify itself (the guest
 * kernel reports the guest's own changes on 9p, virtiofs and sshfs, and never the host's), and after
 * each guest change records the path's identity then (mode, inode, size, ctime, mtime; for an entry
 * made, removed or renamed also its directory's, which is what the host sends for a path gone). A
 * batch's path whose identity still equals its record is skipped: nothing changed since an event the
 * guest kernel already delivered, so a watcher has been woken after that state came to be. A later
 * host change moves the ctime, so its event is raised. Its own operations on the path it raises are
 * not recorded (the process is single-threaded: the events they queue are read right after them).
 * The record is bounded (maxRecords paths, each kept recordAgeS at most) and so is the watching
 * (maxWatches directories): a guest change not recorded comes back once, as before; nothing is
 * ever skipped without a record. Left: a host change landing between a guest change and the moment
 * the program stats the path (milliseconds) is taken for the echo; where the guest caches attributes
 * (9p cache=loose/fscache) or has whole-second times (reverse-sshfs), a host change that the guest's
 * stat does not show is taken for one too.
 */
import type { PlannedMount } from "./types.js";
import { shellQuote } from "../proc/quote.js";

/** How the agent batches: one batch per interval, at most `maxBatch` paths, at most `maxPending` waiting. */
export interface InotifyLimits {
  intervalMs: number;
  maxBatch: number;
  maxPending: number;
  /** Paths whose last forwarded state is remembered (for the echo filter); the oldest are forgotten. */
  maxRemembered: number;
  /** In the guest: directories watched for the guest's own changes, and how many of those changes are remembered for how long. */
  maxWatches: number;
  maxRecords: number;
  recordAgeS: number;
}

export const INOTIFY_LIMITS: InotifyLimits = { intervalMs: 100, maxBatch: 256, maxPending: 4096, maxRemembered: 65536, maxWatches: 8192, maxRecords: 16384, recordAgeS: 60 };

/** A watched mount: host location (as the watcher reports paths) and guest mount point. */
export interface WatchedMount {
  location: string;
  mountPoint: string;
}

/** The mounts `mountInotify` watches: the writable ones (nothing can be raised in a read-only one; Lima watches the writable ones too). */
export function watchedMounts(mounts: PlannedMount[]): WatchedMount[] {
  return mounts.filter((m) => m.mount.writable).map((m) => ({ location: m.mount.location, mountPoint: m.mount.mountPoint }));
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p);

/**
 * The guest path of a host path under one of the mounts (the longest location that contains it), or
 * undefined when none does. Any name a file can have works (the batch is NUL-separated); a NUL is refused.
 */
export function guestPathFor(mounts: WatchedMount[], hostPath: string): string | undefined {
  if (hostPath.includes("\0")) return undefined;
  let best: WatchedMount | undefined;
  for (const m of mounts) {
    const loc = trimSlash(m.location);
    if (hostPath === loc || hostPath.startsWith(`${loc === "/" ? "" : loc}/`)) {
      if (!best || loc.length > trimSlash(best.location).length) best = m;
    }
  }
  if (!best) return undefined;
  const rest = hostPath.slice(trimSlash(best.location).length).replace(/^\/+/, "");
  const mp = trimSlash(best.mountPoint);
  return rest === "" ? mp : `${mp === "/" ? "" : mp}/${rest}`;
}

/**
 * Changed paths waiting to be sent: a path is held once however often it changes (coalescing), at
 * most `maxPending` are held (the rest are dropped and counted), and `take` hands out at most
 * `maxBatch` per batch, oldest first.
 */
export class ChangeQueue {
  private readonly pending = new Set<string>();
  private droppedSinceTake = 0;

  constructor(private readonly limits: Pick<InotifyLimits, "maxBatch" | "maxPending"> = INOTIFY_LIMITS) {}

  add(paths: Iterable<string>): void {
    for (const p of paths) {
      if (this.pending.has(p)) continue;
      if (this.pending.size >= this.limits.maxPending) this.droppedSinceTake++;
      else this.pending.add(p);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** The next batch, and how many changes were dropped since the last take. */
  take(): { paths: string[]; dropped: number } {
    const paths: string[] = [];
    for (const p of this.pending) {
      if (paths.length >= this.limits.maxBatch) break;
      paths.push(p);
    }
    for (const p of paths) this.pending.delete(p);
    const dropped = this.droppedSinceTake;
    this.droppedSinceTake = 0;
    return { paths, dropped };
  }
}

/** What the host's stat says of a path: mtime in nanoseconds, size and mode. */
export interface HostState {
  mtimeNs: bigint;
  size: number;
  mode: number;
}

/**
 * The echo filter: a path is forwarded only when its mtime, size or mode differs from what was last
 * forwarded for it. The guest's xattr and open change only the host file's ctime (or nothing), so
 * the host event they cause is not forwarded again; without this they would loop between both sides.
 */
export class EchoFilter {
  private readonly seen = new Map<string, string>();

  constructor(private readonly maxRemembered = INOTIFY_LIMITS.maxRemembered) {}

  /** True when the path should be forwarded (and remembers the state). */
  changed(path: string, state: HostState): boolean {
    const sig = `${state.mtimeNs}:${state.size}:${state.mode}`;
    if (this.seen.get(path) === sig) return false;
    this.seen.delete(path);
    this.seen.set(path, sig);
    if (this.seen.size > this.maxRemembered) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  /** A path that is gone: its next appearance is a change. */
  forget(path: string): void {
    this.seen.delete(path);
  }
}

/** Names of the forwarder's own short-lived hard links (host events for them are ignored). */
export const OWN_LINK_PREFIX = ".tslima-inotify-";

/** True for a path the forwarder itself made (its host events are not forwarded). */
export function isOwnLink(path: string): boolean {
  return path.slice(path.lastIndexOf("/") + 1).startsWith(OWN_LINK_PREFIX);
}

/**
 * python3, run as `python3 -c RAISE_PY MAX_WATCHES MAX_RECORDS RECORD_AGE_S MOUNT_POINT...`: paths
 * on stdin, each ended by a NUL (bytes, so any file name, newlines too), the operations described above, and the record of the
 * guest's own changes that keeps their echoes out (see "Echo" above). One status line (JSON, see
 * GuestEchoStats) on stdout whenever its counters changed, at most every 0.25 s.
 */
const RAISE_PY = String.raw`
import ctypes, errno, json, os, select, stat, struct, sys, time
X, P = b"user.tslima.inotify", b"${OWN_LINK_PREFIX}"
L = P + os.urandom(4).hex().encode() + b"-"
MAXW, MAXR, AGE = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
MODIFY, ATTRIB, CLOSE_WRITE, OPEN, MOVED_FROM, MOVED_TO, CREATE, DELETE = 0x2, 0x4, 0x8, 0x20, 0x40, 0x80, 0x100, 0x200
UNMOUNT, OVERFLOW, IGNORED, ISDIR, ONLYDIR, DONT_FOLLOW = 0x2000, 0x4000, 0x8000, 0x40000000, 0x1000000, 0x2000000
WATCH = MODIFY | ATTRIB | CLOSE_WRITE | MOVED_FROM | MOVED_TO | CREATE | DELETE | ONLYDIR | DONT_FOLLOW
libc = ctypes.CDLL(None, use_errno=True)
try:
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
except AttributeError:
    fd = -1
statx = getattr(libc, "statx", None)
sbuf = ctypes.create_string_buffer(256)
roots = [os.fsencode(r).rstrip(b"/") for r in sys.argv[4:]] if fd >= 0 else []
wds, todo, records, rootwds, rootdevs = {}, [r for r in roots if r], {}, {}, {}
st = {"recording": fd >= 0, "watches": 0, "capped": False, "walking": bool(todo), "lines": 0, "raised": 0, "skipped": 0, "gone": 0, "noted": 0, "records": 0, "overflows": 0}

def ident(p):
    # What p is now (None: gone), its attributes fetched afresh where the file system can (statx with
    # AT_STATX_FORCE_SYNC: FUSE's attribute cache is bypassed): mode, inode, size, ctime and mtime.
    global statx
    if statx is not None:
        if statx(-100, p, 0x2100, 0x7FF, sbuf) == 0:
            b = sbuf.raw
            return b[28:30] + b[32:48] + b[96:108] + b[112:124]
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL):
            return None
        statx = None
    try:
        s = os.lstat(p)
    except OSError:
        return None
    return (s.st_mode, s.st_ino, s.st_size, s.st_ctime_ns, s.st_mtime_ns)

def record(p, now):
    k = ident(p)
    records.pop(p, None)
    if k is not None:
        records[p] = (k, now)
    while records:
        oldest = next(iter(records))
        if len(records) <= MAXR and now - records[oldest][1] <= AGE:
            break
        del records[oldest]

def events():
    out = []
    while fd >= 0:
        try:
            b = os.read(fd, 65536)
        except OSError:
            break
        i = 0
        while i < len(b):
            wd, mask, _, n = struct.unpack_from("iIII", b, i)
            name = b[i + 16:i + 16 + n].rstrip(b"\0")
            i += 16 + n
            if mask & OVERFLOW:
                st["overflows"] += 1
            elif mask & IGNORED:
                wds.pop(wd, None)
            elif mask & UNMOUNT:
                pass
            elif wd in wds and not name.startswith(P):
                d = wds[wd]
                out.append((mask & ~ISDIR, mask & ISDIR, d + b"/" + name if name else d, d if name else None))
    return out

def note(evs, own=None):
    # The guest's own changes: the path's identity now is recorded, and for an entry made, removed or
    # renamed, its directory's too. Own operations on the path being raised are not guest changes.
    changed = {}
    for kind, isdir, p, d in evs:
        if p == own and kind in (ATTRIB, OPEN, CLOSE_WRITE):
            continue
        if isdir and kind in (CREATE, MOVED_TO):
            todo.append(p)
        changed[p] = 1
        if d is not None and kind in (CREATE, DELETE, MOVED_FROM, MOVED_TO):
            changed[d] = 1
    now = time.monotonic()
    for p in changed:
        record(p, now)
    st["noted"] += len(changed)

def walk(n):
    while todo and n > 0:
        n -= 1
        d = todo.pop(0)
        if len(wds) >= MAXW:
            st["capped"] = True
            todo.clear()
            break
        wd = libc.inotify_add_watch(fd, d, WATCH)
        if wd < 0:
            if ctypes.get_errno() == errno.ENOSPC:
                st["capped"] = True
                todo.clear()
            continue
        wds[wd] = d
        if d in roots:
            rootwds[d] = wd
            try:
                rootdevs[d] = os.stat(d).st_dev
            except OSError:
                pass
        try:
            with os.scandir(d) as it:
                todo.extend(e.path for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            pass

def remounted():
    # A mount unmounted (its watches end with IN_IGNORED) and mounted again, or mounted over the
    # directory watched, is walked again.
    for r in roots:
        if not r or r in todo:
            continue
        try:
            dev, up = os.stat(r).st_dev, os.stat(os.path.dirname(r)).st_dev
        except OSError:
            continue
        wd = rootwds.get(r)
        if wd in wds and rootdevs.get(r) != dev:
            libc.inotify_rm_watch(fd, wd)
            todo.append(r)
        elif wd not in wds and dev != up:
            todo.append(r)

def touch(p, mode):
    global n
    try:
        os.setxattr(p, X, b"1", follow_symlinks=False)
        os.removexattr(p, X, follow_symlinks=False)
        attrib = True
    except OSError:
        attrib = False
    if not stat.S_ISREG(mode):
        return
    if not attrib:
        n += 1
        t = os.path.join(os.path.dirname(p), L + str(n).encode())
        try:
            os.link(p, t, follow_symlinks=False)
            os.unlink(t)
        except OSError:
            pass
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY))
    except OSError:
        pass

def handle(p):
    st["lines"] += 1
    note(events())
    k = ident(p)
    if k is None:
        st["gone"] += 1
        return
    r = records.get(p)
    if r is not None and r[0] == k and time.monotonic() - r[1] <= AGE:
        st["skipped"] += 1
        return
    try:
        mode = os.lstat(p).st_mode
    except OSError:
        return
    if stat.S_ISLNK(mode):
        return
    touch(p, mode)
    st["raised"] += 1
    note(events(), own=p)

n, rest, said, saidAt, checkedAt = 0, b"", None, 0.0, time.monotonic()
while True:
    if time.monotonic() - checkedAt >= 5:
        remounted()
        checkedAt = time.monotonic()
    walk(64)
    st["walking"], st["watches"], st["records"] = bool(todo), len(wds), len(records)
    now = time.monotonic()
    if st != said and now - saidAt >= 0.25:
        sys.stdout.write(json.dumps(st) + "\n")
        sys.stdout.flush()
        said, saidAt = dict(st), now
    wait = 0 if todo else (5 if st == said else max(0.0, saidAt + 0.25 - now))
    ready, _, _ = select.select([0] + ([fd] if fd >= 0 else []), [], [], wait)
    if fd in ready:
        note(events())
    if 0 in ready:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\0")
        rest = lines.pop()
        for p in lines:
            if p:
                handle(p)
`;

/**
 * Without python3: the hard link only (a shell cannot open a file for writing without creating it).
 * `read` cannot split at NULs, so xargs -0 hands over one path per shell.
 */
const RAISE_SH = `exec xargs -0 -n 1 sh -c 'p=$1; if [ -f "$p" ] && [ ! -L "$p" ]; then t="\${p%/*}/${OWN_LINK_PREFIX}$$"; ln -- "$p" "$t" 2>/dev/null && rm -f -- "$t"; fi; exit 0' tslima-raise`;

/**
 * The guest side of a batch: reads NUL-ended paths on stdin and raises the events described
 * above for each (a path gone meanwhile is skipped quietly), except for the echoes of the guest's own
 * changes in `mountPoints`. As root when sudo needs no password (the host user's files need not be the
 * guest user's), else as the user.
 */
export function touchScript(mountPoints: string[], limits: Pick<InotifyLimits, "maxWatches" | "maxRecords" | "recordAgeS"> = INOTIFY_LIMITS): string {
  const args = [String(limits.maxWatches), String(limits.maxRecords), String(limits.recordAgeS), ...mountPoints].map((a) => shellQuote(a, { always: true })).join(" ");
  const raise = `if command -v python3 >/dev/null 2>&1; then exec python3 -c ${shellQuote(RAISE_PY, { always: true })} ${args}; fi\n${RAISE_SH}`;
  return [`if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n sh -c ${shellQuote(raise, { always: true })}; fi`, raise].join("\n");
}

/** The stdin for touchScript: the guest paths, each ended by a NUL (a file name may hold a newline, never a NUL). */
export function touchInput(guestPaths: string[]): string {
  return guestPaths.map((p) => `${p}\0`).join("");
}

/** What the guest program reports on stdout (its last status line; absent without python3 in the guest). */
export interface GuestEchoStats {
  /** Whether the guest's own changes are recorded at all (inotify available in the guest). */
  recording: boolean;
  /** Directories watched in the guest, whether the walk still runs, whether maxWatches was reached. */
  watches: number;
  walking: boolean;
  capped: boolean;
  /** Paths read from the agent; of them: raised events for, echoes of guest changes it skipped, and paths gone when their batch came. */
  lines: number;
  raised: number;
  skipped: number;
  gone: number;
  /** Guest changes recorded so far (paths), remembered now; guest inotify queue overflows (changes not recorded then). */
  noted: number;
  records: number;
  overflows: number;
}

/** The guest program's status line, or undefined for anything else. */
export function parseGuestStatus(line: string): GuestEchoStats | undefined {
  try {
    const v = JSON.parse(line) as Partial<GuestEchoStats>;
    const nums = [v.watches, v.lines, v.raised, v.skipped, v.gone, v.noted, v.records, v.overflows];
    if (typeof v.recording !== "boolean" || typeof v.walking !== "boolean" || typeof v.capped !== "boolean" || !nums.every((x) => typeof x === "number")) return undefined;
    const { recording, watches, walking, capped, lines, raised, skipped, gone, noted, records, overflows } = v as GuestEchoStats;
    return { recording, watches, walking, capped, lines, raised, skipped, gone, noted, records, overflows };
  } catch {
    return undefined;
  }
}

/** What doctor reports of the forwarding (written by the agent to <instance>/inotify.json). */
export interface InotifyStats {
  /** Host locations watched. */
  watching: string[];
  /** Paths the guest raised events for. */
  forwarded: number;
  batches: number;
  /** Changes dropped because too many were waiting (the `maxPending` cap). */
  dropped: number;
  /** When changes were last dropped (ISO time). */
  lastDropAt?: string;
  /** Times the guest session had ended and was started again. */
  restarts: number;
  /** Watch errors (e.g. the inotify watch limit of the host). */
  errors: string[];
  limits: InotifyLimits;
  /** The guest program's last status (absent until it reports, and without python3 in the guest). */
  guest?: GuestEchoStats;
}

/** The line doctor prints about inotify forwarding. Pure. */
export function inotifySummary(enabled: boolean, stats: InotifyStats | undefined): string {
  if (!enabled) return "inotify forwarding: off (mountInotify: true or --mount-inotify forwards host changes as inotify events)";
  if (!stats) return "inotify forwarding: on in lima.yaml, but not running (the instance was started without it; restart it)";
  const dropped = stats.dropped > 0 ? `, dropped ${stats.dropped} changes over the cap of ${stats.limits.maxPending} waiting (last at ${stats.lastDropAt ?? "?"})` : ", none dropped";
  const errors = stats.errors.length > 0 ? `; watch errors: ${stats.errors.join("; ")}` : "";
  const failed = stats.restarts > 0 ? `, the guest session restarted ${stats.restarts} times` : "";
  return `inotify forwarding: on for ${stats.watching.length} writable mounts, ${stats.forwarded} changes in ${stats.batches} batches${failed}${dropped}${errors}; ${echoSummary(stats.guest, stats.limits)}`;
}

/** What doctor says of the echoes of guest changes. */
function echoSummary(g: GuestEchoStats | undefined, limits: InotifyLimits): string {
  const back = "the echo of a guest change comes back once as a host change";
  if (!g) return `the guest program has not reported (no python3 in the guest?): ${back}`;
  if (!g.recording) return `no inotify in the guest: ${back}`;
  const parts = [
    `echoes of guest changes: ${g.skipped} skipped, ${g.raised} host changes raised; ${g.noted} guest changes recorded in ${g.watches} directories${g.walking ? " (still walking the mounts)" : ""}, ${g.records} remembered (at most ${limits.maxRecords}, each for ${limits.recordAgeS} s)`,
  ];
  if (g.capped) parts.push(`watching stopped at ${g.watches} directories (cap ${limits.maxWatches} or the guest's fs.inotify.max_user_watches): in the others ${back}`);
  if (g.overflows > 0) parts.push(`the guest's inotify queue overflowed ${g.overflows} times (the guest changes lost then come back once)`);
  return parts.join("; ");
}
