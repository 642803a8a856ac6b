/**
 * Watching instances (Lima's `limactl watch`): the home directory for instances that appear or go
 * (fs.watch, and a rescan every second for what it misses), and each instance's running host agent
 * through its control socket ha.sock (an `events` subscription, instance/agent-request.ts), again
 * whenever the instance starts later. Every event goes to `onEvent` as a WatchEvent
 * (watch-event.ts): only what happens after the watch began, unless `history` (then what the agent
 * still holds, or for an instance that is not running the event log of its last run).
 */
import { existsSync, watch as fsWatch, type FSWatcher } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { readEvents } from "../store/follow.js";
import { instancePaths, tslimaHome, type InstancePaths } from "../store/paths.js";
import { readPidFile } from "../store/pidfile.js";
import { inspectStatus } from "../store/status.js";
import { isAlive } from "../proc/pid.js";
import { subscribeAgentEvents, type AgentEvents } from "./agent-request.js";
import { listInstanceNames } from "./lookup.js";
import { instanceNameProblem } from "./names.js";
import { lifecycleEvent, shown, watchEventOf, type LifecycleKind, type WatchEvent } from "./watch-event.js";

export interface WatchOptions {
  /** TSLIMA_HOME by default. */
  home?: string;
  /** Only these instances (they need not exist yet); every instance, also those created later, when empty. */
  instances?: string[];
  /** Also the events from before the watch began. */
  history?: boolean;
  /** Also boot steps, progress and messages. */
  verbose?: boolean;
  onEvent: (e: WatchEvent) => void;
  /** How often the home is scanned besides fs.watch (ms, default 1000). */
  rescanMs?: number;
}

/** How long an ended agent's process may take to go before "stopped" is told anyway. */
const AGENT_EXIT_MS = 10_000;

interface Tracked {
  paths: InstancePaths;
  dirWatch?: FSWatcher;
  agent?: AgentEvents;
  /** A subscription is being made, or an ended agent's exit waited for. */
  busy: boolean;
  /** Replay the event log when no agent answers (history, instances there when the watch began). */
  replay: boolean;
}

/** A running watch; `close` (or `await using`) ends it. */
export class InstanceWatcher implements AsyncDisposable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly begin = Date.now();
  private homeWatch: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private scheduled: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly home: string,
    private readonly o: WatchOptions,
  ) {
    this.scan(true);
    this.timer = setInterval(() => this.scan(false), o.rescanMs ?? 1000);
  }

  /** The instances watched now. */
  get instances(): string[] {
    return [...this.tracked.keys()].sort();
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.scheduled);
    this.homeWatch?.close();
    for (const t of this.tracked.values()) this.untrack(t);
    this.tracked.clear();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private emit(w: WatchEvent): void {
    if (!this.closed && shown(w.event.kind, this.o.verbose === true)) this.o.onEvent(w);
  }

  private lifecycle(t: Tracked, kind: LifecycleKind, withStatus: boolean): void {
    this.emit(lifecycleEvent(t.paths.name, kind, new Date(), withStatus ? inspectStatus(t.paths).status : undefined));
  }

  /** A scan soon (fs.watch fires several times for one change). */
  private schedule(): void {
    if (this.closed || this.scheduled !== undefined) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.scan(false);
    }, 50);
  }

  private present(): Set<string> {
    const wanted = this.o.instances ?? [];
    if (wanted.length === 0) return new Set(listInstanceNames(this.home));
    return new Set(wanted.filter((n) => existsSync(instancePaths(this.home, n).limaYaml)));
  }

  private scan(initial: boolean): void {
    if (this.closed) return;
    this.homeWatch ??= watchDir(this.home, () => this.schedule());
    const present = this.present();
    for (const name of present) if (!this.tracked.has(name)) this.track(name, initial);
    for (const [name, t] of this.tracked) {
      if (present.has(name)) continue;
      this.untrack(t);
      this.tracked.delete(name);
      this.lifecycle(t, "deleted", false);
    }
    for (const t of this.tracked.values()) this.connect(t);
  }

  private track(name: string, initial: boolean): void {
    const t: Tracked = { paths: instancePaths(this.home, name), busy: false, replay: initial && this.o.history === true };
    // ha.sock appearing: the instance started (not the logs and serial console written all the time)
    t.dirWatch = watchDir(t.paths.dir, (file) => (file === null || file === "ha.sock" || file === "lima.yaml" ? this.schedule() : undefined));
    this.tracked.set(name, t);
    if (!initial) this.lifecycle(t, "created", true);
  }

  private untrack(t: Tracked): void {
    t.dirWatch?.close();
    t.agent?.close();
    t.agent = undefined;
  }

  /** Subscribes to the instance's agent when one runs; replays its log (once) when none answers. */
  private connect(t: Tracked): void {
    if (this.closed || t.agent !== undefined || t.busy) return;
    if (!existsSync(t.paths.haSock)) return this.replayLog(t);
    t.busy = true;
    const agentPid = readPidFile(t.paths.haPid);
    subscribeAgentEvents(t.paths, { since: 0, timeoutMs: 5000, onEvent: (e, seq) => this.agentEvent(t, e, seq) }).then(
      (sub) => {
        t.busy = false;
        t.replay = false;
        if (this.closed || this.tracked.get(t.paths.name) !== t) return sub.close();
        t.agent = sub;
        void sub.closed.then(() => this.agentEnded(t, sub, agentPid));
      },
      () => {
        t.busy = false;
        this.replayLog(t);
      },
    );
  }

  private agentEvent(t: Tracked, e: AgentEvent, seq: number): void {
    if (this.o.history !== true && Date.parse(e.time) < this.begin) return;
    // the agent's first event: it has just started
    if (seq === 1) this.emit(lifecycleEvent(t.paths.name, "starting", new Date(e.time)));
    this.emit(watchEventOf(t.paths.name, e));
  }

  /** The agent closed the connection: once its process is gone, "stopped" with what it left; then watch for the next start. */
  private async agentEnded(t: Tracked, sub: AgentEvents, agentPid: number | undefined): Promise<void> {
    if (t.agent !== sub) return;
    t.agent = undefined;
    if (this.closed) return;
    t.busy = true;
    const until = Date.now() + AGENT_EXIT_MS;
    while (agentPid !== undefined && isAlive(agentPid) && Date.now() < until && !this.closed) await sleep(100);
    t.busy = false;
    if (this.closed || this.tracked.get(t.paths.name) !== t) return;
    const status = inspectStatus(t.paths).status;
    // a new agent may already run (a quick restart): this one has stopped all the same
    this.emit(lifecycleEvent(t.paths.name, "stopped", new Date(), status === "Running" ? "Stopped" : status));
    this.connect(t);
  }

  private replayLog(t: Tracked): void {
    if (!t.replay) return;
    t.replay = false;
    for (const e of readEvents(t.paths.haStdoutLog)) this.emit(watchEventOf(t.paths.name, e));
  }
}

/** fs.watch on a directory, or undefined when it cannot be watched (it does not exist yet: the rescan covers it). */
function watchDir(dir: string, onChange: (file: string | null) => void): FSWatcher | undefined {
  try {
    const w = fsWatch(dir, { persistent: false }, (_, file) => onChange(file));
    w.on("error", () => w.close());
    return w;
  } catch {
    return undefined;
  }
}

/**
 * Watches instances until closed: `onEvent` gets each instance's events as they happen (see
 * WatchOptions). An invalid instance name is an INVALID_NAME error; a valid one that does not exist
 * yet is watched for.
 */
export function watchInstances(o: WatchOptions): InstanceWatcher {
  for (const name of o.instances ?? []) {
    const problem = instanceNameProblem(name);
    if (problem !== undefined) throw new TslimaError("INVALID_NAME", `cannot watch ${JSON.stringify(name)}: ${problem}`, { hint: "name existing instances (tslima list shows them), or none to watch them all" });
  }
  return new InstanceWatcher(o.home ?? tslimaHome(), o);
}
