import { test } from "node:test";
import assert from "node:assert/strict";
import { fstabEscape, fstabUnescape } from "../../../src/mounts/index.js";

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
