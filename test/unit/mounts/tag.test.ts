import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mountTag } from "../../../src/mounts/index.js";

test("mountTag matches Lima: lima- + first 8 bytes of sha256(location NUL mountPoint)", () => {
  // values from coreutils: printf '/Users/me\0/Users/me' | sha256sum
  assert.equal(mountTag("/Users/me", "/Users/me"), "lima-7ae38af5afeb6a7a");
  assert.equal(mountTag("/tmp/lima", "/tmp/lima"), "lima-0811fed16985d25e");
});

test("mountTag separates location and mountPoint (no ambiguity, not ':')", () => {
  assert.notEqual(mountTag("/a:b", "/c"), mountTag("/a", "b:/c"));
  assert.notEqual(mountTag("/tmp/lima", "/tmp/lima"), "lima-1fd4cbcaa36d359d"); // the ':' variant
  assert.notEqual(mountTag("/x", "/y"), mountTag("/x", "/z"));
});

test("mountTag hashes UTF-8 bytes like sha256sum does", (t) => {
  const loc = "/home/zoë/my dir 'q'";
  const r = spawnSync("sha256sum", [], { input: Buffer.from(`${loc}\0/mnt/ü`, "utf8"), encoding: "utf8" });
  if (r.status !== 0) return t.skip("sha256sum not available");
  assert.equal(mountTag(loc, "/mnt/ü"), `lima-${r.stdout.slice(0, 16)}`);
  assert.match(mountTag(loc, "/mnt/ü"), /^lima-[0-9a-f]{16}$/);
});
