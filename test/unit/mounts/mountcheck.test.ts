import { test } from "node:test";
import assert from "node:assert/strict";
import { mountPlan } from "../../../src/mounts/index.js";
import { DIAGNOSE_SCRIPT, mountProblems, parseDiagnosis } from "../../../src/hostagent/mountcheck.js";
import { testConfig, testMount, testPaths } from "./testconfig.js";

// /proc/mounts of the locally built Debian 12 guest (Linux 6.1) with tslima's 9p mounts, as captured
// by test/e2e/mounts-9p (one per security model, 9p2000.u, msize 4KiB/1MiB, cache modes, read-only,
// an odd path); the host path prefix is shortened to /srv/.
const PROC_MOUNTS = [
  "/dev/vda1 / ext4 rw,relatime 0 0",
  "lima-6502081e6d6df468 /mnt/msize-1MiB 9p rw,dirsync,relatime,mmap,access=client,msize=512000,trans=virtio 0 0",
  "lima-61ae21fa6b523540 /mnt/cache-none 9p rw,sync,dirsync,relatime,access=client,trans=virtio 0 0",
  "lima-bce76b7c07adde3d /mnt/cache-loose 9p rw,dirsync,relatime,loose,access=client,trans=virtio 0 0",
  "lima-18c60ef7532056c1 /mnt/cache-fscache 9p rw,dirsync,relatime,fscache,access=client,trans=virtio 0 0",
  "lima-a8dd35fb9406e513 /mnt/read-only 9p ro,dirsync,relatime,fscache,access=client,trans=virtio 0 0",
  "lima-3a6de6436e708645 /srv/sp\\040ace\\040'q'\\040\"dq\"\\040\u00fcn\u00ef 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-e211def210512098 /mnt/new 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-021ffcfccd5e7cba /home/tslima-e2e.guest/tilde-m9p 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-2094d767142674fb /mnt/sec-none 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-0bfb710d69b6cefe /mnt/sec-passthrough 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-0288de7b417d683d /mnt/sec-mapped-xattr 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-d5a8831c02f01195 /mnt/sec-mapped-file 9p rw,dirsync,relatime,mmap,access=client,trans=virtio 0 0",
  "lima-dcef87b1f7103acc /mnt/ver-9p2000.u 9p rw,dirsync,relatime,mmap,access=user,trans=virtio,version=9p2000.u 0 0",
  "lima-a9c6dc8e007defc0 /mnt/msize-4KiB 9p rw,dirsync,relatime,mmap,access=client,msize=4096,trans=virtio 0 0",
].join("\n");
const PROC_FS = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\t9p\nnodev\tfuse\nnodev\tvirtiofs\n";

function plan(mounts: ReturnType<typeof testMount>[]) {
  return mountPlan(testConfig({ mounts }), testPaths, { memoryBytes: 1 }).mounts;
}

test("the real guest's /proc/mounts satisfies the planned 9p mounts", () => {
  const u = testMount("/h/u", { mountPoint: "/mnt/ver-9p2000.u", writable: true });
  u["9p"].protocolVersion = "9p2000.u";
  const m4 = testMount("/h/4", { mountPoint: "/mnt/msize-4KiB", writable: true });
  m4["9p"].msize = "4KiB";
  const m1 = testMount("/h/1", { mountPoint: "/mnt/msize-1MiB", writable: true });
  m1["9p"].msize = "1MiB";
  const mounts = [
    testMount("/h/a", { mountPoint: "/mnt/sec-none", writable: true }),
    u,
    m4,
    m1,
    testMount("/h/n", { mountPoint: "/mnt/cache-none", writable: true, cache: "none" }),
    testMount("/h/l", { mountPoint: "/mnt/cache-loose", writable: true, cache: "loose" }),
    testMount("/h/f", { mountPoint: "/mnt/cache-fscache", writable: true, cache: "fscache" }),
    testMount("/h/r", { mountPoint: "/mnt/read-only" }),
    testMount(`/srv/sp ace 'q' "dq" ünï`, { writable: true }),
  ];
  assert.deepEqual(mountProblems(plan(mounts), PROC_MOUNTS, PROC_FS), []);
});

test("a mount missing from the real /proc/mounts fails naming the mount and the cause", () => {
  const missing = testMount("/h/x", { mountPoint: "/mnt/legacy", writable: true });
  const p = plan([testMount("/h/a", { mountPoint: "/mnt/sec-none", writable: true }), missing]);
  assert.deepEqual(mountProblems(p, PROC_MOUNTS, PROC_FS, { "/mnt/legacy": parseDiagnosis("mount: /mnt/legacy: mount(2) system call failed: Remote I/O error. (kernel: 9pnet: ...)") }), [
    "mount /h/x -> /mnt/legacy (9p) is not mounted: the guest's mount failed: /mnt/legacy: mount(2) system call failed: Remote I/O error. (kernel: 9pnet: ...)",
  ]);
  const noKernel = mountProblems(p, PROC_MOUNTS.replace(/^.* 9p .*$/gm, ""), "nodev\tsysfs\n\text4\n");
  assert.equal(noKernel.length, 2);
  assert.match(noKernel[0] ?? "", /^mount \/h\/a -> \/mnt\/sec-none \(9p\) is not mounted: the guest kernel has no 9p support/);
  assert.deepEqual(parseDiagnosis("nokernel\n"), { noKernelSupport: true });
});

test("a mount with the wrong access or cache in the real /proc/mounts is reported", () => {
  const p = plan([testMount("/h/r", { mountPoint: "/mnt/read-only", writable: true }), testMount("/h/l", { mountPoint: "/mnt/cache-loose", writable: true, cache: "none" })]);
  const problems = mountProblems(p, PROC_MOUNTS, PROC_FS);
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? "", /^mount \/h\/r -> \/mnt\/read-only \(9p\): .*expected rw/);
  assert.match(problems[1] ?? "", /cache-loose .*expected .*!loose/);
});

test("the guest diagnosis script is valid sh", async () => {
  const { spawnSync } = await import("node:child_process");
  assert.equal(spawnSync("sh", ["-n", "-c", DIAGNOSE_SCRIPT]).status, 0);
});
