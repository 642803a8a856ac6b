import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { copyFileAtomic, writeFileAtomic } from "../../../src/store/atomic.js";

test("writeFileAtomic replaces a file whole, with the mode given, and leaves no temporary file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-atomic-"));
  try {
    const f = join(dir, "state.json");
    writeFileSync(f, "old");
    writeFileAtomic(f, "new", 0o600);
    assert.equal(readFileSync(f, "utf8"), "new");
    assert.equal(statSync(f).mode & 0o777, 0o600);
    copyFileAtomic(f, join(dir, "copy"));
    assert.equal(readFileSync(join(dir, "copy"), "utf8"), "new");
    assert.deepEqual(readdirSync(dir).sort(), ["copy", "state.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed write keeps the old file and removes its temporary file", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-atomic-"));
  try {
    const f = join(dir, "state.json");
    writeFileSync(f, "old");
    assert.throws(() => copyFileAtomic(join(dir, "missing"), f), /ENOENT/);
    assert.equal(readFileSync(f, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["state.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
