// The pure mapping of host agent events to `watch` lines (src/instance/watch-event.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatWatchJson, formatWatchText, lifecycleEvent, localDateTime, portForwardOf, shown, watchEventOf } from "../../../src/instance/watch-event.js";
import type { AgentEvent, AgentEventBody, AgentStatus } from "../../../src/store/events.js";

const TIME = "2026-01-02T03:04:05.000Z";
const ev = (e: { status: AgentStatus } & AgentEventBody): AgentEvent => ({ time: TIME, ...e });

test("ready: Running, Lima's status fields, the ssh port in the message", () => {
  const w = watchEventOf("dev", ev({ kind: "ready", message: "READY", status: { running: true, ready: true, sshLocalPort: 60022 } }));
  assert.deepEqual(w, {
    instance: "dev",
    instanceStatus: "Running",
    event: { time: TIME, status: { running: true, sshLocalPort: 60022 }, kind: "ready", message: "running, ssh on port 60022" },
  });
  const resumed = watchEventOf("dev", ev({ kind: "ready", message: "READY", resumed: true, status: { running: true, degraded: true } }));
  assert.equal(resumed.event.message, "running (resumed) (degraded)");
  assert.deepEqual(resumed.event.status, { running: true, degraded: true });
});

test("port forwards: Lima's portForward (forwarding, stopping, failed) with tcp, udp and unix", () => {
  const pf = (portForward: Record<string, unknown>) => watchEventOf("dev", ev({ kind: "port-forward", portForward, status: { running: true } } as never));
  const added = pf({ action: "added", guest: "127.0.0.1:8080", host: "127.0.0.1:18080", reverse: false, rule: "auto" });
  assert.deepEqual(added.event.status.portForward, { type: "forwarding", protocol: "tcp", guestAddr: "127.0.0.1:8080", hostAddr: "127.0.0.1:18080" });
  assert.equal(added.event.message, "forwarding tcp guest 127.0.0.1:8080 to 127.0.0.1:18080");
  assert.equal(added.instanceStatus, undefined);
  const removed = pf({ action: "removed", guest: "[::1]:53", host: "127.0.0.1:53", reverse: false, rule: "auto", proto: "udp" });
  assert.equal(removed.event.status.portForward?.type, "stopping");
  assert.equal(removed.event.message, "stopped forwarding udp guest [::1]:53 to 127.0.0.1:53");
  const failed = pf({ action: "failed", guest: "127.0.0.1:80", host: "127.0.0.1:80", reverse: false, rule: "rule 0", reason: "EADDRINUSE" });
  assert.deepEqual(failed.event.status.portForward, { type: "failed", protocol: "tcp", guestAddr: "127.0.0.1:80", hostAddr: "127.0.0.1:80", error: "EADDRINUSE" });
  assert.equal(failed.event.message, "failed to forward tcp guest 127.0.0.1:80: EADDRINUSE");
  const rev = portForwardOf({ action: "added", guest: "/run/host.sock", host: "/home/u/rev.sock", reverse: true, rule: "rule 1" });
  assert.deepEqual(rev, { type: "forwarding", protocol: "unix", guestAddr: "/run/host.sock", hostAddr: "/home/u/rev.sock", reverse: true });
});

test("failures, warnings, suspend and snapshot phases, exiting: their words; errors in status", () => {
  const failed = watchEventOf("vm", ev({ kind: "failed", message: "failed", error: { code: "TIMEOUT", message: "no ssh in 600s" }, status: { errors: ["no ssh in 600s"] } }));
  assert.equal(failed.event.message, "error: no ssh in 600s");
  assert.deepEqual(failed.event.status, { errors: ["no ssh in 600s"] });
  assert.equal(watchEventOf("vm", ev({ kind: "warning", warning: "TCG is slow", status: {} })).event.message, "warning: TCG is slow");
  assert.equal(watchEventOf("vm", ev({ kind: "suspend", phase: "requested", status: { running: true } })).event.message, "suspending");
  assert.equal(watchEventOf("vm", ev({ kind: "suspend", phase: "saved", stateBytes: 300 * 1024 * 1024, status: {} })).event.message, "suspended (300 MiB of state)");
  assert.equal(watchEventOf("vm", ev({ kind: "snapshot", phase: "failed", error: { code: "INTERNAL", message: "disk full" }, status: { running: true } })).event.message, "snapshot failed: disk full");
  assert.equal(watchEventOf("vm", ev({ kind: "snapshot", phase: "saved", status: { running: true } })).event.message, "snapshot saved");
  const exiting = watchEventOf("vm", ev({ kind: "exiting", message: "exiting", status: { exiting: true } }));
  assert.deepEqual([exiting.event.message, exiting.event.status], ["exiting", { exiting: true }]);
});

test("steps, progress, messages and unknown kinds are shown only with --verbose", () => {
  for (const kind of ["step", "progress", "message", "other"] as const) assert.deepEqual([shown(kind, false), shown(kind, true)], [false, true], kind);
  for (const kind of ["ready", "port-forward", "failed", "warning", "exiting", "suspend", "created", "deleted", "starting", "stopped"] as const) assert.equal(shown(kind, false), true, kind);
  assert.equal(watchEventOf("vm", ev({ kind: "step", step: "wait-ssh", message: "Waiting for SSH", status: {} })).event.message, "wait-ssh: Waiting for SSH");
  assert.equal(watchEventOf("vm", ev({ kind: "progress", progress: { done: 5, total: 10 }, status: {} })).event.message, "progress: 5/10 bytes");
  assert.equal(watchEventOf("vm", ev({ kind: "other", status: {} })).event.message, "(an event of a newer tslima)");
});

test("lifecycle events: created and stopped carry the status; a stopped instance that is not Stopped says so", () => {
  const at = new Date(TIME);
  assert.deepEqual(lifecycleEvent("a", "created", at, "Stopped"), { instance: "a", instanceStatus: "Stopped", event: { time: TIME, status: {}, kind: "created", message: "created" } });
  assert.equal(lifecycleEvent("a", "stopped", at, "Suspended").event.message, "stopped (Suspended)");
  assert.equal(lifecycleEvent("a", "stopped", at, "Stopped").event.message, "stopped");
  assert.equal(lifecycleEvent("a", "deleted", at).instanceStatus, undefined);
});

test("text: local `YYYY-MM-DD hh:mm:ss NAME | MESSAGE`, control characters escaped; json: one line", () => {
  const w = watchEventOf("dev", ev({ kind: "warning", warning: "guest said \x1b[31mred\x1b[0m\nnext", status: {} }));
  assert.equal(formatWatchText(w), `${localDateTime(new Date(TIME))} dev | warning: guest said \\x1b[31mred\\x1b[0m\\x0anext\n`);
  assert.match(localDateTime(new Date(2026, 0, 2, 3, 4, 5)), /^2026-01-02 03:04:05$/);
  const line = formatWatchJson(w);
  assert.equal(line.split("\n").length, 2);
  assert.deepEqual(JSON.parse(line), w);
});
