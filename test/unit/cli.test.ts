import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

test("a bad --cpus is refused as typed, naming the flag, before anything is created", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-cli-"));
  try {
    for (const [cmd, value] of [["start", "abc"], ["create", "0"], ["create", "1.5"]] as const) {
      const r = spawnSync(process.execPath, [cliPath, cmd, "--cpus", value, "--name", "x"], { encoding: "utf8", env: { ...process.env, TSLIMA_HOME: home } });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`--cpus <n>' argument '${value.replace(".", "\\.")}' is invalid`));
      assert.equal(existsSync(join(home, "x")), false, `${cmd} --cpus ${value} made no instance`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
