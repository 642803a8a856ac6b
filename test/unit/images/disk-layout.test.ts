import { test } from "node:test";
import assert from "node:assert/strict";
import { partitionScript, rootSizeMiB } from "../../../src/images/builder/disk.js";

test("partitionScript: an ESP then the root partition, 1 MiB aligned, back to back", () => {
  const s = partitionScript(64, 1024, "x86_64");
  const lines = s.trim().split("\n");
  assert.equal(lines[0], "label: gpt");
  const parts = lines.slice(1).map((l) => Object.fromEntries(l.split(", ").map((kv) => kv.split("=") as [string, string])));
  assert.equal(parts.length, 2);
  assert.equal(parts[0]!.start, "2048");
  assert.equal(parts[0]!.size, String(64 * 2048));
  assert.equal(parts[0]!.type, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  assert.equal(Number(parts[1]!.start), 2048 + 64 * 2048);
  assert.equal(parts[1]!.size, String(1024 * 2048));
  assert.match(lines[2]!, /name="tslima-root"/);
});

test("rootSizeMiB leaves headroom and rounds to 64 MiB", () => {
  for (const used of [1, 500, 700, 3000]) {
    const size = rootSizeMiB(used);
    assert.ok(size > used * 1.2);
    assert.equal(size % 64, 0);
  }
});
