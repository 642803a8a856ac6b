import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, table, tildePath } from "../../../src/cli/output.js";

test("table aligns columns", () => {
  assert.equal(table(["NAME", "STATUS"], [["default", "Running"], ["x", "Stopped"]]), "NAME       STATUS\ndefault    Running\nx          Stopped\n");
});

test("paths and durations", () => {
  assert.equal(tildePath("/home/u/.tslima/vm", "/home/u"), "~/.tslima/vm");
  assert.equal(tildePath("/other", "/home/u"), "/other");
  assert.equal(parseDuration("10m"), 600_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.throws(() => parseDuration("soon"), /--timeout/);
});
