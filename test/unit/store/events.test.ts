import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, appendFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEvent } from "../../../src/store/event-parse.js";
import { formatEvent, outcomeOf, phaseDurations, splitLines, type AgentEvent, type AgentEventBody, type AgentStatus, type Step } from "../../../src/store/events.js";
import { EventFollower } from "../../../src/store/follow.js";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

test("events round-trip as one JSON line", () => {
  const line = formatEvent({ status: { running: false, sshLocalPort: 60022 }, kind: "step", step: "wait-ssh", message: "Waiting for SSH" }, at(5));
  assert.ok(line.endsWith("\n"));
  assert.equal(line.trim().split("\n").length, 1);
  assert.deepEqual(parseEvent(line), { time: "2026-01-01T00:00:05.000Z", status: { running: false, sshLocalPort: 60022 }, kind: "step", step: "wait-ssh", message: "Waiting for SSH" });
  assert.equal(parseEvent("{half"), undefined);
  assert.equal(parseEvent('{"time":"x"}'), undefined);
  assert.equal(parseEvent("   "), undefined);
});

test("splitLines keeps an unterminated last line", () => {
  assert.deepEqual(splitLines("a\nb\nc"), { lines: ["a", "b"], rest: "c" });
  assert.deepEqual(splitLines("partial"), { lines: [], rest: "partial" });
});

test("outcomes: errors fail, ready succeeds, exiting ends, others continue", () => {
  const error = { code: "INTERNAL" as const, message: "boom" };
  assert.equal(outcomeOf({ time: "t", status: { errors: ["boom"] }, kind: "failed", error })?.kind, "failed");
  assert.equal(outcomeOf({ time: "t", status: { ready: true, running: true }, kind: "ready", message: "READY" })?.kind, "ready");
  assert.equal(outcomeOf({ time: "t", status: { exiting: true }, kind: "exiting", message: "exiting" })?.kind, "exited");
  assert.equal(outcomeOf({ time: "t", status: { running: false }, kind: "message", message: "x" }), undefined);
  // a port forward after READY carries the ready status: it is not the boot's outcome
  assert.equal(outcomeOf({ time: "t", status: { ready: true }, kind: "warning", warning: "w" }), undefined);
  // a kind this version does not know: its status still tells a failure or the end
  assert.equal(outcomeOf({ time: "t", status: { errors: ["boom"] }, kind: "other" })?.kind, "failed");
  assert.equal(outcomeOf({ time: "t", status: { exiting: true }, kind: "other" })?.kind, "exited");
});

test("phase durations come from step boundaries", () => {
  const ev = (s: number, x: AgentEventBody, status: AgentStatus = {}): AgentEvent => ({ time: at(s).toISOString(), status, ...x });
  const step = (step: Step): AgentEventBody => ({ kind: "step", step, message: step });
  const phases = phaseDurations([
    ev(0, step("prepare-disk")),
    ev(2, step("start-qemu")),
    ev(3, step("wait-ssh")),
    ev(4, { kind: "message", message: "noise" }),
    ev(40, step("wait-cloud-init")),
    ev(70, { kind: "ready", message: "READY" }, { ready: true }),
  ]);
  assert.deepEqual(phases, [
    { step: "prepare-disk", ms: 2000 },
    { step: "start-qemu", ms: 1000 },
    { step: "wait-ssh", ms: 37000 },
    { step: "wait-cloud-init", ms: 30000 },
    { step: "total", ms: 70000 },
  ]);
});

test("the follower returns only complete new lines", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-follow-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, "ha.stdout.log");
  const follower = new EventFollower(f);
  assert.deepEqual(follower.poll(), []);
  writeFileSync(f, formatEvent({ status: {}, kind: "step", step: "cidata", message: "Writing cidata.iso" }, at(1)));
  const line = formatEvent({ status: { ready: true }, kind: "ready", message: "READY" }, at(2));
  appendFileSync(f, line.slice(0, 10));
  assert.deepEqual(follower.poll().map((e) => (e.kind === "step" ? e.step : e.kind)), ["cidata"]);
  appendFileSync(f, line.slice(10));
  const next = follower.poll();
  assert.equal(next.length, 1);
  assert.equal(next[0]?.status.ready, true);
  assert.deepEqual(follower.poll(), []);
});

test("a line from before `kind` is read as the kind its fields meant; one of an unknown kind, or with fields that do not fit, as \"other\"", () => {
  const old = (o: object) => parseEvent(JSON.stringify({ time: "t", status: {}, ...o }));
  assert.deepEqual(old({ step: "wait-ssh", message: "Waiting for SSH" }), { time: "t", status: {}, kind: "step", step: "wait-ssh", message: "Waiting for SSH" });
  assert.deepEqual(old({ suspend: "saved", stateBytes: 5, message: "Saved" }), { time: "t", status: {}, kind: "suspend", phase: "saved", stateBytes: 5, message: "Saved" });
  assert.deepEqual(old({ snapshot: "failed", error: { code: "SUSPEND_BUSY", message: "busy" } }), { time: "t", status: {}, kind: "snapshot", phase: "failed", error: { code: "SUSPEND_BUSY", message: "busy" } });
  assert.deepEqual(old({ warning: "slow" }), { time: "t", status: {}, kind: "warning", warning: "slow" });
  assert.deepEqual(old({ progress: { done: 3, total: 9 } }), { time: "t", status: {}, kind: "progress", progress: { done: 3, total: 9 } });
  assert.deepEqual(parseEvent(JSON.stringify({ time: "t", status: { ready: true }, message: "READY", resumed: true })), { time: "t", status: { ready: true }, kind: "ready", message: "READY", resumed: true });
  assert.deepEqual(parseEvent(JSON.stringify({ time: "t", status: { exiting: true }, message: "exiting", maxRSSKiB: 7 })), { time: "t", status: { exiting: true }, kind: "exiting", message: "exiting", maxRSSKiB: 7 });
  const pf = { action: "added", guest: "127.0.0.1:80", host: "127.0.0.1:8080", reverse: false, rule: "portForwards[0]" };
  assert.deepEqual(old({ message: "Forwarding", portForward: pf }), { time: "t", status: {}, kind: "port-forward", portForward: pf, message: "Forwarding" });
  // newer or broken lines: kept with their status and message, never a crash
  assert.deepEqual(parseEvent(JSON.stringify({ time: "t", status: { running: true }, kind: "network-up", message: "net0" })), { time: "t", status: { running: true }, kind: "other", message: "net0" });
  assert.deepEqual(old({ kind: "step", step: "no-such-step" }), { time: "t", status: {}, kind: "other" });
  assert.deepEqual(old({ kind: "suspend", phase: 3 }), { time: "t", status: {}, kind: "other" });
  assert.deepEqual(parseEvent(JSON.stringify({ time: "t", status: { errors: "not a list", ready: "yes" }, kind: "message", message: "m" })), { time: "t", status: {}, kind: "message", message: "m" });
  assert.equal(parseEvent("[1,2]"), undefined);
  assert.equal(parseEvent("null"), undefined);
});
