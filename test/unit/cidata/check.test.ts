import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { userData } from "../../../src/cidata/index.js";
import { CHECK_DROPIN_PATH, CHECK_SH_PATH, CHECK_UNIT_PATH, SUDOERS_PATH } from "../../../src/cidata/scripts/check.js";
import { CIDATA_CHECK_REPAIR_PY } from "../../../src/guest/embedded.js";
import { sampleConfig, sampleContext } from "./sample.js";

interface Doc {
  write_files: Array<{ path: string; content: string; permissions: string }>;
}

/** The value check.sh gives NAME in its assignments at the top (evaluated by sh, so the quoting is checked too). */
function assigned(script: string, name: string): string {
  const head = script.slice(0, script.indexOf('\nbroken=""'));
  const r = spawnSync("sh", ["-c", `${head}\nprintf %s "$${name}"`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function checkFiles() {
  const doc = parse(userData(sampleConfig(), sampleContext())) as Doc;
  const file = (p: string) => doc.write_files.find((f) => f.path === p);
  const script = file(CHECK_SH_PATH)?.content ?? "";
  const kept = assigned(script, "FILES").split("\n");
  return { doc, file, script, kept };
}

test("the boot check keeps the host key, the user's authorized_keys, its sudoers rule and every file tslima writes", () => {
  const { doc, file, script, kept } = checkFiles();
  assert.equal(file(CHECK_SH_PATH)?.permissions, "0755");
  for (const p of ["/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ed25519_key.pub", "/home/alice.linux/.ssh/authorized_keys", SUDOERS_PATH]) {
    assert.ok(kept.includes(p), `${p} is checked`);
  }
  for (const f of doc.write_files) if (f.content !== "") assert.ok(kept.includes(f.path), `${f.path} is checked`);
  assert.match(script, /blkid -L cidata/, "the repair reads the cidata by its label");
  assert.match(script, /\| tee -a "\$REPAIRED"/, "what was repaired is kept for the boot's last readiness step");
  assert.equal(assigned(script, "REPAIRED"), "/run/tslima/repaired");
});

test("the check runs before sshd and tslima-boot.service, after cloud-init's network stage (which rewrites on a new instance-id)", () => {
  const { file } = checkFiles();
  const unit = file(CHECK_UNIT_PATH)?.content ?? "";
  assert.match(unit, /^Before=.*\bssh\.service\b.*\btslima-boot\.service\b/m);
  assert.match(unit, /^After=.*\bcloud-init\.service\b/m);
  assert.match(unit, /^Type=oneshot$/m);
  const dropin = file(CHECK_DROPIN_PATH)?.content ?? "";
  assert.match(dropin, /^Wants=tslima-check\.service$/m);
  assert.match(dropin, /^After=tslima-check\.service$/m);
});

test("check.sh is valid sh and its repair valid Python", () => {
  const { script } = checkFiles();
  const sh = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
  assert.equal(sh.status, 0, sh.stderr);
  const py = assigned(script, "REPAIR_PY");
  assert.equal(py, CIDATA_CHECK_REPAIR_PY, "the repair reaches python3 as written in src/guest/cidata/check-repair.py");
  assert.match(script, /^python3 -c "\$REPAIR_PY" "\$mnt\/user-data" "\$SUDOERS"/m);
  assert.equal(assigned(script, "SUDOERS"), SUDOERS_PATH);
  const compiled = spawnSync("python3", ["-c", "import ast, sys; ast.parse(sys.stdin.read())"], { input: py, encoding: "utf8" });
  if (compiled.error !== undefined) return; // no python3 on this host: the e2e runs it in the guest
  assert.equal(compiled.status, 0, compiled.stderr);
});
