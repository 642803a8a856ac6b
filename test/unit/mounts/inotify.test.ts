import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, chmodSync, statSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChangeQueue, EchoFilter, TOUCH_SCRIPT, guestPathFor, inotifySummary, touchInput, watchedMounts, type InotifyStats } from "../../../src/mounts/inotify.js";
import type { PlannedMount } from "../../../src/mounts/types.js";

const mounts = [
  { location: "/home/u", mountPoint: "/home/u" },
  { location: "/home/u/src/", mountPoint: "/mnt/src" },
  { location: "/", mountPoint: "/host" },
];

test("guestPathFor: the longest location that contains the path wins; trailing slashes do not matter", () => {
  assert.equal(guestPathFor(mounts, "/home/u/a.txt"), "/home/u/a.txt");
  assert.equal(guestPathFor(mounts, "/home/u/src/x/y.ts"), "/mnt/src/x/y.ts");
  assert.equal(guestPathFor(mounts, "/home/u/src"), "/mnt/src");
  assert.equal(guestPathFor(mounts, "/home/u/srcfoo/z"), "/home/u/srcfoo/z");
  assert.equal(guestPathFor(mounts, "/etc/passwd"), "/host/etc/passwd");
  assert.equal(guestPathFor([{ location: "/a", mountPoint: "/b" }], "/ab/c"), undefined);
  assert.equal(guestPathFor(mounts, "/home/u/new\nline"), undefined);
});

test("watchedMounts: only the writable mounts", () => {
  const pm = (location: string, writable: boolean) => ({ mount: { location, mountPoint: `/m${location}`, writable } }) as unknown as PlannedMount;
  assert.deepEqual(watchedMounts([pm("/a", true), pm("/b", false)]), [{ location: "/a", mountPoint: "/m/a" }]);
});

test("ChangeQueue: coalesces repeats, hands out at most maxBatch per take, drops and counts above maxPending", () => {
  const q = new ChangeQueue({ maxBatch: 3, maxPending: 5 });
  q.add(["a", "b", "a", "a", "c"]);
  assert.equal(q.size, 3);
  const files = Array.from({ length: 10 }, (_, i) => `f${i}`);
  q.add(files); // a b c + f0 f1, then 8 dropped
  assert.equal(q.size, 5);
  assert.deepEqual(q.take(), { paths: ["a", "b", "c"], dropped: 8 });
  assert.deepEqual(q.take(), { paths: ["f0", "f1"], dropped: 0 });
  assert.deepEqual(q.take(), { paths: [], dropped: 0 });
  q.add(["a"]);
  assert.deepEqual(q.take(), { paths: ["a"], dropped: 0 });
});

test("a git-checkout-sized burst: every batch is capped, what is over the cap is counted, nothing is lost below it", () => {
  const q = new ChangeQueue({ maxBatch: 256, maxPending: 4096 });
  const burst = Array.from({ length: 20_000 }, (_, i) => `/src/f${i % 10_000}`); // each file twice
  q.add(burst);
  let sent = 0;
  let dropped = 0;
  for (;;) {
    const b = q.take();
    dropped += b.dropped;
    if (b.paths.length === 0) break;
    assert.ok(b.paths.length <= 256);
    sent += b.paths.length;
  }
  assert.equal(sent, 4096);
  assert.equal(dropped, 20_000 - 2 * 4096); // every event over the cap counts, repeats too
});

test("EchoFilter: a path is forwarded when its mtime or size changed, not again for the same state (the guest's own touch)", () => {
  const f = new EchoFilter(2);
  assert.equal(f.changed("/a", { mtimeNs: 1n, size: 1, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 1n, size: 1, mode: 0o644 }), false);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 1, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o755 }), true, "a host chmod is a change");
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  f.forget("/a");
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  // bounded: the oldest path is forgotten
  f.changed("/b", { mtimeNs: 1n, size: 1, mode: 0o644 });
  f.changed("/c", { mtimeNs: 1n, size: 1, mode: 0o644 });
  assert.equal(f.changed("/a", { mtimeNs: 2n, size: 3, mode: 0o644 }), true);
  assert.equal(f.changed("/c", { mtimeNs: 1n, size: 1, mode: 0o644 }), false);
});

test("TOUCH_SCRIPT chmods each existing path to its own mode (odd names too), changes no mtime, creates nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-touch-"));
  try {
    const odd = join(dir, "sp ace 'q' \"dq\" ü\tx");
    const plain = join(dir, "plain");
    writeFileSync(odd, "1");
    writeFileSync(plain, "2");
    chmodSync(plain, 0o751);
    const before = [odd, plain].map((p) => statSync(p, { bigint: true }));
    const r = spawnSync("sh", ["-c", TOUCH_SCRIPT], { input: touchInput([odd, join(dir, "gone"), plain]), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    [odd, plain].forEach((p, i) => {
      const st = statSync(p, { bigint: true });
      assert.equal(st.mode, before[i]?.mode);
      assert.equal(st.mtimeNs, before[i]?.mtimeNs);
      assert.ok(st.ctimeNs >= (before[i]?.ctimeNs ?? 0n), "a setattr happened");
    });
    assert.throws(() => statSync(join(dir, "gone")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("inotifySummary: off, on but not running, counts and drops", () => {
  assert.match(inotifySummary(false, undefined), /^inotify forwarding: off/);
  assert.match(inotifySummary(true, undefined), /not running/);
  const stats: InotifyStats = {
    watching: ["/a", "/b"], forwarded: 10, batches: 2, dropped: 0, restarts: 0, errors: [],
    limits: { intervalMs: 100, maxBatch: 256, maxPending: 4096, maxRemembered: 1 },
  };
  assert.equal(inotifySummary(true, stats), "inotify forwarding: on for 2 writable mounts, 10 changes in 2 batches, none dropped");
  assert.match(inotifySummary(true, { ...stats, dropped: 7, lastDropAt: "T" }), /dropped 7 changes over the cap of 4096 waiting \(last at T\)/);
});
