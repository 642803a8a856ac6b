import { test } from "node:test";
import assert from "node:assert/strict";
import { mountMatches, mountPlan, parseProcMounts } from "../../../src/mounts/index.js";
import { testConfig, testMount, testPaths } from "./testconfig.js";

// /proc/mounts lines as Linux 6.1 prints them (cache mode without "cache=", msize only when not default)
const PROC = [
  "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
  "lima-aaaa /mnt/ro 9p ro,relatime,fscache,access=client,trans=virtio 0 0",
  "lima-bbbb /mnt/my\\040dir 9p rw,relatime,mmap,access=client,msize=512000,trans=virtio 0 0",
  "lima-cccc /mnt/u 9p rw,relatime,loose,access=user,version=9p2000.u,trans=virtio 0 0",
  "lima-dddd /mnt/legacy 9p rw,relatime,noextend,trans=virtio 0 0",
  "lima-eeee /mnt/vfs virtiofs rw,relatime 0 0",
].join("\n");

function planFor(m: ReturnType<typeof testMount>) {
  const p = mountPlan(testConfig({ mounts: [m] }), testPaths, { memoryBytes: 1 }).mounts[0];
  assert.ok(p);
  return p;
}

test("parseProcMounts decodes octal escapes", () => {
  assert.equal(parseProcMounts(PROC)[2]?.mountPoint, "/mnt/my dir");
});

test("mountMatches accepts what the kernel shows for the planned options", () => {
  assert.equal(mountMatches(planFor(testMount("/h", { mountPoint: "/mnt/ro" })).expect, PROC).ok, true);
  const rw = testMount("/h", { mountPoint: "/mnt/my dir", writable: true });
  rw["9p"].msize = "1MiB"; // capped to 512000 by virtio
  assert.equal(mountMatches(planFor(rw).expect, PROC).ok, true);
  const u = testMount("/h", { mountPoint: "/mnt/u", writable: true, cache: "loose" });
  u["9p"].protocolVersion = "9p2000.u";
  assert.equal(mountMatches(planFor(u).expect, PROC).ok, true);
  // newer kernels print cache=<hex>
  assert.equal(mountMatches(planFor(testMount("/h", { mountPoint: "/x" })).expect, "t /x 9p ro,cache=8f,access=client,trans=virtio 0 0").ok, true);
});

test("mountMatches rejects a missing mount, wrong type, wrong access or cache, and says why", () => {
  const missing = mountMatches(planFor(testMount("/h", { mountPoint: "/nope" })).expect, PROC);
  assert.deepEqual(missing, { ok: false, reason: "/nope is not mounted" });
  const wrongRw = mountMatches(planFor(testMount("/h", { mountPoint: "/mnt/ro", writable: true })).expect, PROC);
  assert.equal(wrongRw.ok, false);
  assert.match(wrongRw.ok ? "" : wrongRw.reason, /expected rw and mmap/);
  const wrongType = mountMatches(planFor(testMount("/h", { mountPoint: "/mnt/vfs", writable: true })).expect, PROC);
  assert.match(wrongType.ok ? "" : wrongType.reason, /is virtiofs, expected 9p/);
  const noneCache = testMount("/h", { mountPoint: "/mnt/my dir", writable: true, cache: "none" });
  noneCache["9p"].msize = "512000";
  const r = mountMatches(planFor(noneCache).expect, PROC);
  assert.match(r.ok ? "" : r.reason, /!mmap/);
  const wrongVersion = testMount("/h", { mountPoint: "/mnt/legacy", writable: true, cache: "none" });
  assert.equal(mountMatches(planFor(wrongVersion).expect, PROC).ok, false);
});
