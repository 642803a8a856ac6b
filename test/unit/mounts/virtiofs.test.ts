import { test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { findVirtiofsd, mountPlan, type VirtiofsdInfo } from "../../../src/mounts/index.js";
import { isTslimaError } from "../../../src/errors.js";
import { READONLY_WRAPPER } from "../../../src/mounts/virtiofs.js";
import { testConfig, testMount, testPaths } from "./testconfig.js";

const rust: VirtiofsdInfo = { binary: "/usr/libexec/virtiofsd", flavor: "rust", readonlyFlag: true, needsRoot: false };
const cDaemon: VirtiofsdInfo = { binary: "/usr/lib/qemu/virtiofsd", flavor: "c", readonlyFlag: false, needsRoot: true };
const linuxUser = { os: "Linux" as const, uid: 1000, home: "/home/alice" };
const linuxRoot = { os: "Linux" as const, uid: 0, home: "/root" };

test("virtiofs: shared memfd backend once, chardev + vhost-user-fs-pci per mount, Rust daemon flags", () => {
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/src", { writable: true }), testMount("/ro")] });
  const plan = mountPlan(config, testPaths, { memoryBytes: 1024 ** 3, virtiofsd: rust, host: linuxUser });
  assert.deepEqual(plan.qemuArgs, [
    "-object",
    "memory-backend-memfd,id=virtiofs-mem,size=1073741824,share=on",
    "-numa",
    "node,memdev=virtiofs-mem",
  ]);
  const [w, r] = plan.mounts;
  assert.ok(w && r);
  assert.deepEqual(w.qemuArgs, [
    "-chardev",
    `socket,id=char-virtiofs0,path=${testPaths.virtiofsdSock(0)}`,
    "-device",
    `vhost-user-fs-pci,queue-size=1024,chardev=char-virtiofs0,tag=${w.tag}`,
  ]);
  assert.deepEqual(w.daemons, [
    { command: rust.binary, args: [`--socket-path=${testPaths.virtiofsdSock(0)}`, "--shared-dir=/src", "--cache=auto", "--sandbox=none"], socket: testPaths.virtiofsdSock(0) },
  ]);
  assert.deepEqual(w.fstab, [w.tag, "/src", "virtiofs", "rw,nofail", "0", "0"]);
  assert.deepEqual(r.daemons[0]?.args, [`--socket-path=${testPaths.virtiofsdSock(1)}`, "--shared-dir=/ro", "--cache=auto", "--readonly", "--sandbox=none"]);
  assert.deepEqual(r.fstab?.[3], "ro,nofail");
  assert.deepEqual(r.expect, { mountPoint: "/ro", fstype: "virtiofs", options: ["ro"] });
});

test("virtiofs with Debian's C virtiofsd: -o source=, read-only through a read-only bind mount in its own namespace, needs root", () => {
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/ro dir"), testMount("/rw", { writable: true })] });
  const plan = mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: cDaemon, host: linuxRoot });
  const p = plan.mounts[0];
  assert.ok(p);
  const daemonArgs = [`--socket-path=${testPaths.virtiofsdSock(0)}`, "-o", "source=/ro dir", "-o", "cache=auto"];
  assert.equal(p.daemons[0]?.command, "unshare");
  assert.deepEqual(p.daemons[0]?.args, ["--mount", "--propagation", "private", "sh", "-c", READONLY_WRAPPER, "tslima-virtiofsd-ro", "/ro dir", cDaemon.binary, ...daemonArgs]);
  assert.equal(plan.mounts[1]?.daemons[0]?.command, cDaemon.binary);
  assert.deepEqual(plan.mounts[1]?.daemons[0]?.args, [`--socket-path=${testPaths.virtiofsdSock(1)}`, "-o", "source=/rw", "-o", "cache=auto"]);
  assert.equal(p.fstab?.[1], "/ro\\040dir");
  assert.equal(p.fstab?.[3], "ro,nofail");
  assert.throws(() => mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: cDaemon, host: linuxUser }), /only runs as root/);
});

test("virtiofs without a daemon, or on macOS: TslimaError with a hint", () => {
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/src")] });
  assert.throws(() => mountPlan(config, testPaths, { memoryBytes: 2 ** 30, host: linuxUser }), (e: unknown) => {
    assert.ok(isTslimaError(e));
    assert.equal(e.code, "ERR_TSLIMA_MOUNT_NO_VIRTIOFSD");
    assert.match(e.hint ?? "", /apt-get install qemu-system-common/);
    assert.match(e.hint ?? "", /install virtiofsd/);
    return true;
  });
  assert.throws(() => mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: rust, host: { os: "Darwin", uid: 501, home: "/Users/a" } }), (e: unknown) => {
    assert.ok(isTslimaError(e));
    assert.match(e.message, /macOS/);
    assert.match(e.hint ?? "", /9p/);
    return true;
  });
  // no mounts: nothing to check, no shared memory backend
  assert.deepEqual(mountPlan(testConfig({ mountType: "virtiofs" }), testPaths, { memoryBytes: 1 }), { mounts: [], qemuArgs: [] });
});

test("findVirtiofsd on this host finds a daemon and knows its dialect", (t) => {
  const found = findVirtiofsd();
  if (!found) return t.skip("no virtiofsd on this host (apt-get install qemu-system-common)");
  assert.ok(found.binary.startsWith("/"));
  if (found.binary === "/usr/lib/qemu/virtiofsd") {
    assert.equal(found.flavor, "c");
    assert.equal(found.readonlyFlag, false);
  }
});

test("findVirtiofsd prefers a Rust virtiofsd on PATH", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-vfsd-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "virtiofsd"), "#!/bin/sh\necho 'Usage: virtiofsd --shared-dir <DIR> --socket-path <P> --readonly'\n", { mode: 0o755 });
  const found = findVirtiofsd({ PATH: dir });
  assert.deepEqual(found, { binary: join(dir, "virtiofsd"), flavor: "rust", readonlyFlag: true, needsRoot: false });
});

test("a Rust virtiofsd without --readonly: a read-only mount is refused unless root, which gets the read-only bind namespace", () => {
  const old: VirtiofsdInfo = { ...rust, readonlyFlag: false };
  const config = testConfig({ mountType: "virtiofs", mounts: [testMount("/rw", { writable: true }), testMount("/ro")] });
  assert.throws(() => mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: old, host: linuxUser }), (e: unknown) => {
    assert.ok(isTslimaError(e));
    assert.equal(e.code, "ERR_TSLIMA_MOUNT_VIRTIOFS_READONLY");
    assert.match(e.message, /mounts\[1\] \(\/ro\) is read-only/);
    assert.match(e.hint ?? "", /--readonly/);
    assert.match(e.hint ?? "", /mounts\[1\]\.writable: true/);
    return true;
  });
  // host facts unknown: refused too (fail closed)
  assert.throws(() => mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: old }), /no --readonly/);
  // only writable mounts: nothing to enforce
  const rwOnly = testConfig({ mountType: "virtiofs", mounts: [testMount("/rw", { writable: true })] });
  assert.equal(mountPlan(rwOnly, testPaths, { memoryBytes: 2 ** 30, virtiofsd: old, host: linuxUser }).mounts[0]?.daemons[0]?.command, old.binary);
  // as root: the read-only one runs in a namespace where its location is a read-only bind mount
  const plan = mountPlan(config, testPaths, { memoryBytes: 2 ** 30, virtiofsd: old, host: linuxRoot });
  assert.equal(plan.mounts[0]?.daemons[0]?.command, old.binary);
  const ro = plan.mounts[1]?.daemons[0];
  assert.equal(ro?.command, "unshare");
  assert.deepEqual(ro?.args, ["--mount", "--propagation", "private", "sh", "-c", READONLY_WRAPPER, "tslima-virtiofsd-ro", "/ro", old.binary, `--socket-path=${testPaths.virtiofsdSock(1)}`, "--shared-dir=/ro", "--cache=auto"]);
});
