import { test } from "node:test";
import assert from "node:assert/strict";
import { mountPlan, mountTag } from "../../../src/mounts/index.js";
import { testConfig, testMount, testPaths } from "./testconfig.js";

const opts = { memoryBytes: 1024 ** 3 };

test("9p read-only mount with Lima defaults: -fsdev/-device, fstab, expect", () => {
  const m = testMount("/Users/me");
  const plan = mountPlan(testConfig({ mounts: [m] }), testPaths, opts);
  assert.deepEqual(plan.qemuArgs, []);
  const p = plan.mounts[0];
  assert.ok(p);
  assert.equal(p.tag, "lima-7ae38af5afeb6a7a");
  assert.deepEqual(p.qemuArgs, [
    "-fsdev",
    "local,id=fsdev0,path=/Users/me,security_model=none,readonly=on",
    "-device",
    "virtio-9p-pci,id=fs0,fsdev=fsdev0,mount_tag=lima-7ae38af5afeb6a7a",
  ]);
  assert.deepEqual(p.fstab, [
    "lima-7ae38af5afeb6a7a",
    "/Users/me",
    "9p",
    "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,nofail",
    "0",
    "0",
  ]);
  assert.deepEqual(p.daemons, []);
  assert.equal(p.createLocation, false);
  assert.equal(p.expect.fstype, "9p");
  assert.ok(p.expect.options.includes("ro"));
  assert.ok(p.expect.options.includes("?msize=131072"), "default msize may be omitted by the kernel");
});

test("9p writable mount: no readonly=on, rw, cache mmap, every security model passes through", () => {
  for (const securityModel of ["passthrough", "mapped-xattr", "mapped-file", "none"] as const) {
    const m = testMount("/tmp/lima", { writable: true });
    m["9p"].securityModel = securityModel;
    const p = mountPlan(testConfig({ mounts: [m] }), testPaths, opts).mounts[0];
    assert.ok(p);
    assert.equal(p.qemuArgs[1], `local,id=fsdev0,path=/tmp/lima,security_model=${securityModel}`);
    assert.equal(p.fstab?.[3], "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail");
    assert.equal(p.createLocation, true);
    assert.ok(p.expect.options.includes("mmap|cache=mmap|cache=5"));
  }
});

test("9p options: versions, msize sizes, cache modes map to fstab and /proc/mounts expectations", () => {
  const cases = [
    { v: "9p2000.u", msize: "4KiB", cache: "none", fs: "version=9p2000.u,msize=4096,cache=none", exp: ["version=9p2000.u", "msize=4096", "!cache"] },
    { v: "9p2000.u", msize: "512KiB", cache: "loose", fs: "version=9p2000.u,msize=524288,cache=loose", exp: ["version=9p2000.u", "msize=512000", "loose|cache=loose|cache=f"] },
    { v: "9p2000.L", msize: "1MiB", cache: "fscache", fs: "version=9p2000.L,msize=1048576,cache=fscache", exp: ["!noextend", "msize=512000", "fscache|cache=fscache|cache=8f"] },
  ] as const;
  for (const c of cases) {
    const m = testMount("/data", { writable: true });
    m["9p"] = { securityModel: "mapped-xattr", protocolVersion: c.v, msize: c.msize, cache: c.cache };
    const p = mountPlan(testConfig({ mounts: [m] }), testPaths, opts).mounts[0];
    assert.ok(p);
    assert.equal(p.fstab?.[3], `rw,trans=virtio,${c.fs},nofail`);
    for (const e of c.exp) assert.ok(p.expect.options.includes(e), `${c.v}: expected token ${e} in ${p.expect.options.join(" ")}`);
  }
});

test("9p paths with spaces, commas, quotes, tabs, newlines, backslashes and non-ASCII", () => {
  const location = "/home/zoë/My Files, \"quoted\" 'single'\tand\\back";
  const mountPoint = "/mnt/zoë dir\nline";
  const m = testMount(location, { mountPoint, writable: true });
  const p = mountPlan(testConfig({ mounts: [m] }), testPaths, opts).mounts[0];
  assert.ok(p);
  assert.equal(p.tag, mountTag(location, mountPoint));
  // QEMU option parser: a comma doubles; nothing else changes
  assert.equal(p.qemuArgs[1], `local,id=fsdev0,path=/home/zoë/My Files,, "quoted" 'single'\tand\\back,security_model=none`);
  assert.equal(p.fstab?.[1], "/mnt/zoë\\040dir\\012line");
  assert.equal(p.expect.mountPoint, mountPoint, "expect holds the real (unescaped) path");
});

test("each mount gets its own fsdev id; tags differ per mountPoint", () => {
  const mounts = [testMount("/home/alice"), testMount("/home/alice/src", { mountPoint: "/work", writable: true }), testMount("/home/alice", { mountPoint: "/home2" })];
  const plan = mountPlan(testConfig({ mounts }), testPaths, { ...opts, host: { os: "Linux", uid: 1000, home: "/home/alice" } });
  assert.deepEqual(plan.mounts.map((p) => p.mount.location), ["/home/alice", "/home/alice/src", "/home/alice"]);
  assert.deepEqual(plan.mounts.map((p) => p.fstab?.[1]), ["/home/alice", "/work", "/home2"]);
  assert.deepEqual(plan.mounts.map((p) => p.qemuArgs[3]?.split(",")[2]), ["fsdev=fsdev0", "fsdev=fsdev1", "fsdev=fsdev2"]);
  assert.equal(new Set(plan.mounts.map((p) => p.tag)).size, 3);
});

