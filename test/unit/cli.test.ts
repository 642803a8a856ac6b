import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cliPath, repoRoot } from "../helpers.js";

test("tslima --version prints the package version", () => {
  const r = spawnSync(process.execPath, [cliPath, "--version"], { encoding: "utf8" });
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("tslima --help lists usage", () => {
  const r = spawnSync(process.execPath, [cliPath, "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: tslima/);
});

test("an unknown command exits non-zero with a message", () => {
  const r = spawnSync(process.execPath, [cliPath, "no-such-command"], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^error: /m);
});
