import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isoImage } from "../../../src/cidata/index.js";

const haveIsoinfo = spawnSync("sh", ["-c", "command -v isoinfo"]).status === 0;
const SKIP = haveIsoinfo ? false : "isoinfo missing (apt-get install genisoimage)";

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 11)) & 0xff;
  return b;
}

const FILES: Record<string, string | Buffer> = {
  "user-data": "#cloud-config\nhostname: lima-x\n",
  "meta-data": "instance-id: tslima-x\nlocal-hostname: lima-x\n",
  "network-config": "version: 2\n",
  "empty-file": "",
  "a-rather-long-file-name.with-dots.and-dashes_01.txt": "long\n",
  "MixedCase.Name": "case\n",
  "ünïcode-ñame": "utf\n",
  "big.bin": pattern(5 * 1024 * 1024 + 4097),
  "exactly-one-sector": pattern(2048),
  "tslima/boot.sh": "#!/bin/sh\necho boot\n",
  "tslima/provision/01-system.sh": "#!/bin/sh\necho sys\n",
};

function withIso(files: Record<string, string | Buffer>, fn: (iso: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "tslima-iso-"));
  try {
    const iso = join(dir, "cidata.iso");
    writeFileSync(iso, isoImage("cidata", files));
    fn(iso);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isoinfo(args: string[]): Buffer {
  const r = spawnSync("isoinfo", args, { maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `isoinfo ${args.join(" ")}: ${r.stderr?.toString()}`);
  return r.stdout;
}

test("isoImage: isoinfo -d sees ISO 9660, volume id cidata, Joliet level 3, right size", { skip: SKIP }, () => {
  withIso(FILES, (iso) => {
    const d = isoinfo(["-d", "-i", iso]).toString();
    assert.match(d, /Volume id: cidata/);
    assert.match(d, /Logical block size is: 2048/);
    assert.match(d, /Joliet with UCS level 3 found/);
    const sectors = Number(/Volume size is: (\d+)/.exec(d)?.[1]);
    assert.equal(sectors * 2048, statSync(iso).size);
  });
});

test("isoImage: Joliet listing shows every long, case-preserving name, also in a subdirectory", { skip: SKIP }, () => {
  withIso(FILES, (iso) => {
    // isoinfo converts Joliet names to a legacy charset; Latin-1 holds every name used here
    const l = isoinfo(["-j", "iso8859-1", "-J", "-l", "-i", iso]).toString("latin1");
    for (const path of Object.keys(FILES)) {
      const name = path.split("/").pop() ?? "";
      assert.ok(l.includes(` ${name} `) || l.includes(` ${name}\n`), `missing ${name} in\n${l}`);
    }
    assert.match(l, /Directory listing of \/tslima\/provision\//);
    assert.match(l, /\s5246977 .*big\.bin/);
  });
});

test("isoImage: every file extracts byte for byte through Joliet (isoinfo -J -x)", { skip: SKIP }, () => {
  withIso(FILES, (iso) => {
    for (const [path, content] of Object.entries(FILES)) {
      const want = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      // the path goes through sh as Latin-1 octal escapes, the charset isoinfo -j iso8859-1 matches against
      const octal = [...Buffer.from(`/${path}`, "latin1")].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
      const r = spawnSync("sh", ["-c", `isoinfo -j iso8859-1 -J -x "$(printf '${octal}')" -i "$1"`, "sh", iso], { maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, r.stderr.toString());
      const got = r.stdout;
      assert.equal(got.length, want.length, path);
      assert.ok(got.equals(want), `${path} differs`);
    }
  });
});

test("isoImage: the primary (level-1) tree is valid too: 8.3 upper-case unique names", { skip: SKIP }, () => {
  withIso({ "user-data": "u", "user-data2": "v", "meta-data": "m" }, (iso) => {
    const l = isoinfo(["-l", "-i", iso]).toString();
    assert.match(l, /USER_DAT\.;1/);
    assert.match(l, /USER_D_1\.;1/);
    assert.match(l, /META_DAT\.;1/);
    assert.equal(isoinfo(["-x", "/META_DAT.;1", "-i", iso]).toString(), "m");
  });
});

test("isoImage: many files overflow a directory sector without records crossing it", { skip: SKIP }, () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 120; i++) many[`provision-script-number-${String(i).padStart(3, "0")}.sh`] = `echo ${i}\n`;
  withIso(many, (iso) => {
    const l = isoinfo(["-J", "-l", "-i", iso]).toString();
    assert.equal((l.match(/provision-script-number-/g) ?? []).length, 120);
    assert.equal(isoinfo(["-J", "-x", "/provision-script-number-119.sh", "-i", iso]).toString(), "echo 119\n");
  });
});

test("isoImage is deterministic and rejects names Joliet cannot hold", () => {
  assert.ok(isoImage("cidata", { a: "1" }).equals(isoImage("cidata", { a: "1" })));
  assert.equal(isoImage("cidata", { a: "1" }).length % 2048, 0);
  assert.throws(() => isoImage("cidata", { "a:b": "x" }), /not allowed/);
  assert.throws(() => isoImage("cidata", { ["x".repeat(65)]: "x" }), /longer than 64/);
  assert.throws(() => isoImage("cidata", { "a/b": "x", a: "y" }), /a|twice/);
  assert.throws(() => isoImage("ci data", { a: "x" }), /volume id/);
  // the volume id in the primary descriptor (sector 16, offset 40)
  const img = isoImage("cidata", { a: "1" });
  assert.equal(img.subarray(16 * 2048 + 40, 16 * 2048 + 46).toString("latin1"), "cidata");
  assert.equal(img.subarray(16 * 2048 + 1, 16 * 2048 + 6).toString("latin1"), "CD001");
});
