import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as embedded from "../../../src/guest/embedded.js";
import { fillPlaceholders } from "../../../src/proc/quote.js";
import { repoRoot } from "../../helpers.js";

const guestDir = join(repoRoot, "src", "guest");

function programFiles(dir = guestDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? programFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [] : [relative(guestDir, join(dir, e.name))]));
}

test("src/guest/embedded.ts, as compiled, holds every guest program exactly as its file (stale: run `npm run build`)", () => {
  const files = programFiles();
  assert.ok(files.length >= 20, `${files.length} guest programs`);
  const byName = new Map(files.map((f) => [f.toUpperCase().replace(/[^A-Z0-9]+/g, "_"), f]));
  assert.deepEqual(Object.keys(embedded).sort(), [...byName.keys()].sort(), "one constant per file, no constant without a file");
  for (const [name, file] of byName) {
    assert.equal((embedded as Record<string, string>)[name], readFileSync(join(guestDir, file), "utf8"), `${name} is src/guest/${file}`);
  }
});

test("fillPlaceholders: each @@NAME@@ gets its value shell-quoted; a missing or an unused value throws", () => {
  assert.equal(fillPlaceholders("A=@@A@@ B=@@B@@\n", { A: "/usr/lib", B: "it's $HOME" }), "A=/usr/lib B='it'\\''s $HOME'\n");
  assert.throws(() => fillPlaceholders("A=@@A@@", {}), /@@A@@ has no value/);
  assert.throws(() => fillPlaceholders("A=1", { A: "x" }), /no placeholder for A/);
  assert.equal(fillPlaceholders("E=@@E@@", { E: "" }), "E=''");
});

test("no guest program is left with an unfilled placeholder where the modules fill them", async () => {
  const { GUEST_PROBE_SCRIPT, GUEST_CLEANUP_SCRIPT } = await import("../../../src/mounts/doctor.js");
  const { SSHFS_HELPER_SH } = await import("../../../src/cidata/scripts/sshfs.js");
  const { RUNNER_SH, LIGHT_BOOT_UNIT, lightBootScript } = await import("../../../src/cidata/scripts/runner.js");
  const { CHECK_UNIT, checkScript } = await import("../../../src/cidata/scripts/check.js");
  const { shWatcherScript, bashWatcherScript } = await import("../../../src/portfwd/watchscript.js");
  for (const text of [GUEST_PROBE_SCRIPT, GUEST_CLEANUP_SCRIPT, SSHFS_HELPER_SH, RUNNER_SH, LIGHT_BOOT_UNIT, lightBootScript(["1"]), CHECK_UNIT, checkScript(["/a"]), shWatcherScript(), bashWatcherScript()]) {
    assert.doesNotMatch(text, /@@[A-Z]/);
  }
});
