import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { additionalDisks, diskDriveArgs, diskJson, diskPaths, diskRunnerLines, guestMountPoint, type AttachedDisk } from "../../../src/disks/plan.js";
import { diskHolder, lockDisk, unlockDisk } from "../../../src/disks/lock.js";
import { qemuArgv, parseImageInfo, snapshotArgs } from "../../../src/qemu/index.js";
import { provisionPlan } from "../../../src/cidata/provision.js";
import { isTslimaError } from "../../../src/errors.js";
import { linuxPaths, sampleConfig, samplePlan } from "../qemu/sample.js";
import { assertGolden } from "../qemu/golden.js";

const withDisks = sampleConfig({ extra: { additionalDisks: ["data", { name: "logs", format: false, fsType: "xfs", fsArgs: ["-m", "crc=1"] }, { name: "b.2", fsType: "" }] } });

test("additionalDisks: names and maps with Lima's defaults (format true, ext4, no fsArgs)", () => {
  assert.deepEqual(additionalDisks(withDisks), [
    { name: "data", format: true, fsType: "ext4", fsArgs: [] },
    { name: "logs", format: false, fsType: "xfs", fsArgs: ["-m", "crc=1"] },
    { name: "b.2", format: true, fsType: "ext4", fsArgs: [] },
  ]);
  assert.deepEqual(additionalDisks(sampleConfig()), []);
});

const attached: AttachedDisk[] = additionalDisks(withDisks).map((d, i) => ({ ...d, file: diskPaths("/home/alice/.tslima", d.name).datadisk, imageFormat: i === 1 ? "raw" : "qcow2" }));

test("golden: additional disks are virtio-blk drives after the boot disk and cidata, each with a serial", () => {
  const argv = qemuArgv(withDisks, linuxPaths, samplePlan({ disks: attached }));
  assertGolden("linux-x86_64-kvm-additional-disks", argv);
  assert.deepEqual(diskDriveArgs([]), []);
});

test("the runner's disk lines: index, name, serial, format, fsType and fsArgs, shell-quoted; after the mounts in plan.sh", () => {
  assert.deepEqual(diskRunnerLines(additionalDisks(withDisks)), [
    "disk 0 'data' lima-disk0 true 'ext4'",
    "disk 1 'logs' lima-disk1 false 'xfs' '-m' 'crc=1'",
    "disk 2 'b.2' lima-disk2 true 'ext4'",
  ]);
  const plan = provisionPlan(withDisks, { mounts: [], qemuArgs: [] }, "192.168.5.2").planSh.split("\n");
  const first = plan.indexOf("disk 0 'data' lima-disk0 true 'ext4'");
  assert.ok(first > 0, plan.join("\n"));
  assert.deepEqual(plan.slice(first, first + 3), diskRunnerLines(additionalDisks(withDisks)), "the disk lines come together");
  const lastMount = plan.reduce((at, l, i) => (/^mount/.test(l) ? i : at), -1);
  assert.ok(first > lastMount, `disks come after the mounts:\n${plan.join("\n")}`);
});

test("disk list --json has Lima's Disk field names", () => {
  const p = diskPaths("/h", "data");
  assert.deepEqual(diskJson(p, 1024, "qcow2", "/h/vm1"), { name: "data", size: 1024, format: "qcow2", dir: "/h/_disks/data", instance: "vm1", instanceDir: "/h/vm1", mountPoint: "/mnt/lima-data" });
  assert.deepEqual([diskJson(p, 1, "raw", undefined).instance, diskJson(p, 1, "raw", undefined).instanceDir], ["", ""]);
  assert.equal(guestMountPoint("x"), "/mnt/lima-x");
});

test("lock: in_use_by names the instance; another instance is refused by name; a lock whose instance is gone is taken over", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-disklock-"));
  try {
    const p = diskPaths(home, "data");
    mkdirSync(p.dir, { recursive: true });
    const one = join(home, "one");
    const two = join(home, "two");
    mkdirSync(one);
    mkdirSync(two);
    lockDisk(p, one);
    lockDisk(p, one); // its own lock again: fine
    assert.equal(readlinkSync(p.inUseBy), one);
    assert.throws(() => lockDisk(p, two), (e) => isTslimaError(e) && e.kind === "DISK_IN_USE" && /in use by instance one/.test(e.message) && /disk unlock data/.test(e.hint ?? ""));
    unlockDisk(p, two); // not the holder: the lock stays
    assert.equal(diskHolder(p), one);
    unlockDisk(p, one);
    assert.equal(diskHolder(p), undefined);
    lockDisk(p, one);
    rmSync(one, { recursive: true });
    lockDisk(p, two);
    assert.equal(diskHolder(p), two);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("qemu-img snapshot argv and the internal snapshots of qemu-img info", () => {
  assert.deepEqual(snapshotArgs("create", "/i/diffdisk", "t1"), ["snapshot", "-c", "t1", "/i/diffdisk"]);
  assert.deepEqual(snapshotArgs("apply", "/i/diffdisk", "t1").slice(1, 2), ["-a"]);
  assert.deepEqual(snapshotArgs("delete", "/i/diffdisk", "t1").slice(1, 2), ["-d"]);
  const info = parseImageInfo(JSON.stringify({ format: "qcow2", "virtual-size": 10, snapshots: [{ id: "1", name: "t1", "vm-state-size": 0, "date-sec": 1700000000, "date-nsec": 5 }] }));
  assert.deepEqual(info.snapshots, [{ id: "1", tag: "t1", vmStateSize: 0, dateSec: 1700000000 }]);
  assert.equal(parseImageInfo(JSON.stringify({ format: "raw", "virtual-size": 1 })).snapshots, undefined);
});
