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
 * host change moves the ctime, so its event is raised. The host can see a guest change before the
 * guest kernel queues its event (the writer is woken by the reply and queues it when it runs again;
 * a CI run caught such an echo of a guest append on virtiofs), so the paths of a batch that would be
 * raised wait first: by the time the program's own statx of a path returned, the earlier reply to the
 * writer has come too (a mount answers in order), so the writer is runnable; the program waits until
 * nothing else in the guest is runnable (/proc/loadavg), at most settleS, reads the events again and
 * checks again (the echoes caught so are counted as `late`). Its own operations on the path it raises are
 * not recorded (the process is single-threaded: the events they queue are read right after them).
 * The record is bounded (maxRecords paths, each kept recordAgeS at most) and so is the watching
 * (maxWatches directories): a guest change not recorded comes back once, as before; nothing is
 * ever skipped without a record. Left: a host change landing between a guest change and the moment
 * the program stats the path (milliseconds, or up to settleS) is taken for the echo; a writer that
 * has not run within settleS (a guest busy with more than it) or whose reply did not come in order
 * (reverse-sshfs answers a statx from sshfs's cache) still has its echo raised; where the guest caches attributes
 * (9p cache=loose/fscache) or has whole-second times (reverse-sshfs), a host change that the guest's
 * stat does not show is taken for one too.
 */
import type { PlannedMount } from "./types.js";
import { shellJoin } from "../proc/quote.js";
import { MOUNTS_INOTIFY_RAISE_PY, MOUNTS_INOTIFY_RAISE_SH } from "../guest/embedded.js";

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
  /** In the guest: at most how long a batch's paths to raise wait for the guest's own events still on their way (see settle in the guest program). */
  settleS: number;
}

export const INOTIFY_LIMITS: InotifyLimits = { intervalMs: 100, maxBatch: 256, maxPending: 4096, maxRemembered: 65536, maxWatches: 8192, maxRecords: 16384, recordAgeS: 60, settleS: 0.2 };

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
 * The guest side of a batch (src/guest/mounts/inotify-raise.sh and .py): reads NUL-ended paths on stdin and raises the events described
 * above for each (a path gone meanwhile is skipped quietly), except for the echoes of the guest's own
 * changes in `mountPoints`. As root when sudo needs no password (the host user's files need not be the
 * guest user's), else as the user.
 */
export function touchScript(mountPoints: string[], limits: Pick<InotifyLimits, "maxWatches" | "maxRecords" | "recordAgeS" | "settleS"> = INOTIFY_LIMITS): string {
  const args = [MOUNTS_INOTIFY_RAISE_PY, OWN_LINK_PREFIX, String(limits.maxWatches), String(limits.maxRecords), String(limits.recordAgeS), String(limits.settleS), ...mountPoints];
  const raise = shellJoin(["sh", "-c", MOUNTS_INOTIFY_RAISE_SH, "tslima-raise", ...args]);
  return `if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n ${raise}; fi\nexec ${raise}`;
}

/** The stdin for touchScript: the guest paths, each ended by a NUL (a file name may hold a newline, never a NUL). */
export function touchInput(guestPaths: string[]): string {
  return guestPaths.map((p) => `${p}\0`).join("");
}
