import { test } from "node:test";
import assert from "node:assert/strict";
import { fstabEscape, fstabUnescape, sizeBytes } from "../../../src/mounts/index.js";

test("fstabEscape writes space, tab, newline, backslash as octal", () => {
  assert.equal(fstabEscape("/a b"), "/a\\040b");
  assert.equal(fstabEscape("/t\tn\nb\\"), "/t\\011n\\012b\\134");
  assert.equal(fstabEscape(`/q'"ü€`), `/q'"ü€`);
  assert.equal(fstabEscape("/plain/path"), "/plain/path");
});

test("fstabUnescape inverts fstabEscape, also for non-ASCII and octal-looking text", () => {
  for (const s of ["/a b", "/x\\040y", "/t\tn\nb\\", "/ü €/ 'x' \"y\"", "\\", "/end\\"]) {
    assert.equal(fstabUnescape(fstabEscape(s)), s);
  }
  assert.equal(fstabUnescape("/m\\303\\274"), "/mü");
});

test("sizeBytes reads Lima size strings (binary units)", () => {
  assert.equal(sizeBytes("128KiB", "msize"), 131072);
  assert.equal(sizeBytes("1MiB", "msize"), 1048576);
  assert.equal(sizeBytes("4k", "msize"), 4096);
  assert.equal(sizeBytes("512KB", "msize"), 524288);
  assert.equal(sizeBytes("65536", "msize"), 65536);
  assert.equal(sizeBytes("1.5GiB", "m"), 1.5 * 1024 ** 3);
  assert.throws(() => sizeBytes("lots", "mounts[0].9p.msize"), /mounts\[0\]\.9p\.msize/);
});
