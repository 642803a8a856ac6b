import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_LIB } from "../../../src/cidata/index.js";
import { SSHFS_HELPER_SH } from "../../../src/cidata/scripts/sshfs.js";
import { SSHFS_ALLOW, SSHFS_HELPER, sshfsAllowKey, type SshfsTarget } from "../../../src/mounts/sshfs-helper.js";
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
  const helper = ["sudo", "-n", SSHFS_HELPER];
  assert.deepEqual(w.sshfs.target, { location: "/Users/me/my proj", mountPoint: "/Users/me/my proj", options: "dir_cache=no,follow_symlinks" });
  assert.deepEqual(w.sshfs.guestCommand, [...helper, "mount", "/Users/me/my proj", "/Users/me/my proj", "dir_cache=no,follow_symlinks"]);
  assert.deepEqual(w.sshfs.guestPrepare, [...helper, "prepare", "/Users/me/my proj", "/Users/me/my proj", "dir_cache=no,follow_symlinks"]);
  assert.deepEqual(r.sshfs?.guestUnmount, [...helper, "umount", "/ro", "/ro", "dir_cache=yes,ro"]);
  assert.deepEqual(w.expect, { mountPoint: "/Users/me/my proj", fstype: "fuse.sshfs", options: ["rw"] });
});

/** Runs the helper with fake sudo-free tools on PATH: sshfs prints its argv, sha256sum is the real one. */
function runHelper(t: { after(fn: () => void): void }, allowed: SshfsTarget[], args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "tslima-sshfs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const allow = join(dir, "sshfs.allow");
  writeFileSync(allow, allowed.map((a) => `${sshfsAllowKey(a)}\n`).join(""));
  writeFileSync(join(dir, "env.sh"), "TSLIMA_USER=nobody\n");
  writeFileSync(join(dir, "sshfs"), '#!/bin/sh\nif [ "$1" = -h ]; then echo "-o passive"; exit 0; fi\nfor a; do echo "[$a]"; done\n', { mode: 0o755 });
  const script = SSHFS_HELPER_SH.replaceAll(SSHFS_ALLOW, allow).replaceAll(`${GUEST_LIB}/env.sh`, join(dir, "env.sh"));
  return spawnSync("sh", ["-c", script, "sshfs-helper", ...args], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
}

test("reverse-sshfs guest helper: mounts an allowed target (passive/slave, paths as arguments)", (t) => {
  const target = { location: "/h o/st", mountPoint: "/g u/est", options: "dir_cache=yes,ro" };
  const r = runHelper(t, [target], ["mount", target.location, target.mountPoint, target.options]);
  assert.equal(r.stdout, "[:/h o/st]\n[/g u/est]\n[-o]\n[passive]\n[-o]\n[allow_other]\n[-o]\n[dir_cache=yes,ro]\n", r.stderr);
});

test("reverse-sshfs guest helper refuses anything cloud-init did not allow", (t) => {
  const target = { location: "/h", mountPoint: "/mnt/h", options: "dir_cache=yes" };
  for (const args of [
    ["mount", "/h", "/etc", "dir_cache=yes"],
    ["mount", "/h", "/mnt/h", "dir_cache=yes,allow_root"],
    ["prepare", "/", "/mnt/h", "dir_cache=yes"],
    ["umount", "/h", "/", "dir_cache=yes"],
  ]) {
    const r = runHelper(t, [target], args);
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.stderr, /is not a reverse-sshfs mount of this instance/);
    assert.equal(r.stdout, "");
  }
  assert.equal(runHelper(t, [target], ["mount", "/h", "/mnt/h"]).status, 2, "wrong number of arguments");
});
