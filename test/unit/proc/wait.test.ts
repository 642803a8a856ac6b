import { test } from "node:test";
import assert from "node:assert/strict";
import { Deadline, poll, retry } from "../../../src/proc/wait.js";
import { TslimaError } from "../../../src/errors.js";

test("poll returns the first value and counts attempts", async () => {
  const seen: number[] = [];
  const v = await poll((_d, n) => (seen.push(n), n === 3 ? "done" : undefined), { timeoutMs: 5000, intervalMs: 10 });
  assert.equal(v, "done");
  assert.deepEqual(seen, [1, 2, 3]);
});

test("poll gives up at the deadline, with a last attempt there", async () => {
  const started = Date.now();
  let attempts = 0;
  const v = await poll(() => void attempts++, { timeoutMs: 300, intervalMs: 200 });
  assert.equal(v, undefined);
  assert.equal(attempts, 3); // at 0, 200 and 300 ms
  assert.ok(Date.now() - started >= 300);
});

test("an abort ends the pause at once and throws INTERRUPTED", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const started = Date.now();
  await assert.rejects(poll(() => undefined, { timeoutMs: 60_000, intervalMs: 30_000, signal: ac.signal }), (e: unknown) => e instanceof TslimaError && e.code === "ERR_TSLIMA_INTERRUPTED");
  assert.ok(Date.now() - started < 5000);
});

test("beforeAttempt can end the wait", async () => {
  const stop = new TslimaError("QEMU_EXITED", "qemu exited");
  await assert.rejects(poll(() => undefined, { timeoutMs: 60_000, intervalMs: 10, beforeAttempt: () => { throw stop; } }), stop);
});

test("retry returns once fn succeeds, and throws fn's last error after the deadline", async () => {
  let n = 0;
  assert.equal(await retry(() => (++n < 3 ? Promise.reject(new Error(`fail ${n}`)) : Promise.resolve("ok")), { timeoutMs: 5000, intervalMs: 10 }), "ok");
  await assert.rejects(retry((_d, k) => Promise.reject(new Error(`fail ${k}`)), { timeoutMs: 0, intervalMs: 10 }), /fail 1/);
});

test("a deadline of Infinity never expires", () => {
  const d = new Deadline(Infinity);
  assert.equal(d.expired(), false);
  assert.equal(d.remaining(), Infinity);
});
