/**
 * The guest half of provision mode yq (src/guest/hostagent/yq-apply.sh) run for real as root, with
 * the runner it sources, in a temporary directory: read, write (the runner's data step), fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CIDATA_RUNNER_SH, HOSTAGENT_YQ_APPLY_SH } from "../../../src/guest/embedded.js";
import { fillPlaceholders } from "../../../src/proc/quote.js";

const nobody = spawnSync("id", ["-u", "nobody"], { encoding: "utf8" });
const skip = process.getuid?.() !== 0 ? "needs root (chown, runuser)" : nobody.status !== 0 ? "needs the user nobody" : false;

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "tslima-yq-"));
  chmodSync(root, 0o755); // as the guest's /etc: others may pass
  const lib = join(root, "lib");
  mkdirSync(lib);
  const log = join(root, "provision.log");
  const runner = fillPlaceholders(CIDATA_RUNNER_SH, { GUEST_LIB: lib, READY_FILE: join(root, "ready"), PROVISION_LOG: log }).replaceAll("/run/tslima", join(root, "state"));
  writeFileSync(join(lib, "runner.sh"), runner);
  writeFileSync(join(lib, "env.sh"), "TSLIMA_USER=root TSLIMA_USER_HOME=/root TSLIMA_USER_SHELL=/bin/sh TSLIMA_USER_UID=0\n");
  writeFileSync(join(root, "ready"), "");
  const script = fillPlaceholders(HOSTAGENT_YQ_APPLY_SH, { GUEST_LIB: lib, PROVISION_LOG: log, MAX_BYTES: "64" });
  const run = (args: string[], input?: string) => spawnSync("sh", ["-c", script, "tslima-yq", ...args], { encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  const failures = () => {
    try {
      return readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { mode: string; index: number; what: string });
    } catch {
      return [];
    }
  };
  return { root, run, failures, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test("yq-apply.sh: read absent/present, write with owner and permissions, the runner's ready file kept", { skip }, (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  const f = join(s.root, "etc/app/conf.yaml");
  assert.equal(s.run(["read", "3", f, "root:root"]).stdout, "absent\n");
  const w = s.run(["write", "3", f, "nobody:root", "640"], "a: 1\n");
  assert.equal(w.status, 0, w.stderr);
  assert.equal(readFileSync(f, "utf8"), "a: 1\n");
  const st = statSync(f);
  assert.deepEqual([st.mode & 0o777, st.uid], [0o640, Number(nobody.stdout.trim())]);
  assert.equal(s.run(["read", "3", f, "nobody:root"]).stdout, "present\na: 1\n");
  assert.deepEqual(s.failures(), []);
  assert.equal(statSync(join(s.root, "ready")).isFile(), true, "sourcing the runner for its functions leaves the ready file");
});

test("yq-apply.sh: failures are mode yq lines of the provisioning report", { skip }, (t) => {
  const s = sandbox();
  t.after(s.cleanup);
  mkdirSync(join(s.root, "dir"));
  assert.equal(s.run(["read", "1", join(s.root, "dir"), "root"]).status, 1);
  writeFileSync(join(s.root, "big.yaml"), "x".repeat(65));
  assert.equal(s.run(["read", "2", join(s.root, "big.yaml"), "root"]).status, 1);
  // a file root must not read for nobody: the read runs as the owner's user
  writeFileSync(join(s.root, "secret.yaml"), "k: v\n", { mode: 0o600 });
  assert.equal(s.run(["read", "4", join(s.root, "secret.yaml"), "nobody"]).status, 1);
  // root's file under a directory nobody owns: refused by the data step
  const theirs = join(s.root, "theirs");
  mkdirSync(theirs);
  chownSync(theirs, Number(nobody.stdout.trim()), 0);
  s.run(["write", "5", join(theirs, "x.yaml"), "root:root", "644"], "a: 1\n");
  assert.equal(s.run(["fail", "6", "expression bad"]).status, 0);
  assert.deepEqual(s.failures().map((x) => [x.mode, x.index]), [["yq", 1], ["yq", 2], ["yq", 4], ["yq", 5], ["yq", 6]]);
  assert.match(s.failures()[3]?.what ?? "", /belongs to uid/);
  assert.equal(s.failures()[4]?.what, "expression bad");
});
