import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitSnapshot, deleteSnapshot, listSnapshots, readSnapshot, requireSnapshot, snapshotWorkDir } from "../../../src/store/snapshot.js";
import { parseSnapshotRecord, SNAPSHOT_RECORD_VERSION, type SnapshotRecord } from "../../../src/store/snapshot-record.js";
import { snapshotsRoot } from "../../../src/store/paths.js";
import { isTslimaError } from "../../../src/errors.js";

const record = (o: Partial<SnapshotRecord> = {}): SnapshotRecord => ({
  version: SNAPSHOT_RECORD_VERSION,
  name: "s1",
  source: "src",
  createdAt: "2026-11-30T10:00:00.000Z",
  qemu: { binary: "/usr/bin/qemu-system-x86_64", version: "7.2.15" },
  argv: ["-m", "1024"],
  stateBytes: 5,
  baseFormat: "qcow2",
  kernel: true,
  initrd: true,
  location: "build:debian-12",
  efiVars: false,
  userKey: "ssh-ed25519 AAAA tslima",
  hostname: "lima-src",
  ...o,
});

test("parseSnapshotRecord: a good record, and what is wrong with a bad one", () => {
  assert.deepEqual(parseSnapshotRecord(JSON.stringify(record())), { record: record() });
  const problem = (v: unknown) => {
    const r = parseSnapshotRecord(JSON.stringify(v));
    return "problem" in r ? r.problem : "";
  };
  assert.match(problem({ ...record(), version: 9 }), /version/);
  assert.match(problem({ ...record(), stateBytes: 0 }), /stateBytes/);
  assert.match(problem({ ...record(), baseFormat: "vmdk" }), /baseFormat/);
  assert.match(problem({ ...record(), userKey: "" }), /userKey/);
  assert.match(problem({ ...record(), kernel: "yes" }), /kernel/);
  assert.match(problem({ ...record(), argv: [] }), /argv/);
  assert.deepEqual(parseSnapshotRecord("{"), { problem: "it is not JSON" });
});

test("parseSnapshotRecord: the source's host resolver port, when recorded, is a port number", () => {
  assert.deepEqual(parseSnapshotRecord(JSON.stringify(record({ hostResolverPort: 47940 }))), { record: record({ hostResolverPort: 47940 }) });
  for (const bad of [0, 65536, 1.5, "53", -1]) {
    const r = parseSnapshotRecord(JSON.stringify({ ...record(), hostResolverPort: bad }));
    assert.deepEqual(r, { problem: "hostResolverPort is not a port number" }, String(bad));
  }
});

test("a snapshot is whole or absent: work dir, commit (read-only files, record last), list, delete", (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-snap-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  // a killed earlier attempt left a work dir: the next one of that name removes it
  const stale = snapshotWorkDir(home, "s1");
  writeFileSync(join(stale.dir, "vmstate"), "half");
  const work = snapshotWorkDir(home, "s1");
  assert.equal(existsSync(stale.dir), false, "the stale work dir is gone");
  assert.deepEqual(listSnapshots(home), [], "a work dir is no snapshot");
  writeFileSync(work.vmState, "12345");
  writeFileSync(work.disk, "disk");
  writeFileSync(work.hostKey, "key");
  const s = commitSnapshot(home, work, record());
  assert.equal(s.paths.dir, join(snapshotsRoot(home), "s1"));
  for (const f of [s.paths.disk, s.paths.hostKey, s.paths.vmState, s.paths.record]) assert.equal(statSync(f).mode & 0o777, 0o400, `${f} is its owner's, read-only`);
  assert.equal(statSync(s.paths.dir).mode & 0o777, 0o700);
  assert.equal(statSync(snapshotsRoot(home)).mode & 0o777, 0o700);
  assert.deepEqual(listSnapshots(home).map((x) => x.record.name), ["s1"]);
  assert.deepEqual(readdirSync(snapshotsRoot(home)), ["s1"], "no work dir is left");
  // the same name again
  const w2 = snapshotWorkDir(home, "s1");
  writeFileSync(w2.vmState, "12345");
  assert.throws(() => commitSnapshot(home, w2, record()), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_SNAPSHOT_EXISTS");
  assert.equal(existsSync(w2.dir), false);
  deleteSnapshot(home, "s1");
  assert.deepEqual(listSnapshots(home), []);
  assert.throws(() => requireSnapshot(home, "s1"), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_SNAPSHOT_NOT_FOUND");
});

test("a snapshot whose state file is not the recorded size is unusable", (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-snap-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const work = snapshotWorkDir(home, "s2");
  writeFileSync(work.vmState, "123");
  commitSnapshot(home, work, record({ name: "s2", stateBytes: 5 }));
  const r = readSnapshot(home, "s2");
  assert.ok("problem" in r && /incomplete/.test(r.problem));
  assert.deepEqual(listSnapshots(home), []);
});
