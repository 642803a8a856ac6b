/**
 * `mountInotify: true`, the pure part: which host paths become which guest paths, coalescing and
 * capping of host change events into batches, the echo filter, and the guest command that turns a
 * batch into inotify events. The host agent (src/hostagent/inotify.ts) only watches, stats, times
 * and sends.
 *
 * How the guest gets an event: 9p, virtiofs and sshfs pass no change notifications from the host, so
 * the guest kernel never hears of a host-side write. The agent runs `chmod --reference=P P` on the
 * path in the guest (a chmod to the mode the file already has; Lima's guest agent sets the mtime): the
 * setattr goes through the guest's VFS, which emits IN_ATTRIB on the file (and on its directory's
 * watch, with the name). It changes nothing on the host but the ctime; setting the mtime instead
 * (touch -d) would put back an older mtime when the file changed again in between, and a write (to
 * get IN_MODIFY) could lose data the host writes at the same time. Watchers that listen for
 * attribute changes react (inotifywait without -e or with -e attrib, Node's fs.watch and so
 * chokidar, webpack, vite, nodemon); one that asks for IN_MODIFY only does not.
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

/** The mounts `mountInotify` watches: the writable ones (a touch in a read-only mount fails, as in Lima). */
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
 * forwarded for it. The guest's chmod to the same mode changes only the host file's ctime, so the
 * host event it causes is not forwarded again; without this a touch would loop between both sides.
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

/**
 * The guest side of a batch: a script that reads one path per line on stdin and chmods each to its
 * own mode (a path gone meanwhile is skipped quietly). As root when sudo needs no password (the host
 * user's files need not be the guest user's), else as the user.
 */
const TOUCH_LOOP = 'while IFS= read -r p; do chmod --reference="$p" -- "$p" 2>/dev/null; done; exit 0';
export const TOUCH_SCRIPT = [
  `if [ "$(id -u)" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n sh -c ${shellQuote(TOUCH_LOOP, { always: true })}; fi`,
  TOUCH_LOOP,
].join("\n");

/** The stdin for TOUCH_SCRIPT: the guest paths, one per line. */
export function touchInput(guestPaths: string[]): string {
  return guestPaths.map((p) => `${p}\n`).join("");
}

/** What doctor reports of the forwarding (written by the agent to <instance>/inotify.json). */
export interface InotifyStats {
  /** Host locations watched. */
  watching: string[];
  /** Paths touched in the guest. */
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
