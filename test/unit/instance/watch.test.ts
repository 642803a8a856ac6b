// The instance watcher (src/instance/watch.ts) on a temporary home, with a real ControlServer (the
// host agent's control socket) standing in for an instance's agent: instances appearing and going,
// an agent's events from its start (also those emitted before the watcher connected), its end, a
// second start, the name filter and --history from the event log.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlServer, type ControlHandlers } from "../../../src/hostagent/control.js";
import { watchInstances } from "../../../src/instance/watch.js";
import type { WatchEvent } from "../../../src/instance/watch-event.js";
import { formatEvent } from "../../../src/store/events.js";
import { instancePaths, type InstancePaths } from "../../../src/store/paths.js";

const handlers: ControlHandlers = {
  status: () => ({ status: {} }),
  suspend: () => Promise.resolve({ stateBytes: 1 }),
  snapshot: () => Promise.resolve({ stateBytes: 1 }),
};

function home(t: TestContext): string {
  const h = mkdtempSync(join(tmpdir(), "tslima-watch-"));
  t.after(() => rmSync(h, { recursive: true, force: true }));
  return h;
}

function makeInstance(h: string, name: string): InstancePaths {
  const paths = instancePaths(h, name);
  mkdirSync(paths.dir, { mode: 0o700 });
  writeFileSync(paths.limaYaml, "images: []\n");
  return paths;
}

/** Waits until `events` has one matching `pred` (at most 5 s); returns it. */
async function seen(events: WatchEvent[], pred: (e: WatchEvent) => boolean, what: string): Promise<WatchEvent> {
  for (let i = 0; i < 250; i++) {
    const e = events.find(pred);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${what} not seen; got ${JSON.stringify(events.map((e) => [e.instance, e.event.kind, e.event.message]))}`);
}

const kinds = (events: WatchEvent[], name: string) => events.filter((e) => e.instance === name).map((e) => e.event.kind);

test("an agent's events from its start, its end as stopped, a second start; instances created and deleted", async (t) => {
  const h = home(t);
  const a = makeInstance(h, "a");
  const events: WatchEvent[] = [];
  await using watcher = watchInstances({ home: h, onEvent: (e) => events.push(e), rescanMs: 100 });
  assert.deepEqual(watcher.instances, ["a"]);

  // the agent starts: its first events go out before the watcher has connected
  const agent = await ControlServer.listen(a.haSock, handlers);
  agent.publish({ kind: "step", step: "start-qemu", message: "Starting QEMU", status: {} });
  agent.publish({ kind: "port-forward", portForward: { action: "added", guest: "127.0.0.1:8080", host: "127.0.0.1:8080", reverse: false, rule: "auto" }, status: { running: true } });
  await seen(events, (e) => e.event.kind === "port-forward", "the forward");
  agent.publish({ kind: "ready", message: "READY", status: { running: true, ready: true, sshLocalPort: 60022 } });
  const ready = await seen(events, (e) => e.event.kind === "ready", "ready");
  assert.equal(ready.instanceStatus, "Running");
  agent.publish({ kind: "exiting", message: "exiting", status: { exiting: true } });
  await agent.close(0);
  const stopped = await seen(events, (e) => e.event.kind === "stopped", "stopped");
  assert.equal(stopped.instanceStatus, "Stopped");
  // the step is verbose only
  assert.deepEqual(kinds(events, "a"), ["starting", "port-forward", "ready", "exiting", "stopped"]);

  // started again
  const again = await ControlServer.listen(a.haSock, handlers);
  again.publish({ kind: "ready", message: "READY", status: { running: true, ready: true } });
  await seen(events, (e) => e.event.kind === "ready" && e !== ready, "the second ready");
  await again.close(0);
  await seen(events, (e) => e.event.kind === "stopped" && e !== stopped, "the second stop");
  assert.deepEqual(kinds(events, "a").slice(5), ["starting", "ready", "stopped"]);

  makeInstance(h, "b");
  const created = await seen(events, (e) => e.instance === "b" && e.event.kind === "created", "b created");
  assert.equal(created.instanceStatus, "Stopped");
  assert.deepEqual(watcher.instances, ["a", "b"]);
  rmSync(join(h, "b"), { recursive: true });
  await seen(events, (e) => e.instance === "b" && e.event.kind === "deleted", "b deleted");
  assert.deepEqual(watcher.instances, ["a"]);
});

test("named instances only, also one created later; verbose shows the steps; an agent running before the watch tells only what follows", async (t) => {
  const h = home(t);
  const a = makeInstance(h, "a");
  const old = await ControlServer.listen(a.haSock, handlers);
  t.after(() => old.close(0));
  old.publish({ kind: "ready", message: "READY", status: { running: true, ready: true } }, new Date(Date.now() - 60_000));
  const events: WatchEvent[] = [];
  await using watcher = watchInstances({ home: h, instances: ["c"], verbose: true, onEvent: (e) => events.push(e), rescanMs: 100 });
  assert.deepEqual(watcher.instances, []);
  const c = makeInstance(h, "c");
  makeInstance(h, "d");
  await seen(events, (e) => e.instance === "c" && e.event.kind === "created", "c created");
  const agent = await ControlServer.listen(c.haSock, handlers);
  t.after(() => agent.close(0));
  agent.publish({ kind: "step", step: "wait-ssh", message: "Waiting for SSH", status: {} });
  const step = await seen(events, (e) => e.event.kind === "step", "the step");
  assert.equal(step.event.message, "wait-ssh: Waiting for SSH");
  old.publish({ kind: "warning", warning: "not watched", status: {} });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(events.map((e) => [e.instance, e.event.kind]), [["c", "created"], ["c", "starting"], ["c", "step"]]);

  // without a filter: the running agent of a, from now on only
  const all: WatchEvent[] = [];
  await using _ = watchInstances({ home: h, onEvent: (e) => all.push(e), rescanMs: 100 });
  await new Promise((r) => setTimeout(r, 300));
  old.publish({ kind: "warning", warning: "now watched", status: {} });
  await seen(all, (e) => e.instance === "a" && e.event.kind === "warning", "a's new warning");
  assert.deepEqual(kinds(all, "a"), ["warning"]);
});

test("--history: the event log of an instance that is not running; without it nothing", async (t) => {
  const h = home(t);
  const a = makeInstance(h, "a");
  writeFileSync(
    a.haStdoutLog,
    formatEvent({ kind: "ready", message: "READY", status: { running: true, ready: true } }, new Date(Date.now() - 3600_000)) +
      formatEvent({ kind: "exiting", message: "exiting", status: { exiting: true } }, new Date(Date.now() - 60_000)),
  );
  const history: WatchEvent[] = [];
  const now: WatchEvent[] = [];
  await using _h = watchInstances({ home: h, history: true, onEvent: (e) => history.push(e), rescanMs: 100 });
  await using _n = watchInstances({ home: h, onEvent: (e) => now.push(e), rescanMs: 100 });
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(kinds(history, "a"), ["ready", "exiting"]);
  assert.deepEqual(now, []);
});

test("an invalid instance name is refused", () => {
  assert.throws(() => watchInstances({ instances: ["../x"], onEvent: () => undefined }), /INVALID_NAME|cannot watch/);
});
