import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { acquireLock, tryLock } from "../../../src/store/lock.js";

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), "tslima-lock-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test("the lock is exclusive and holds the owner's pid", (t) => {
  const path = join(tmp(t), "lock");
  const a = tryLock(path, process.pid);
  assert.ok("release" in a);
  assert.equal(readFileSync(path, "utf8").trim(), String(process.pid));
  const other = process.ppid; // a live process that is not us
  const b = tryLock(path, other);
  assert.deepEqual(b, { heldBy: process.pid });
  a.release();
  assert.ok(!existsSync(path));
});

test("a lock left by a dead process is taken over", (t) => {
  const path = join(tmp(t), "lock");
  const dead = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
  writeFileSync(path, `${dead}\n`);
  const l = tryLock(path, process.pid);
  assert.ok("release" in l);
  assert.equal(readFileSync(path, "utf8").trim(), String(process.pid));
  l.release();
});

test("acquireLock waits for the holder, then fails with a clear error at the timeout", async (t) => {
  const path = join(tmp(t), "lock");
  writeFileSync(path, `${process.ppid}\n`);
  let waitedFor: number | undefined;
  await assert.rejects(
    acquireLock(path, { timeoutMs: 300, pollMs: 50, onWait: (p) => (waitedFor = p) }),
    (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_LOCKED" && /pid/.test(e.message),
  );
  assert.equal(waitedFor, process.ppid);
  setTimeout(() => rmSync(path, { force: true }), 100);
  const l = await acquireLock(path, { timeoutMs: 5000, pollMs: 50 });
  l.release();
});
