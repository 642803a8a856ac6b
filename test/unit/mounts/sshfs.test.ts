import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mountPlan } from "../../../src/mounts/index.js";
import { testConfig, testMount, testPaths } from "./testconfig.js";

test("reverse-sshfs: no QEMU args, no fstab, guest and host commands as data", () => {
  const m = testMount("/Users/me/my proj", { writable: true });
  m.sshfs = { cache: false, followSymlinks: true, sftpDriver: "openssh-sftp-server" };
  const plan = mountPlan(testConfig({ mountType: "reverse-sshfs", mounts: [m, testMount("/ro")] }), testPaths, { memoryBytes: 1 });
  assert.deepEqual(plan.qemuArgs, []);
  const [w, r] = plan.mounts;
  assert.ok(w && r);
  assert.deepEqual(w.qemuArgs, []);
  assert.equal(w.fstab, undefined);
  assert.equal(w.tag, "");
  assert.ok(w.sshfs);
  assert.deepEqual(w.sshfs.hostCommand, ["/usr/lib/openssh/sftp-server"]);
  assert.deepEqual(r.sshfs?.hostCommand, ["/usr/lib/openssh/sftp-server", "-R"]);
  assert.deepEqual(w.sshfs.guestCommand.slice(0, 3), ["sudo", "sh", "-c"]);
  assert.deepEqual(w.sshfs.guestCommand.slice(4), ["tslima-sshfs", "/Users/me/my proj", "/Users/me/my proj", "dir_cache=no,follow_symlinks"]);
  assert.equal(r.sshfs?.guestCommand[7], "dir_cache=yes,ro");
  assert.deepEqual(w.expect, { mountPoint: "/Users/me/my proj", fstype: "fuse.sshfs", options: ["rw"] });
});

test("reverse-sshfs guest script picks passive/slave and passes paths as arguments", (t) => {
  const m = testMount("/h o/st", { mountPoint: "/g u/est" });
  const p = mountPlan(testConfig({ mountType: "reverse-sshfs", mounts: [m] }), testPaths, { memoryBytes: 1 }).mounts[0];
  const script = p?.sshfs?.guestCommand[3];
  assert.ok(script);
  // run the script with a fake sshfs on PATH that prints its argv
  const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
  if (!dir) return t.skip("mktemp missing");
  t.after(() => spawnSync("rm", ["-rf", dir]));
  spawnSync("sh", ["-c", `printf '#!/bin/sh\\nif [ "$1" = -h ]; then echo "-o passive"; exit 0; fi\\nfor a; do echo "[$a]"; done\\n' > ${dir}/sshfs; chmod +x ${dir}/sshfs`]);
  const args = p.sshfs?.guestCommand.slice(4) ?? [];
  const r = spawnSync("sh", ["-c", script, ...args], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
  assert.equal(r.stdout, "[:/h o/st]\n[/g u/est]\n[-o]\n[passive]\n[-o]\n[allow_other]\n[-o]\n[dir_cache=yes,ro]\n");
});
