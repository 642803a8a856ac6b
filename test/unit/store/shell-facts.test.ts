import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instancePaths } from "../../../src/store/paths.js";
import { parseShellFacts, readShellFacts, writeShellFacts } from "../../../src/store/shell-facts.js";

test("shell.json round-trips the guest home and the mounts (location and mount point only)", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-facts-"));
  try {
    const paths = instancePaths(home, "vm");
    mkdirSync(paths.dir);
    assert.equal(readShellFacts(paths), undefined, "no record yet");
    const mount = { location: "/home/u", mountPoint: "/mnt/u", writable: true };
    writeShellFacts(paths, { home: "/home/u.guest", mounts: [mount] });
    assert.deepEqual(readShellFacts(paths), { home: "/home/u.guest", mounts: [{ location: "/home/u", mountPoint: "/mnt/u" }] });
    writeFileSync(paths.shellFacts, "{");
    assert.equal(readShellFacts(paths), undefined, "a broken record counts as none");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("parseShellFacts takes only the expected shape", () => {
  assert.deepEqual(parseShellFacts('{"home":"/h","mounts":[]}'), { home: "/h", mounts: [] });
  for (const bad of ["null", "[]", '{"home":1,"mounts":[]}', '{"home":"/h"}', '{"home":"/h","mounts":[{"location":"/a"}]}', '{"home":"/h","mounts":[null]}']) {
    assert.equal(parseShellFacts(bad), undefined, bad);
  }
});
