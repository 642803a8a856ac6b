import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GUEST_LIB } from "../../../src/cidata/index.js";
import { SSHFS_BIN, SSHFS_HELPER_SH } from "../../../src/cidata/scripts/sshfs.js";
import { MOUNTS_SSHFS_HELPER_SH } from "../../../src/guest/embedded.js";
import { fillPlaceholders } from "../../../src/proc/quote.js";
import { SSHFS_ALLOW, SSHFS_HELPER, sshfsAllowKey, type SshfsTarget } from "../../../src/mounts/sshfs-helper.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { sftpServerArgv } from "../../../src/mounts/sftp-confine.js";
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
  const passwd = "/home/alice/.tslima/default/sftp-passwd";
  const server = { sftpServer: "/usr/lib/openssh/sftp-server", passwd, root: false };
  assert.deepEqual(w.sshfs.hostCommand, sftpServerArgv({ ...server, location: "/Users/me/my proj", writable: true }));
  assert.deepEqual(r.sshfs?.hostCommand, sftpServerArgv({ ...server, location: "/ro", writable: false }));
  assert.equal(w.sshfs.hostCommand[0], "bwrap", "confined by default");
  const helper = ["sudo", "-n", SSHFS_HELPER];
  assert.deepEqual(w.sshfs.target, { location: "/Users/me/my proj", mountPoint: "/Users/me/my proj", options: "dir_cache=no,follow_symlinks" });
  assert.deepEqual(w.sshfs.guestCommand, [...helper, "mount", "/Users/me/my proj", "/Users/me/my proj", "dir_cache=no,follow_symlinks"]);
  assert.deepEqual(w.sshfs.guestPrepare, [...helper, "prepare", "/Users/me/my proj", "/Users/me/my proj", "dir_cache=no,follow_symlinks"]);
  assert.deepEqual(r.sshfs?.guestUnmount, [...helper, "umount", "/ro", "/ro", "dir_cache=yes,ro"]);
  assert.deepEqual(w.expect, { mountPoint: "/Users/me/my proj", fstype: "fuse.sshfs", options: ["rw"] });
});

test("reverse-sshfs: root's server keeps only file capabilities; TSLIMA_SSHFS_UNCONFINED=1 runs sftp-server alone", () => {
  const config = testConfig({ mountType: "reverse-sshfs", mounts: [testMount("/ro")] });
  const host = { os: "Linux" as const, uid: 0, home: "/root" };
  const root = mountPlan(config, testPaths, { memoryBytes: 1, host }).mounts[0]?.sshfs?.hostCommand ?? [];
  assert.deepEqual(root.slice(0, 10), ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
  const loose = mountPlan(config, testPaths, { memoryBytes: 1, host, sftpUnconfined: true }).mounts[0]?.sshfs?.hostCommand;
  assert.deepEqual(loose, ["/usr/lib/openssh/sftp-server", "-d", "/ro", "-R"]);
});

/** A scratch directory for the helper's files and mount points (root's, 0700, under the sticky /tmp). */
function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tslima-sshfs-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs the helper with its files in `dir` and a fake sshfs (at SSHFS_BIN's place) that prints its
 * argv; sha256sum, stat, chown, mkdir are the real ones.
 */
function runHelper(dir: string, allowed: SshfsTarget[], args: string[]) {
  const allow = join(dir, "sshfs.allow");
  writeFileSync(allow, allowed.map((a) => `${sshfsAllowKey(a)}\n`).join(""));
  writeFileSync(join(dir, "env.sh"), "TSLIMA_USER=nobody\n");
  writeFileSync(join(dir, "sshfs"), '#!/bin/sh\nif [ "$1" = -h ]; then echo "-o passive"; exit 0; fi\nfor a; do echo "[$a]"; done\n', { mode: 0o755 });
  const script = fillPlaceholders(MOUNTS_SSHFS_HELPER_SH, { GUEST_LIB: dir, ALLOW: allow, SSHFS: join(dir, "sshfs") });
  assert.ok(!script.includes("exec sshfs"), "sshfs is run by its path");
  return spawnSync("sh", ["-c", script, "sshfs-helper", ...args], { encoding: "utf8", env: {} });
}

const isRoot = process.getuid?.() === 0;

test("reverse-sshfs guest helper: mounts an allowed target (passive/slave, paths as arguments)", { skip: !isRoot && "the helper runs as root" }, (t) => {
  const dir = scratch(t);
  mkdirSync(join(dir, "g u", "est"), { recursive: true });
  const target = { location: "/h o/st", mountPoint: join(dir, "g u", "est"), options: "dir_cache=yes,ro" };
  const r = runHelper(dir, [target], ["mount", target.location, target.mountPoint, target.options]);
  assert.equal(r.stdout, `[:/h o/st]\n[${target.mountPoint}]\n[-o]\n[passive]\n[-o]\n[allow_other]\n[-o]\n[dir_cache=yes,ro]\n`, r.stderr);
});

test("reverse-sshfs guest helper: prepare makes the mount point the user's, and follows no link the user could plant", { skip: !isRoot && "the helper runs as root" }, (t) => {
  const dir = scratch(t);
  const nobody = 65534;
  const run = (action: string, mountPoint: string) => {
    const target = { location: "/h", mountPoint, options: "o" };
    return runHelper(dir, [target], [action, target.location, mountPoint, target.options]);
  };
  // missing directories are made: root's above, the user's at the end
  const fresh = join(dir, "a", "b", "mp");
  const made = run("prepare", fresh);
  assert.equal(made.status, 0, made.stderr);
  assert.equal(statSync(fresh).uid, nobody);
  assert.equal(statSync(join(dir, "a", "b")).uid, 0);
  assert.equal(statSync(join(dir, "a", "b")).mode & 0o777, 0o755);

  // what the user can change: a directory of theirs, one anyone may write, a link, a link as the mount point
  const victim = join(dir, "victim");
  mkdirSync(victim, { mode: 0o700 });
  mkdirSync(join(dir, "users"));
  chownSync(join(dir, "users"), nobody, nobody);
  mkdirSync(join(dir, "open"));
  chmodSync(join(dir, "open"), 0o777);
  symlinkSync(victim, join(dir, "link"));
  mkdirSync(join(dir, "safe"));
  symlinkSync(victim, join(dir, "safe", "mp"));
  for (const [mp, why] of [
    [join(dir, "users", "mp"), `${dir}/users is not owned by root`],
    [join(dir, "open", "mp"), `${dir}/open is writable by others than root`],
    [join(dir, "link", "mp"), `${dir}/link is a symbolic link`],
    [join(dir, "safe", "mp"), "it is a symbolic link"],
  ] as const) {
    for (const action of ["prepare", "mount", "umount"]) {
      const r = run(action, mp);
      assert.equal(r.status, 1, `${action} ${mp}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr, `tslima: refusing mount point ${mp}: ${why}\n`);
      assert.equal(r.stdout, "", "sshfs did not run");
    }
  }
  assert.equal(statSync(victim).uid, 0, "the link's target kept its owner");
  assert.deepEqual(readdirSync(victim), []);

  // a sticky directory (/tmp): the mount point is root's, so the user cannot swap it for a link
  const sticky = join(dir, "sticky");
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  mkdirSync(join(sticky, "theirs"));
  chownSync(join(sticky, "theirs"), nobody, nobody);
  for (const name of ["new", "theirs"]) {
    const r = run("prepare", join(sticky, name));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(join(sticky, name)).uid, 0, name);
    assert.equal(run("mount", join(sticky, name)).status, 0);
  }
  symlinkSync(victim, join(sticky, "planted"));
  const planted = run("prepare", join(sticky, "planted"));
  assert.equal(planted.stderr, `tslima: refusing mount point ${join(sticky, "planted")}: it is a symbolic link\n`);
  assert.equal(statSync(victim).uid, 0);
});

test("reverse-sshfs guest helper refuses anything cloud-init did not allow", (t) => {
  const target = { location: "/h", mountPoint: "/mnt/h", options: "dir_cache=yes" };
  for (const args of [
    ["mount", "/h", "/etc", "dir_cache=yes"],
    ["mount", "/h", "/mnt/h", "dir_cache=yes,allow_root"],
    ["prepare", "/", "/mnt/h", "dir_cache=yes"],
    ["umount", "/h", "/", "dir_cache=yes"],
  ]) {
    const r = runHelper(scratch(t), [target], args);
    assert.equal(r.status, 1, args.join(" "));
    assert.match(r.stderr, /is not a reverse-sshfs mount of this instance/);
    assert.equal(r.stdout, "");
  }
  assert.equal(runHelper(scratch(t), [target], ["mount", "/h", "/mnt/h"]).status, 2, "wrong number of arguments");
});

test("the helper cloud-init writes has the guest's paths filled in and is valid sh", () => {
  assert.match(SSHFS_HELPER_SH, new RegExp(`^LIB=${GUEST_LIB} ALLOW=${SSHFS_ALLOW} SSHFS=${SSHFS_BIN}$`, "m"));
  assert.equal(spawnSync("sh", ["-n"], { input: SSHFS_HELPER_SH }).status, 0);
});
