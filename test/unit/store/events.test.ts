import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, appendFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatEvent, outcomeOf, parseEvent, phaseDurations, splitLines, type AgentEvent } from "../../../src/store/events.js";
import { EventFollower } from "../../../src/store/follow.js";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

test("events round-trip as one JSON line", () => {
  const line = formatEvent({ status: { running: false, sshLocalPort: 60022 }, step: "wait-ssh", message: "Waiting for SSH" }, at(5));
  assert.ok(line.endsWith("\n"));
  assert.equal(line.trim().split("\n").length, 1);
  assert.deepEqual(parseEvent(line), { time: "2026-01-01T00:00:05.000Z", status: { running: false, sshLocalPort: 60022 }, step: "wait-ssh", message: "Waiting for SSH" });
  assert.equal(parseEvent("{half"), undefined);
  assert.equal(parseEvent('{"time":"x"}'), undefined);
  assert.equal(parseEvent("   "), undefined);
});

test("splitLines keeps an unterminated last line", () => {
  assert.deepEqual(splitLines("a\nb\nc"), { lines: ["a", "b"], rest: "c" });
  assert.deepEqual(splitLines("partial"), { lines: [], rest: "partial" });
});

test("outcomes: errors fail, ready succeeds, exiting ends, others continue", () => {
  const e = (status: AgentEvent["status"]): AgentEvent => ({ time: "t", status });
  assert.equal(outcomeOf(e({ errors: ["boom"] }))?.kind, "failed");
  assert.equal(outcomeOf(e({ ready: true, running: true }))?.kind, "ready");
  assert.equal(outcomeOf(e({ exiting: true }))?.kind, "exited");
  assert.equal(outcomeOf(e({ running: false })), undefined);
});

test("phase durations come from step boundaries", () => {
  const ev = (s: number, x: Partial<AgentEvent>): AgentEvent => ({ time: at(s).toISOString(), status: {}, ...x });
  const phases = phaseDurations([
    ev(0, { step: "prepare-disk" }),
    ev(2, { step: "start-qemu" }),
    ev(3, { step: "wait-ssh" }),
    ev(4, { message: "noise" }),
    ev(40, { step: "wait-cloud-init" }),
    ev(70, { status: { ready: true } }),
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
  writeFileSync(f, formatEvent({ status: {}, step: "cidata" }, at(1)));
  const line = formatEvent({ status: { ready: true } }, at(2));
  appendFileSync(f, line.slice(0, 10));
  assert.deepEqual(follower.poll().map((e) => e.step), ["cidata"]);
  appendFileSync(f, line.slice(10));
  const next = follower.poll();
  assert.equal(next.length, 1);
  assert.equal(next[0]?.status.ready, true);
  assert.deepEqual(follower.poll(), []);
});
