import type { Config } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import { addForward, cancelForward } from "./forwarder.js";
import { describeForward, desiredForwards, diffForwards, endpointText, forwardKey } from "./plan.js";
import { forwardingRules, socketForwards } from "./rules.js";
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

  const active = new Map<string, Forward>();
  /** Keys that failed; not tried again while their listener stays (no warning every second). */
  const failed = new Set<string>();
  const skippedLogged = new Set<string>();
  let stopped = false;
  let stateText = "";

  const event = (action: PortForwardEvent["action"], f: Forward, reason?: string): PortForwardEvent => ({
    action,
    guest: endpointText(f.guest),
    host: endpointText(f.host),
    reverse: f.reverse,
    rule: f.rule,
    ...(f.proto ? { proto: f.proto } : {}),
    ...(reason !== undefined ? { reason } : {}),
  });
  const writeState = () => {
    const list = [...active.values()];
    const text = JSON.stringify(list);
    if (text === stateText) return;
    stateText = text;
    try {
      writePortForwardState(paths.dir, list);
    } catch (e) {
      sink.log(`port forwarding: cannot write portfwd.json: ${(e as Error).message}`);
    }
  };

  /** The running UDP relays, by forward key (a UDP forward is a relay, not an ssh request). */
  const relays = new Map<string, UdpRelay>();
  const addUdp = async (f: Forward): Promise<{ ok: true } | { ok: false; reason: string }> => {
    if (relays.has(forwardKey(f))) return { ok: true };
    const r = await startUdpRelay(paths, f, (m) => sink.log(m));
    if ("reason" in r) return { ok: false, reason: r.reason };
    relays.set(forwardKey(f), r.relay);
    return { ok: true };
  };
  const cancelUdp = async (f: Forward): Promise<{ ok: true }> => {
    const relay = relays.get(forwardKey(f));
    relays.delete(forwardKey(f));
    await relay?.stop();
    return { ok: true };
  };

  const add = async (f: Forward) => {
    const key = forwardKey(f);
    const r = f.proto === "udp" ? await addUdp(f) : await addForward(paths, f);
    if (r.ok) {
      failed.delete(key);
      const isNew = !active.has(key);
      active.set(key, f);
      if (isNew) {
        const message = `Forwarding ${describeForward(f)}`;
        sink.log(message);
        sink.emit({ kind: "port-forward", message, portForward: event("added", f) });
      }
    } else {
      failed.add(key);
      sink.log(`port forwarding: cannot forward ${describeForward(f)}: ${r.reason}`);
      sink.emit({ kind: "port-forward", warning: `cannot forward ${describeForward(f)}: ${r.reason}`, portForward: event("failed", f, r.reason) });
    }
  };
  const cancel = async (f: Forward) => {
    const r = f.proto === "udp" ? await cancelUdp(f) : await cancelForward(paths, f);
    active.delete(forwardKey(f));
    const message = `Stopped forwarding ${describeForward(f)}`;
    sink.log(r.ok ? message : `${message} (ssh: ${r.reason})`);
    sink.emit({ kind: "port-forward", message, portForward: event("removed", f) });
  };

  /** One round: bring the dynamic forwards in line with `listeners`; `reassert` re-adds every wanted one. */
  const apply = async (listeners: Listener[], reassert: boolean) => {
    if (reassert) failed.clear(); // a new ControlMaster: earlier failures may have been its predecessor's
    const desired = desiredForwards(listeners, rules);
    for (const s of desired.skipped) {
      const what = `guest ${endpointText(s.listener)}: ${s.reason}`;
      if (!skippedLogged.has(what)) sink.log(`port forwarding: not forwarding ${what}`);
      skippedLogged.add(what);
    }
    const wanted = new Set(desired.forwards.map(forwardKey));
    const staticKeys = new Set(statics.forwards.map(forwardKey));
    for (const k of failed) if (!wanted.has(k) && !staticKeys.has(k)) failed.delete(k);
    const dynamic = [...active.values()].filter((f) => f.listener !== undefined);
    const { cancel: toCancel, add: toAdd } = diffForwards(dynamic, desired.forwards);
    for (const f of toCancel) await cancel(f);
    // After a watcher restart the ControlMaster may be a new one: adding an existing forward again is harmless.
    for (const f of reassert ? [...desired.forwards, ...statics.forwards] : toAdd) if (!failed.has(forwardKey(f))) await add(f);
    writeState();
  };

  // One round at a time; snapshots that arrive meanwhile collapse into the latest one.
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (task: () => Promise<void>) => {
    chain = chain.then(() => (stopped ? undefined : task())).catch((e: unknown) => sink.log(`port forwarding: ${(e as Error).message}`));
  };
  let latest: { listeners: Listener[]; reassert: boolean } | undefined;
  const round = async () => {
    const next = latest;
    latest = undefined;
    if (next) await apply(next.listeners, next.reassert);
  };

  enqueue(async () => {
    for (const f of statics.forwards) await add(f);
    writeState();
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
    active: () => [...active.values()],
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
      const all = [...active.values()];
      active.clear();
      await Promise.all(all.map((f) => (f.proto === "udp" ? cancelUdp(f) : cancelForward(paths, f))));
      for (const f of all) sink.log(`Stopped forwarding ${describeForward(f)}`);
      removePortForwardState(paths.dir);
    },
  };
}
