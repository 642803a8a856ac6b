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

/** Starts forwarding; a watcher that cannot start is a warning, never a failed boot. */
export async function startMountInotify(
  paths: InstancePaths,
  configured: WatchedMount[],
  io: { log(m: string): void; warn(m: string): void },
): Promise<MountInotify> {
  // The watcher reports real paths: map from the locations' real paths.
  const mounts = configured.map((m) => {
    try {
      return { ...m, location: realpathSync(m.location) };
    } catch {
      return m;
    }
  });
  const limits = INOTIFY_LIMITS;
  const queue = new ChangeQueue(limits);
  const echo = new EchoFilter(limits.maxRemembered);
  const stats: InotifyStats = { watching: [], forwarded: 0, batches: 0, dropped: 0, restarts: 0, errors: [], limits };
  const save = () => writeFileAtomic(inotifyStatsPath(paths), `${JSON.stringify(stats)}\n`);
  const subs: Subscription[] = [];
  let watcher: typeof import("@parcel/watcher");
  try {
    watcher = await import("@parcel/watcher");
  } catch (e) {
    io.warn(`mountInotify: the file watcher (@parcel/watcher) cannot be loaded: ${(e as Error).message}; host changes are not forwarded`);
    return { stop: () => Promise.resolve() };
  }
  for (const m of mounts) {
    try {
      subs.push(
        await watcher.subscribe(m.location, (err, events) => {
          if (err) {
            if (stats.errors.length < 5) stats.errors.push(`${m.location}: ${err.message}`);
            return;
          }
          queue.add(events.map((e) => e.path).filter((p) => !isOwnLink(p)));
        }),
      );
      stats.watching.push(m.location);
    } catch (e) {
      stats.errors.push(`${m.location}: ${(e as Error).message}`);
      io.warn(`mountInotify: cannot watch ${m.location}: ${(e as Error).message}`);
    }
  }
  save();

  // One long-lived guest session reads the paths on its stdin (one ssh + sudo per session, not per
  // batch: under TCG each costs about a second). A full pipe holds the next batches back, so they
  // coalesce and the cap applies; a session that ended is started again, at most once a second.
  let session: ChildProcess | undefined;
  let startedAt = 0;
  let waitingForDrain = false;
  let stopped = false;
  const argv = sshArgv(paths, { tty: false, command: shScript(touchScript(mounts.map((m) => m.mountPoint), limits)), login: false });
  const open = (): ChildProcess | undefined => {
    if (session && session.exitCode === null && session.signalCode === null) return session;
    if (Date.now() - startedAt < 1000) return undefined;
    if (session) {
      stats.restarts++;
      io.log(`mountInotify: the guest session ended (${session.exitCode ?? session.signalCode}): ${stderr.trim().split("\n").pop() ?? ""}; starting it again`);
    }
    startedAt = Date.now();
    stderr = "";
    const c = startChild("ssh", argv, { stdio: ["pipe", "pipe", "pipe"] });
    const split = new LineSplitter(4096); // a status line is ~250 bytes; the guest's output is hostile
    c.stdout?.on("data", (b: Buffer) => {
      const last = split.push(b.toString("utf8")).map(parseGuestStatus).filter((g) => g !== undefined).pop();
      if (last) {
        stats.guest = last;
        save();
      }
    });
    c.stdin?.on("error", () => undefined);
    c.stdin?.on("drain", () => (waitingForDrain = false));
    c.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString("utf8")).slice(-1000)));
    c.once("error", () => undefined);
    session = c;
    waitingForDrain = false;
    return c;
  };
  let stderr = "";
  const tick = () => {
    if (stopped || waitingForDrain) return;
    const { paths: changed, dropped } = queue.take();
    if (dropped > 0) {
      stats.dropped += dropped;
      stats.lastDropAt = new Date().toISOString();
      io.log(`mountInotify: ${dropped} changes dropped (more than ${limits.maxPending} waiting)`);
    }
    const entries: string[] = [];
    const targets: string[] = [];
    for (const p of changed) {
      // A path that is gone: its directory changed instead (the guest sees an event on it).
      let target = p;
      let state = hostState(p);
      if (!state) {
        echo.forget(p);
        target = dirname(p);
        state = hostState(target);
      }
      if (!state || !echo.changed(target, state)) continue;
      const guestPath = guestPathFor(mounts, target);
      if (guestPath === undefined) continue;
      entries.push(guestPath);
      targets.push(target);
    }
    if (entries.length > 0) {
      const c = open();
      if (!c?.stdin) {
        for (const t of targets) echo.forget(t);
        queue.add(changed); // the session is being restarted: try again on a later tick
        return;
      }
      waitingForDrain = !c.stdin.write(touchInput(entries));
      stats.batches++;
      stats.forwarded += entries.length;
    }
    if (entries.length > 0 || dropped > 0) save();
  };
  // Opened now: its ssh and sudo cost seconds under TCG, which the first change should not wait for.
  if (stats.watching.length > 0) open();
  const timer = setInterval(tick, limits.intervalMs);
  io.log(`mountInotify: watching ${stats.watching.join(", ") || "nothing"}`);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled(subs.map((s) => s.unsubscribe()));
      const c = session;
      if (c && c.exitCode === null && c.signalCode === null) {
        c.stdin?.end();
        const killer = setTimeout(() => c.kill("SIGKILL"), 3000);
        c.kill("SIGTERM");
        await exitOf(c);
        clearTimeout(killer);
      }
      rmSync(inotifyStatsPath(paths), { force: true });
    },
  };
}
