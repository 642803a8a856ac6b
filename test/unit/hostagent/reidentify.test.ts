import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureVmGenId, identityDue, newMachineId, pinSnapshotHostKey, REIDENTIFY_SCRIPT } from "../../../src/hostagent/reidentify.js";
import { instancePaths } from "../../../src/store/paths.js";
import { knownHostsLine } from "../../../src/ssh/hostkey.js";

test("REIDENTIFY_SCRIPT: installs the host key from stdin and the machine-id, restarts sshd; stops at the first failure", () => {
  const s = REIDENTIFY_SCRIPT;
  assert.match(s, /^set -e\ntrap '' HUP PIPE\numask 077\n/m, "stops at the first failure; a dropped session does not stop it");
  assert.match(s, /cat > "\$k\.tslima"; test -s "\$k\.tslima"; mv -f "\$k\.tslima" "\$k"/, "the key comes on stdin, never in argv");
  assert.match(s, /printf "%s\\n" "\$1" > \/etc\/machine-id/);
  assert.match(s, /rm -f \/etc\/ssh\/ssh_host_rsa_key /, "no other host key the snapshot's guest had");
  assert.ok(s.indexOf("systemctl restart ssh") > s.indexOf('mv -f "$k.tslima"'), "sshd restarts with the new key in place");
  const sh = spawnSync("sh", ["-n", "-c", s], { encoding: "utf8" });
  assert.equal(sh.status, 0, sh.stderr);
});

test("newMachineId: 32 lowercase hex digits, a new one each time", () => {
  const a = newMachineId();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(newMachineId(), a);
});

test("ensureVmGenId: made once and kept; a file that is not a UUID is replaced", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-vmgenid-"));
  try {
    const paths = instancePaths(home, "a");
    for (const n of ["a", "b"]) mkdirSync(join(home, n));
    const id = ensureVmGenId(paths);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(ensureVmGenId(paths), id, "kept across boots");
    assert.notEqual(ensureVmGenId(instancePaths(home, "b")), id, "each instance its own");
    writeFileSync(paths.vmgenid, "x,guid=1\n");
    const again = ensureVmGenId(paths);
    assert.notEqual(again, id);
    assert.equal(readFileSync(paths.vmgenid, "utf8"), `${again}\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("identityDue and pinSnapshotHostKey: a resume pins the snapshot's key until the guest has its own identity; a cold boot keeps the instance's key pinned, the identity still due", () => {
  const home = mkdtempSync(join(tmpdir(), "tslima-pin-"));
  try {
    const paths = instancePaths(home, "a");
    mkdirSync(paths.dir);
    const own = "ssh-ed25519 AAAAOwnKey tslima-host-a";
    const snap = "ssh-ed25519 AAAASnapshotKey tslima-host-src";
    writeFileSync(paths.knownHosts, `${knownHostsLine("a", own)}\n`);
    assert.equal(identityDue(paths), false, "an instance of its own: nothing to do");
    assert.equal(readFileSync(paths.knownHosts, "utf8"), `${knownHostsLine("a", own)}\n`);
    writeFileSync(paths.resumeHostKey, `${snap}\n`);
    assert.equal(identityDue(paths), true, "machine-id and MAC still due");
    assert.equal(readFileSync(paths.knownHosts, "utf8"), `${knownHostsLine("a", own)}\n`, "cloud-init gives the booting guest the instance's own key");
    pinSnapshotHostKey(paths); // a resume (not a cold boot) reaches the saved guest with the snapshot's key
    assert.equal(readFileSync(paths.knownHosts, "utf8"), "lima-a ssh-ed25519 AAAASnapshotKey\n");
    assert.equal(existsSync(paths.resumeHostKey), true, "kept until the guest has its own identity");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
