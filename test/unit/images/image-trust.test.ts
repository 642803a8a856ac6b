import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describeProblem, imageInfoProblems, qcow2References, sniffImage } from "../../../src/images/image-trust.js";
import { infoArgs } from "../../../src/qemu/index.js";
import { fixturesDir } from "../../helpers.js";

/** An image crafted with qemu-img 7.2 (the command is in `made`): its `qemu-img info` JSON and first bytes. */
function recorded(name: string): { info: unknown; head: Buffer } {
  const j = JSON.parse(readFileSync(join(fixturesDir, "image-trust", `${name}.json`), "utf8")) as { info: unknown; head: string };
  return { info: j.info, head: Buffer.from(j.head, "hex") };
}

test("qemu-img info JSON: a backing file (absolute or relative) and an external data file are problems, by field", () => {
  const backing = recorded("backing");
  assert.deepEqual(imageInfoProblems(backing.info), [
    { field: "backing-filename", value: "/tmp/sec-images/secret" },
    { field: "full-backing-filename", value: "/tmp/sec-images/secret" },
  ]);
  assert.deepEqual(imageInfoProblems(recorded("relative-backing").info).map((p) => p.field), ["backing-filename", "full-backing-filename"]);
  assert.deepEqual(imageInfoProblems(recorded("data-file").info), [{ field: "data-file", value: "/tmp/sec-images/secret" }]);
  assert.deepEqual(imageInfoProblems(recorded("plain").info), []);
});

test("qemu-img info JSON: only qcow2 and raw are taken; a missing or odd format is a problem too", () => {
  assert.deepEqual(imageInfoProblems(recorded("vmdk").info), [{ field: "format", value: "vmdk" }]);
  assert.deepEqual(imageInfoProblems({ format: "raw", "virtual-size": 1 }), []);
  assert.deepEqual(imageInfoProblems({}), [{ field: "format", value: "undefined" }]);
  assert.deepEqual(imageInfoProblems(null), [{ field: "format", value: "undefined" }]);
});

test("qcow2 header: the backing file and the external data file are read from the first bytes, before any qemu-img", () => {
  assert.deepEqual(qcow2References(recorded("backing").head), [{ field: "backing-filename", value: "/tmp/sec-images/secret" }]);
  assert.deepEqual(qcow2References(recorded("relative-backing").head), [{ field: "backing-filename", value: "secret" }]);
  assert.deepEqual(qcow2References(recorded("data-file").head), [{ field: "data-file", value: "/tmp/sec-images/secret" }]);
  assert.deepEqual(qcow2References(recorded("plain").head), []);
});

test("qcow2 header: the data-file feature bit without a name, a name past the bytes read, a truncated header", () => {
  const plain = recorded("plain").head;
  const flagged = Buffer.from(plain);
  flagged.writeBigUInt64BE(flagged.readBigUInt64BE(72) | 4n, 72);
  assert.deepEqual(qcow2References(flagged), [{ field: "data-file", value: "(an external data file given when opened)" }]);
  const far = Buffer.from(plain);
  far.writeBigUInt64BE(1n << 40n, 8);
  far.writeUInt32BE(10, 16);
  assert.deepEqual(qcow2References(far), [{ field: "backing-filename", value: `(a name at byte ${1n << 40n})` }]);
  // a version 2 header: no feature bits nor extensions, the backing file still counts
  const v2 = Buffer.from(recorded("backing").head);
  v2.writeUInt32BE(2, 4);
  assert.deepEqual(qcow2References(v2).map((p) => p.field), ["backing-filename"]);
  assert.equal(qcow2References(plain.subarray(0, 40))[0]?.field, "header");
  assert.equal(qcow2References(plain.subarray(0, 90))[0]?.field, "header");
});

test("sniffImage: qcow2 by its magic, other formats by theirs, anything else raw", () => {
  assert.equal(sniffImage(recorded("plain").head), "qcow2");
  assert.equal(sniffImage(recorded("vmdk").head), "vmdk");
  assert.equal(sniffImage(Buffer.from("# Disk DescriptorFile\nRW 8 FLAT \"/etc/shadow\" 0\n")), "vmdk");
  assert.equal(sniffImage(Buffer.from("vhdxfile\0\0")), "vhdx");
  assert.equal(sniffImage(Buffer.from("QED\0....")), "qed");
  const vdi = Buffer.alloc(128);
  vdi.set([0x7f, 0x10, 0xda, 0xbe], 0x40);
  assert.equal(sniffImage(vdi), "vdi");
  const mbr = Buffer.alloc(512);
  mbr.set([0x55, 0xaa], 510);
  assert.equal(sniffImage(mbr), "raw");
  assert.equal(sniffImage(Buffer.alloc(0)), "raw");
});

test("qemu-img info argv: -U and -f FORMAT, so a raw file is never probed as another format", () => {
  assert.deepEqual(infoArgs("/x.img", { shared: true, format: "raw" }), ["info", "-U", "-f", "raw", "--output=json", "/x.img"]);
  assert.deepEqual(infoArgs("/x.img"), ["info", "--output=json", "/x.img"]);
});

test("describeProblem names the field and what the guest would get", () => {
  assert.match(describeProblem({ field: "backing-filename", value: "/etc/shadow" }), /backing file on the host \(backing-filename: \/etc\/shadow\)/);
  assert.match(describeProblem({ field: "data-file", value: "/dev/sda" }), /external data file on the host \(data-file: \/dev\/sda\).*read and write/);
  assert.match(describeProblem({ field: "format", value: "vmdk" }), /vmdk image \(format: vmdk\); tslima takes qcow2 and raw images only/);
});
