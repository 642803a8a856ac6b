/**
 * `mountInotify: true`, the host agent's side (the policy is in src/mounts/inotify.ts): watch each
 * writable mount's location with @parcel/watcher, queue the changed paths, and every interval write
 * one batch to a long-lived guest session on the ControlMaster, where touchScript turns each path
 * into inotify events (without writing any value the guest may be changing) unless it is the echo of
 * the guest's own change; its status lines go into the counters. Writes its counters to <instance>/inotify.json for `doctor mounts`;
 * stopped on stop and suspend.
 */
import { readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { ChangeQueue, EchoFilter, INOTIFY_LIMITS, guestPathFor, isOwnLink, touchInput, touchScript, type HostState, type WatchedMount } from "../mounts/inotify.js";
import { parseGuestStatus, type InotifyStats } from "../mounts/inotify-status.js";
import type { ChildProcess } from "node:child_process";
import { shScript } from "../ssh/exec.js";
import { sshArgv } from "../ssh/argv.js";
import { exitOf, startChild } from "../proc/child.js";
import { LineSplitter } from "../proc/tail.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";

export interface MountInotify {
  stop(): Promise<void>;
}

export const inotifyStatsPath = (paths: InstancePaths) => join(paths.dir, "inotify.json");

/** The agent's counters, or undefined when forwarding does not run. */
export function readInotifyStats(paths: InstancePaths): InotifyStats | undefined {
  try {
    return JSON.parse(readFileSync(inotifyStatsPath(paths), "utf8")) as InotifyStats;
  } catch {
    return undefined;
  }
}

interface Subscription {
  unsubscribe(): Promise<void>;
}

function hostState(path: string): HostState | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return { mtimeNs: st.mtimeNs, size: Number(st.size), mode: Number(st.mode) };
  } catch {
    return undefined;
  }
}

interface InotifyIO {
  log(m: string): void;
  warn(m: string): void;
}

/** The watcher reports real paths: the locations are mapped by their real paths. */
function realMounts(configured: WatchedMount[]): WatchedMount[] {
  return configured.map((m) => {
    try {
      return { ...m, location: realpathSync(m.location) };
    } catch {
      return m;
    }
  });
}

/** Starts forwarding; a watcher that cannot start is a warning, never a failed boot. */
export async function startMountInotify(paths: InstancePaths, configured: WatchedMount[], io: InotifyIO): Promise<MountInotify> {
  let watcher: typeof import("@parcel/watcher");
  try {
    watcher = await import("@parcel/watcher");
  } catch (e) {
    io.warn(`mountInotify: the file watcher (@parcel/watcher) cannot be loaded: ${(e as Error).message}; host changes are not forwarded`);
    return { stop: () => Promise.resolve() };
  }
  const forwarder = new InotifyForwarder(paths, realMounts(configured), io);
  await forwarder.watch(watcher);
  forwarder.start();
  return forwarder;
}

/**
 * The host's changes, queued (ChangeQueue) and written in batches to one long-lived guest session
 * (one ssh + sudo per session, not per batch: under TCG each costs about a second). A full pipe
 * holds the next batches back, so they coalesce and the cap applies; a session that ended is
 * started again, at most once a second.
 */
class InotifyForwarder implements MountInotify {
  private readonly limits = INOTIFY_LIMITS;
  private readonly queue = new ChangeQueue(this.limits);
  private readonly echo = new EchoFilter(this.limits.maxRemembered);
  private readonly stats: InotifyStats = { watching: [], forwarded: 0, batches: 0, dropped: 0, restarts: 0, errors: [], limits: this.limits };
  private readonly subs: Subscription[] = [];
  private readonly argv: string[];
  private session: ChildProcess | undefined;
  private sessionStderr = "";
  private startedAt = 0;
  private waitingForDrain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly paths: InstancePaths,
    private readonly mounts: WatchedMount[],
    private readonly io: InotifyIO,
  ) {
    this.argv = sshArgv(paths, { tty: false, command: shScript(touchScript(mounts.map((m) => m.mountPoint), this.limits)), login: false });
  }

  private save(): void {
    writeFileAtomic(inotifyStatsPath(this.paths), `${JSON.stringify(this.stats)}\n`);
  }

  /** Subscribes to each mount's location; one that cannot be watched is a warning. */
  async watch(watcher: typeof import("@parcel/watcher")): Promise<void> {
    const { stats } = this;
    for (const m of this.mounts) {
      try {
        const sub = await watcher.subscribe(m.location, (err, events) => {
          if (err) {
            if (stats.errors.length < 5) stats.errors.push(`${m.location}: ${err.message}`);
            return;
          }
          this.queue.add(events.map((e) => e.path).filter((p) => !isOwnLink(p)));
        });
        this.subs.push(sub);
        stats.watching.push(m.location);
      } catch (e) {
        stats.errors.push(`${m.location}: ${(e as Error).message}`);
        this.io.warn(`mountInotify: cannot watch ${m.location}: ${(e as Error).message}`);
      }
    }
    this.save();
  }

  start(): void {
    // Opened now: its ssh and sudo cost seconds under TCG, which the first change should not wait for.
    if (this.stats.watching.length > 0) this.open();
    this.timer = setInterval(() => this.tick(), this.limits.intervalMs);
    this.io.log(`mountInotify: watching ${this.stats.watching.join(", ") || "nothing"}`);
  }

  /** The running guest session, or a new one (undefined while the last one ended less than a second ago). */
  private open(): ChildProcess | undefined {
    const old = this.session;
    if (old && old.exitCode === null && old.signalCode === null) return old;
    if (Date.now() - this.startedAt < 1000) return undefined;
    if (old) {
      this.stats.restarts++;
      this.io.log(`mountInotify: the guest session ended (${old.exitCode ?? old.signalCode}): ${this.sessionStderr.trim().split("\n").pop() ?? ""}; starting it again`);
    }
    this.startedAt = Date.now();
    this.sessionStderr = "";
    const c = startChild("ssh", this.argv, { stdio: ["pipe", "pipe", "pipe"] });
    const split = new LineSplitter(4096); // a status line is ~250 bytes; the guest's output is hostile
    c.stdout?.on("data", (b: Buffer) => {
      const last = split.push(b.toString("utf8")).map(parseGuestStatus).filter((g) => g !== undefined).pop();
      if (last) {
        this.stats.guest = last;
        this.save();
      }
    });
    c.stdin?.on("error", () => undefined);
    c.stdin?.on("drain", () => (this.waitingForDrain = false));
    c.stderr?.on("data", (b: Buffer) => (this.sessionStderr = (this.sessionStderr + b.toString("utf8")).slice(-1000)));
    c.once("error", () => undefined);
    this.session = c;
    this.waitingForDrain = false;
    return c;
  }

  /** The guest paths of the changed host paths that are not the echo of the guest's own change. */
  private guestPaths(changed: string[]): { entries: string[]; targets: string[] } {
    const entries: string[] = [];
    const targets: string[] = [];
    for (const p of changed) {
      // A path that is gone: its directory changed instead (the guest sees an event on it).
      let target = p;
      let state = hostState(p);
      if (!state) {
        this.echo.forget(p);
        target = dirname(p);
        state = hostState(target);
      }
      if (!state || !this.echo.changed(target, state)) continue;
      const guestPath = guestPathFor(this.mounts, target);
      if (guestPath === undefined) continue;
      entries.push(guestPath);
      targets.push(target);
    }
    return { entries, targets };
  }

  /** Every interval: one batch of the queued changes to the guest session. */
  private tick(): void {
    if (this.stopped || this.waitingForDrain) return;
    const { stats } = this;
    const { paths: changed, dropped } = this.queue.take();
    if (dropped > 0) {
      stats.dropped += dropped;
      stats.lastDropAt = new Date().toISOString();
      this.io.log(`mountInotify: ${dropped} changes dropped (more than ${this.limits.maxPending} waiting)`);
    }
    const { entries, targets } = this.guestPaths(changed);
    if (entries.length > 0) {
      const c = this.open();
      if (!c?.stdin) {
        for (const t of targets) this.echo.forget(t);
        this.queue.add(changed); // the session is being restarted: try again on a later tick
        return;
      }
      this.waitingForDrain = !c.stdin.write(touchInput(entries));
      stats.batches++;
      stats.forwarded += entries.length;
    }
    if (entries.length > 0 || dropped > 0) this.save();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled(this.subs.map((s) => s.unsubscribe()));
    const c = this.session;
    if (c && c.exitCode === null && c.signalCode === null) {
      c.stdin?.end();
      const killer = setTimeout(() => c.kill("SIGKILL"), 3000);
      c.kill("SIGTERM");
      await exitOf(c);
      clearTimeout(killer);
    }
    rmSync(inotifyStatsPath(this.paths), { force: true });
  }
}
