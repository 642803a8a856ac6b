import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Instance } from "../../../src/instance/api.js";
import { InstancePool, type PoolMember } from "../../../src/instance/pool.js";

/** A fake instance: records its disposal. */
class Fake implements PoolMember {
  disposed = false;
  constructor(readonly name: string) {}
  [Symbol.asyncDispose](): Promise<void> {
    this.disposed = true;
    return Promise.resolve();
  }
}

/**
 * A starter whose starts the test finishes by hand (ok or fail), in the order they were made. An
 * abort rejects a start in progress (as a real start does), unless `honourAbort` is false.
 */
class Starter {
  made: Fake[] = [];
  pending: { resolve: (f: Fake) => void; reject: (e: unknown) => void; signal: AbortSignal }[] = [];
  calls = 0;
  constructor(readonly honourAbort = true) {}
  readonly start = (signal: AbortSignal): Promise<Fake> =>
    new Promise<Fake>((resolve, reject) => {
      this.calls++;
      const entry = { resolve, reject, signal };
      this.pending.push(entry);
      if (this.honourAbort) {
        signal.addEventListener("abort", () => {
          this.pending = this.pending.filter((p) => p !== entry);
          reject(signal.reason as Error);
        });
      }
    });
  async ok(): Promise<Fake> {
    const p = this.pending.shift();
    assert.ok(p, "a start is in progress");
    const f = new Fake(`vm-${this.made.length + 1}`);
    this.made.push(f);
    p.resolve(f);
    await tick();
    return f;
  }
  async fail(message = "boom"): Promise<void> {
    const p = this.pending.shift();
    assert.ok(p, "a start is in progress");
    p.reject(new Error(message));
    await tick();
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Whether the promise has settled (after the pending callbacks ran). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await tick();
  return done;
}

test("ready() starts size instances one after another (concurrency 1) and resolves when all are ready", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 2 });
  const ready = pool.ready();
  assert.equal(s.calls, 1, "one start at a time");
  await s.ok();
  assert.equal(s.calls, 2, "the second starts after the first");
  assert.equal(await settled(ready), false);
  await s.ok();
  assert.equal(await settled(ready), true);
  assert.equal(pool.readyCount, 2);
  assert.equal(s.calls, 2, "no more than size");
  await pool.close();
});

test("concurrency starts several at once, never more than size", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 2, concurrency: 5 });
  void pool.ready();
  assert.equal(s.calls, 2);
  await s.ok();
  await s.ok();
  await pool.close();
});

test("acquire() hands out a ready instance at once, in order, forgets it and refills", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 2 });
  const ready = pool.ready();
  const [a, b] = [await s.ok(), await s.ok()];
  await ready;
  assert.equal(await pool.acquire(), a, "the first ready goes first");
  assert.equal(pool.readyCount, 1);
  assert.equal(pool.startingCount, 1, "a refill started");
  await s.ok();
  assert.equal(pool.readyCount, 2);
  assert.equal(await pool.acquire(), b);
  await s.ok();
  await pool.close();
  assert.equal(a.disposed, false, "acquired instances are the caller's");
  assert.equal(b.disposed, false);
  assert.deepEqual(s.made.slice(2).map((f) => f.disposed), [true, true], "the held ones are disposed");
});

test("acquire() on an empty pool waits for the next instance; waiters are served in order", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 1 });
  const first = pool.acquire();
  const second = pool.acquire();
  assert.equal(s.calls, 1, "size bounds the starts, not the waiters");
  const a = await s.ok();
  assert.equal(await first, a);
  assert.equal(await settled(second), false);
  const b = await s.ok();
  assert.equal(await second, b);
  await s.ok();
  await pool.close();
});

test("a failed start rejects the waiting calls; the next call tries again", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 1 });
  const a = assert.rejects(pool.acquire(), /no disk/);
  const r = assert.rejects(pool.ready(), /no disk/);
  await s.fail("no disk");
  await Promise.all([a, r]);
  assert.equal(pool.startingCount, 0, "no retry by itself");
  const again = pool.acquire();
  assert.equal(s.calls, 2);
  const vm = await s.ok();
  assert.equal(await again, vm);
  await s.ok();
  await pool.close();
});

test("a failed refill nobody waits for is thrown by the next call that would wait", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 1 });
  void pool.ready();
  await s.ok();
  await pool.acquire();
  await s.fail("refill broke");
  await assert.rejects(pool.acquire(), /refill broke/);
  assert.equal(s.calls, 2, "that call did not start another");
  const next = pool.acquire();
  assert.equal(s.calls, 3, "the one after does");
  await s.ok();
  await next;
  await pool.close();
});

test("after maxFailures failures in a row the pool stops refilling: POOL_FAILED for every call", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 1, maxFailures: 2 });
  await Promise.all([assert.rejects(pool.acquire(), /first/), s.fail("first")]);
  const failed = (e: Error & { code?: string; cause?: unknown }) => e.code === "ERR_TSLIMA_POOL_FAILED" && /second/.test(e.message) && (e.cause as Error).message === "second";
  const waiters = [assert.rejects(pool.acquire(), failed), assert.rejects(pool.ready(), failed)];
  await s.fail("second");
  await Promise.all(waiters);
  await assert.rejects(pool.acquire(), { code: "ERR_TSLIMA_POOL_FAILED" });
  await assert.rejects(pool.ready(), { code: "ERR_TSLIMA_POOL_FAILED" });
  assert.equal(s.calls, 2, "no busy loop");
  await pool.close();
});

test("a success resets the count of failures in a row", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 1, maxFailures: 2 });
  await Promise.all([assert.rejects(pool.acquire(), /one/), s.fail("one")]);
  const a = pool.acquire();
  await s.ok();
  await a;
  await s.fail("two");
  await assert.rejects(pool.acquire(), (e: Error & { code?: string }) => e.code === undefined && /two/.test(e.message));
  await pool.close();
});

test("closing while a start is in progress aborts it, waits for it and disposes what it made", async () => {
  const s = new Starter(false);
  const pool = new InstancePool(s.start, { size: 2 });
  const waiting = pool.acquire();
  assert.equal(s.pending[0]?.signal.aborted, false);
  const closing = pool.close();
  assert.equal(s.pending[0]?.signal.aborted, true, "the start is told to stop");
  await assert.rejects(waiting, { code: "ERR_TSLIMA_POOL_CLOSED" });
  assert.equal(await settled(closing), false, "close waits for the start");
  const late = await s.ok();
  await closing;
  assert.equal(late.disposed, true, "an instance that arrives after close is disposed");
  assert.equal(s.calls, 1, "no refill after close");
});

test("close is idempotent; later calls reject with POOL_CLOSED; the pool is AsyncDisposable", async () => {
  const s = new Starter();
  let held: Fake | undefined;
  {
    await using pool = new InstancePool(s.start, { size: 1 });
    const r = pool.ready();
    held = await s.ok();
    await r;
    await pool.close();
    await pool.close();
    await assert.rejects(pool.acquire(), (e: Error & { code?: string; hint?: string }) => e.code === "ERR_TSLIMA_POOL_CLOSED" && /Instance\.pool/.test(e.hint ?? ""));
    await assert.rejects(pool.ready(), { code: "ERR_TSLIMA_POOL_CLOSED" });
  }
  assert.equal(held.disposed, true);
  assert.equal(s.calls, 1);
});

test("an error disposing a held instance is thrown by close, after the others are disposed", async () => {
  const s = new Starter();
  const pool = new InstancePool(s.start, { size: 2 });
  const r = pool.ready();
  const a = await s.ok();
  const b = await s.ok();
  await r;
  a[Symbol.asyncDispose] = () => Promise.reject(new Error("stuck"));
  await assert.rejects(pool.close(), /stuck/);
  assert.equal(b.disposed, true);
});

test("size, concurrency and maxFailures must be integers ≥ 1", () => {
  const s = new Starter();
  for (const o of [{ size: 0 }, { size: 1.5 }, { size: 1, concurrency: 0 }, { size: 1, maxFailures: -1 }]) {
    assert.throws(() => new InstancePool(s.start, o), { code: "ERR_TSLIMA_INVALID_OPTION" }, JSON.stringify(o));
  }
  assert.equal(s.calls, 0);
});

test("Instance.pool refuses a snapshot that is not there, or a bad name, before starting anything", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-pool-"));
  try {
    assert.throws(() => Instance.pool("nosuch", { home, size: 1 }), { code: "ERR_TSLIMA_SNAPSHOT_NOT_FOUND" });
    assert.throws(() => Instance.pool("../up", { home, size: 1 }), { code: "ERR_TSLIMA_INVALID_NAME" });
    assert.deepEqual(readdirSync(home).filter((n) => !n.startsWith("_")), [], "no instance made");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
