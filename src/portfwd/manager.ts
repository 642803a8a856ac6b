import type { Config } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import { addForward, cancelForward } from "./forwarder.js";
import { describeForward, desiredForwards, diffForwards, endpointText, forwardKey } from "./plan.js";
import { forwardingRules, socketForwards, type Rule } from "./rules.js";
import { removePortForwardState, writePortForwardState } from "./statefile.js";
import type { Forward, Listener, PortForwardEvent, PortForwardSink } from "./types.js";
import { watchGuestListeners } from "./watcher.js";
import { startUdpRelay, type UdpRelay } from "./udp.js";

export interface PortForwardingOptions {
  /** The host port of the instance's ssh (never forwarded from the guest). */
  sshLocalPort?: number;
  /** Seconds between two looks at the guest's listeners (default 1). */
  intervalSec?: number;
}

export interface PortForwarding {
  /** The forwards active now. */
  active(): Forward[];
  /** Resolves once the forwards of the current guest listeners (and the static ones) are set up. */
  settled(): Promise<void>;
  /** Stops watching, cancels every forward, removes host socket files and portfwd.json. */
  stop(): Promise<void>;
}

/** A forward's change as the event log reports it. */
function forwardEvent(action: PortForwardEvent["action"], f: Forward, reason?: string): PortForwardEvent {
  return {
    action,
    guest: endpointText(f.guest),
    host: endpointText(f.host),
    reverse: f.reverse,
    rule: f.rule,
    ...(f.proto ? { proto: f.proto } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/**
 * The forwards of one instance as they are: the active ones (ssh forwards and UDP relays), the ones
 * that failed, and `<instance>/portfwd.json`. Each change is logged and reported as an event.
 */
class Forwards {
  readonly active = new Map<string, Forward>();
  /** Keys that failed; not tried again while their listener stays (no warning every second). */
  private readonly failed = new Set<string>();
  private readonly skippedLogged = new Set<string>();
  /** The running UDP relays, by forward key (a UDP forward is a relay, not an ssh request). */
  private readonly relays = new Map<string, UdpRelay>();
  private stateText = "";

  constructor(
    private readonly paths: InstancePaths,
    private readonly sink: PortForwardSink,
    private readonly rules: Rule[],
    readonly statics: Forward[],
  ) {}

  writeState(): void {
    const list = [...this.active.values()];
    const text = JSON.stringify(list);
    if (text === this.stateText) return;
    this.stateText = text;
    try {
      writePortForwardState(this.paths.dir, list);
    } catch (e) {
      this.sink.log(`port forwarding: cannot write portfwd.json: ${(e as Error).message}`);
    }
  }

  private async addUdp(f: Forward): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.relays.has(forwardKey(f))) return { ok: true };
    const r = await startUdpRelay(this.paths, f, (m) => this.sink.log(m));
    if ("reason" in r) return { ok: false, reason: r.reason };
    this.relays.set(forwardKey(f), r.relay);
    return { ok: true };
  }

  private async cancelUdp(f: Forward): Promise<{ ok: true }> {
    const relay = this.relays.get(forwardKey(f));
    this.relays.delete(forwardKey(f));
    await relay?.stop();
    return { ok: true };
  }

  async add(f: Forward): Promise<void> {
    const key = forwardKey(f);
    const r = f.proto === "udp" ? await this.addUdp(f) : await addForward(this.paths, f);
    if (r.ok) {
      this.failed.delete(key);
      const isNew = !this.active.has(key);
      this.active.set(key, f);
      if (isNew) {
        const message = `Forwarding ${describeForward(f)}`;
        this.sink.log(message);
        this.sink.emit({ kind: "port-forward", message, portForward: forwardEvent("added", f) });
      }
    } else {
      this.failed.add(key);
      this.sink.log(`port forwarding: cannot forward ${describeForward(f)}: ${r.reason}`);
      this.sink.emit({ kind: "port-forward", warning: `cannot forward ${describeForward(f)}: ${r.reason}`, portForward: forwardEvent("failed", f, r.reason) });
    }
  }

  async cancel(f: Forward): Promise<void> {
    const r = f.proto === "udp" ? await this.cancelUdp(f) : await cancelForward(this.paths, f);
    this.active.delete(forwardKey(f));
    const message = `Stopped forwarding ${describeForward(f)}`;
    this.sink.log(r.ok ? message : `${message} (ssh: ${r.reason})`);
    this.sink.emit({ kind: "port-forward", message, portForward: forwardEvent("removed", f) });
  }

  /** One round: bring the dynamic forwards in line with `listeners`; `reassert` re-adds every wanted one. */
  async apply(listeners: Listener[], reassert: boolean): Promise<void> {
    if (reassert) this.failed.clear(); // a new ControlMaster: earlier failures may have been its predecessor's
    const desired = desiredForwards(listeners, this.rules);
    for (const s of desired.skipped) {
      const what = `guest ${endpointText(s.listener)}: ${s.reason}`;
      if (!this.skippedLogged.has(what)) this.sink.log(`port forwarding: not forwarding ${what}`);
      this.skippedLogged.add(what);
    }
    const wanted = new Set(desired.forwards.map(forwardKey));
    const staticKeys = new Set(this.statics.map(forwardKey));
    for (const k of this.failed) if (!wanted.has(k) && !staticKeys.has(k)) this.failed.delete(k);
    const dynamic = [...this.active.values()].filter((f) => f.listener !== undefined);
    const { cancel: toCancel, add: toAdd } = diffForwards(dynamic, desired.forwards);
    for (const f of toCancel) await this.cancel(f);
    // After a watcher restart the ControlMaster may be a new one: adding an existing forward again is harmless.
    for (const f of reassert ? [...desired.forwards, ...this.statics] : toAdd) if (!this.failed.has(forwardKey(f))) await this.add(f);
    this.writeState();
  }

  /** Cancels every forward (quietly: the log only), removes portfwd.json. */
  async stopAll(): Promise<void> {
    const all = [...this.active.values()];
    this.active.clear();
    await Promise.all(all.map((f) => (f.proto === "udp" ? this.cancelUdp(f) : cancelForward(this.paths, f))));
    for (const f of all) this.sink.log(`Stopped forwarding ${describeForward(f)}`);
    removePortForwardState(this.paths.dir);
  }
}

/**
 * Port forwarding for a running instance, over its ssh ControlMaster: the static unix socket
 * forwards of `portForwards` right away, and TCP forwards that follow the guest's listening sockets
 * (reported by the watcher; not in `plain` mode, as in Lima). Failures are warnings; the rest keeps
 * working. Changes are reported as events (`portForward`) and in `<instance>/portfwd.json`.
 */
export function startPortForwarding(paths: InstancePaths, config: Pick<Config, "portForwards" | "plain">, sink: PortForwardSink, opts: PortForwardingOptions = {}): PortForwarding {
  const rules = forwardingRules(config.portForwards, opts.sshLocalPort);
  const statics = socketForwards(rules);
  for (const p of statics.problems) sink.emit({ kind: "warning", warning: `port forwarding: ${p}` });
  const forwards = new Forwards(paths, sink, rules, statics.forwards);
  let stopped = false;

  // One round at a time; snapshots that arrive meanwhile collapse into the latest one.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (task: () => Promise<void>) => {
    chain = chain.then(() => (stopped ? undefined : task())).catch((e: unknown) => sink.log(`port forwarding: ${(e as Error).message}`));
  };
  let latest: { listeners: Listener[]; reassert: boolean } | undefined;
  const round = async () => {
    const next = latest;
    latest = undefined;
    if (next) await forwards.apply(next.listeners, next.reassert);
  };

  enqueue(async () => {
    for (const f of statics.forwards) await forwards.add(f);
    forwards.writeState();
  });
  let snapshots = 0;
  let firstSnapshot: () => void = () => undefined;
  const firstSeen = new Promise<void>((resolve) => (firstSnapshot = resolve));
  if (config.plain) firstSnapshot();
  const watcher = config.plain ? { stop: () => Promise.resolve() } : watchGuestListeners(paths, {
    intervalSec: opts.intervalSec ?? 1,
    log: (m) => sink.log(m),
    onSnapshot: (listeners, fresh) => {
      const queued = latest !== undefined;
      latest = { listeners, reassert: (fresh && snapshots > 0) || (latest?.reassert ?? false) };
      snapshots++;
      if (!queued) enqueue(round);
      firstSnapshot();
    },
  });

  return {
    active: () => [...forwards.active.values()],
    async settled() {
      await firstSeen;
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
    async stop() {
      stopped = true;
      await watcher.stop();
      await chain;
      await forwards.stopAll();
    },
  };
}
