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
 * Echo: none of these change what the echo filter compares (mtime, size, mode), and the host events
 * of the hidden link are ignored by name, so the agent's own operations never come back. A change
 * made in the guest does, once: the host sees it like any other write and forwards it (the guest's
 * own event came first). Telling the guest's writes from the host's would need the writer's pid
 * (QEMU's), which an unprivileged watcher does not get; skipping paths for a while after a guest
 * change would also drop real host changes, so it is not done.
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
}

export const INOTIFY_LIMITS: InotifyLimits = { intervalMs: 100, maxBatch: 256, maxPending: 4096, maxRemembered: 65536 };

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
 * undefined when none does. Paths with a newline are refused: the batch is sent one path per line.
 */
export function guestPathFor(mounts: WatchedMount[], hostPath: string): string | undefined {
  if (hostPath.includes("\n")) return undefined;
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

/** python3: one path per line on stdin (bytes, so any file name), the operations described above. */
const RAISE_PY = `
import os, stat, sys
X, L = b"user.tslima.inotify", b"${OWN_LINK_PREFIX}" + os.urandom(4).hex().encode() + b"-"
n = 0
for line in sys.stdin.buffer:
    p = line[:-1] if line.endswith(b"\\n") else line
    try:
        st = os.lstat(p)
    except OSError:
        continue
    if stat.S_ISLNK(st.st_mode):
        continue
    try:
        os.setxattr(p, X, b"1", follow_symlinks=False)
        os.removexattr(p, X, follow_symlinks=False)
        attrib = True
    except OSError:
        attrib = False
    if not stat.S_ISREG(st.st_mode):
        continue
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
`;

/** Without python3: the hard link only (a shell cannot open a file for writing without creating it). */
const RAISE_SH = `n=0; while IFS= read -r p; do
  if [ -f "$p" ] && [ ! -L "$p" ]; then n=$((n+1)); t="$(dirname -- "$p")/${OWN_LINK_PREFIX}$$-$n"; ln -- "$p" "$t" 2>/dev/null && rm -f -- "$t"; fi
done; exit 0`;

const RAISE = `if command -v python3 >/dev/null 2>&1; then exec python3 -c ${shellQuote(RAISE_PY, { always: true })}; fi\n${RAISE_SH}`;

/**
 * The guest side of a batch: reads one path per line on stdin and raises the events described
 * above for each (a path gone meanwhile is skipped quietly). As root when sudo needs no password
 * (the host user's files need not be the guest user's), else as the user.
 */
export const TOUCH_SCRIPT = [
  `if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n sh -c ${shellQuote(RAISE, { always: true })}; fi`,
  RAISE,
].join("\n");

/** The stdin for TOUCH_SCRIPT: the guest paths, one per line. */
export function touchInput(guestPaths: string[]): string {
  return guestPaths.map((p) => `${p}\n`).join("");
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
}

/** The line doctor prints about inotify forwarding. Pure. */
export function inotifySummary(enabled: boolean, stats: InotifyStats | undefined): string {
  if (!enabled) return "inotify forwarding: off (mountInotify: true or --mount-inotify forwards host changes as inotify events)";
  if (!stats) return "inotify forwarding: on in lima.yaml, but not running (the instance was started without it; restart it)";
  const dropped = stats.dropped > 0 ? `, dropped ${stats.dropped} changes over the cap of ${stats.limits.maxPending} waiting (last at ${stats.lastDropAt ?? "?"})` : ", none dropped";
  const errors = stats.errors.length > 0 ? `; watch errors: ${stats.errors.join("; ")}` : "";
  const failed = stats.restarts > 0 ? `, the guest session restarted ${stats.restarts} times` : "";
  return `inotify forwarding: on for ${stats.watching.length} writable mounts, ${stats.forwarded} changes in ${stats.batches} batches${failed}${dropped}${errors}`;
}
