import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argvChange, identityChange, parseSuspendRecord, resumeObstacle, SUSPEND_RECORD_VERSION, type FileIdentity, type SuspendRecord } from "../../../src/store/suspend-record.js";
import { commitSuspendRecord, diskIdentities, discardSavedState, fileIdentity, hasSavedState, invalidateSuspendRecord, readSuspendRecord, rerecordDiskIdentities, vmStateTemp } from "../../../src/store/suspend.js";
import { classifyStatus, inspectStatus } from "../../../src/store/status.js";
import { instancePaths } from "../../../src/store/paths.js";

const id = (over: Partial<FileIdentity> = {}): FileIdentity => ({ size: 1000, mtimeNs: "1700000000000000000", ino: "42", dev: "2049", headSha256: "a".repeat(64), ...over });

function record(over: Partial<SuspendRecord> = {}): SuspendRecord {
  return {
    version: SUSPEND_RECORD_VERSION,
    savedAt: "2026-11-30T16:00:00.000Z",
    qemu: { binary: "/usr/bin/qemu-system-x86_64", version: "7.2.22" },
    argv: ["-name", "tslima-vm", "-m", "1024", "-smp", "1,sockets=1,cores=1,threads=1"],
    sshPort: 60022,
    stateBytes: 300_000_000,
    disks: { diffdisk: id(), basedisk: id({ ino: "43" }) },
    ...over,
  };
}

test("a valid record parses; broken, half-written or foreign ones say what is wrong", () => {
  assert.deepEqual(parseSuspendRecord(JSON.stringify(record())), { record: record() });
  const problem = (v: unknown) => {
    const r = parseSuspendRecord(typeof v === "string" ? v : JSON.stringify(v));
    assert.ok("problem" in r, `refused: ${JSON.stringify(v)}`);
    return r.problem;
  };
  assert.match(problem('{"version": 1, "savedAt": "2026'), /not JSON/);
  assert.match(problem([]), /not an object/);
  assert.match(problem({ ...record(), version: 1 }), /version is 1/);
  const { sshPort: _port, ...noPort } = record();
  assert.ok("record" in parseSuspendRecord(JSON.stringify(noPort)), "an instance made from a snapshot has no ssh port yet");
  assert.match(problem({ ...record(), savedAt: "yesterday" }), /savedAt/);
  assert.match(problem({ ...record(), qemu: { binary: "/q" } }), /qemu/);
  assert.match(problem({ ...record(), argv: [] }), /argv/);
  assert.match(problem({ ...record(), argv: ["-m", 1024] }), /argv/);
  assert.match(problem({ ...record(), sshPort: 70000 }), /sshPort/);
  assert.match(problem({ ...record(), stateBytes: 0 }), /stateBytes/);
  assert.match(problem({ ...record(), disks: { basedisk: id() } }), /diffdisk/);
  assert.match(problem({ ...record(), disks: { diffdisk: id({ mtimeNs: "17e9" }) } }), /diffdisk: mtimeNs/);
  assert.match(problem({ ...record(), disks: { diffdisk: id({ headSha256: "xyz" }) } }), /headSha256/);
});

test("disk identity: the same file passes; another inode, size, mtime or header is named", () => {
  assert.equal(identityChange("diffdisk", id(), id()), undefined);
  assert.match(identityChange("diffdisk", id(), undefined) ?? "", /diffdisk is missing/);
  assert.match(identityChange("diffdisk", id(), id({ ino: "99" })) ?? "", /replaced/);
  assert.match(identityChange("diffdisk", id(), id({ size: 2000 })) ?? "", /changed size \(1000 -> 2000 bytes\)/);
  assert.match(identityChange("diffdisk", id(), id({ mtimeNs: "1700000060000000000" })) ?? "", /modified after the state was saved \(mtime 2023-11-14T22:13:20.000Z -> 2023-11-14T22:14:20.000Z\)/);
  assert.match(identityChange("diffdisk", id(), id({ headSha256: "b".repeat(64) })) ?? "", /header changed/);
});

test("argv change: one line naming what was and what is", () => {
  const a = ["-name", "tslima-vm", "-m", "1024", "-device", "virtio-rng-pci"];
  assert.equal(argvChange(a, [...a]), undefined);
  assert.equal(argvChange(a, ["-name", "tslima-vm", "-m", "2048", "-device", "virtio-rng-pci"]), "the VM's hardware changed (QEMU command line: was -m 1024; now -m 2048)");
  assert.match(argvChange(a, [...a, "-fsdev", "local,id=fsdev0"]) ?? "", /now -fsdev local,id=fsdev0\)$/);
  assert.match(argvChange(a, ["-m", "1024", "-name", "tslima-vm", "-device", "virtio-rng-pci"]) ?? "", /another order/);
  const long = argvChange(a, ["-name", "tslima-vm", "-m", "1024", "-device", `virtio-rng-pci,${"x".repeat(300)}`]) ?? "";
  assert.ok(long.length < 400, "long options are clipped");
});

test("resumeObstacle: the state file, QEMU, each disk, then the command line", () => {
  const now = { qemu: record().qemu, argv: record().argv, disks: { diffdisk: id(), basedisk: id({ ino: "43" }) }, stateBytes: 300_000_000 };
  assert.equal(resumeObstacle(record(), now), undefined);
  assert.match(resumeObstacle(record(), { ...now, stateBytes: undefined }) ?? "", /state file is missing/);
  assert.match(resumeObstacle(record(), { ...now, stateBytes: 1000 }) ?? "", /incomplete \(1000 of 300000000 bytes\)/);
  assert.match(resumeObstacle(record(), { ...now, qemu: { ...now.qemu, version: "8.2.2" } }) ?? "", /QEMU changed .*7\.2\.22 -> .*8\.2\.2/);
  assert.match(resumeObstacle(record(), { ...now, disks: { ...now.disks, basedisk: id({ ino: "44" }) } }) ?? "", /basedisk was replaced/);
  assert.match(resumeObstacle(record(), { ...now, argv: ["-m", "2048"] }) ?? "", /hardware changed/);
});

test("on disk: commit makes the instance Suspended; invalidate and discard undo it; identity follows the file", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-suspend-"));
  try {
    const paths = instancePaths(home, "vm");
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.diffdisk, "QFI\xfb disk");
    writeFileSync(paths.basedisk, "base");
    const before = fileIdentity(paths.diffdisk);
    assert.ok(before !== undefined && before.size === Buffer.byteLength("QFI\xfb disk"));
    assert.equal(fileIdentity(join(home, "nope")), undefined);
    assert.deepEqual(Object.keys(diskIdentities(paths)).sort(), ["basedisk", "diffdisk"]);
    assert.equal(hasSavedState(paths), false);
    writeFileSync(vmStateTemp(paths), "x".repeat(100));
    commitSuspendRecord(paths, record({ stateBytes: 100, disks: diskIdentities(paths) }));
    assert.equal(hasSavedState(paths), true);
    assert.equal(inspectStatus(paths).status, "Suspended");
    const read = readSuspendRecord(paths);
    assert.ok(read !== undefined && "record" in read && read.record.stateBytes === 100);
    // touching the disk changes its identity (what a resume compares)
    utimesSync(paths.diffdisk, new Date(), new Date(Date.now() + 5000));
    assert.match(identityChange("diffdisk", before, fileIdentity(paths.diffdisk)) ?? "", /modified after/);
    invalidateSuspendRecord(paths);
    assert.equal(inspectStatus(paths).status, "Stopped", "no record, no Suspended (the state file alone is nothing)");
    discardSavedState(paths);
    assert.equal(hasSavedState(paths), false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("rerecordDiskIdentities: after a disk change the guest cannot see (a tag snapshot), the record holds the disks as they are now", () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-rerecord-"));
  try {
    const paths = instancePaths(root, "vm");
    mkdirSync(paths.dir, { recursive: true });
    assert.equal(rerecordDiskIdentities(paths), false, "no record: nothing to do");
    writeFileSync(paths.diffdisk, "qcow2 header and data");
    writeFileSync(paths.basedisk, "base");
    writeFileSync(vmStateTemp(paths), "x".repeat(100));
    commitSuspendRecord(paths, record({ stateBytes: 100, disks: diskIdentities(paths) }));
    const later = new Date(Date.now() + 60_000);
    utimesSync(paths.diffdisk, later, later);
    const before = readSuspendRecord(paths);
    assert.ok(before && "record" in before);
    assert.match(identityChange("diffdisk", before.record.disks.diffdisk!, fileIdentity(paths.diffdisk)) ?? "", /modified after the state was saved/);
    assert.equal(rerecordDiskIdentities(paths), true);
    const after = readSuspendRecord(paths);
    assert.ok(after && "record" in after);
    assert.deepEqual(after.record.disks, { diffdisk: fileIdentity(paths.diffdisk), basedisk: fileIdentity(paths.basedisk) });
    assert.deepEqual({ ...after.record, disks: {} }, { ...before.record, disks: {} }, "nothing else changes");
    assert.equal(inspectStatus(paths).status, "Suspended");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("classifyStatus: a saved state counts only when nothing runs", () => {
  assert.deepEqual(classifyStatus({ haAlive: false, qemuAlive: false, savedState: true }), { status: "Suspended" });
  assert.equal(classifyStatus({ haPidFile: 1, haAlive: true, qemuPidFile: 2, qemuAlive: true, savedState: true }).status, "Running");
});
