import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFormat, humanBytes, parseDuration, renderFormat, table, tildePath } from "../../../src/cli/output.js";

test("table aligns columns", () => {
  assert.equal(table(["NAME", "STATUS"], [["default", "Running"], ["x", "Stopped"]]), "NAME       STATUS\ndefault    Running\nx          Stopped\n");
});

test("--format renders Lima-style fields case-insensitively and json", () => {
  const v = { name: "vm", status: "Running", sshLocalPort: 60022, nested: { a: 1 } };
  assert.equal(renderFormat("{{.Name}}\\t{{.Status}} {{.SSHLocalPort}}", v), "vm\tRunning 60022");
  assert.equal(renderFormat("{{json .Nested}} {{.missing}}", v), '{"a":1} <no value>');
  assert.equal(renderFormat("{{json .}}", { a: 1 }), '{"a":1}');
  assert.throws(() => checkFormat("{{range .}}x{{end}}"), /unsupported --format/);
  checkFormat("{{.Name}} {{ json . }}");
});

test("sizes, paths and durations", () => {
  assert.equal(humanBytes(4 * 1024 ** 3), "4GiB");
  assert.equal(humanBytes(1536 * 1024 ** 2), "1.5GiB");
  assert.equal(humanBytes(0), "?");
  assert.equal(tildePath("/home/u/.tslima/vm", "/home/u"), "~/.tslima/vm");
  assert.equal(tildePath("/other", "/home/u"), "/other");
  assert.equal(parseDuration("10m"), 600_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.throws(() => parseDuration("soon"), /--timeout/);
});
