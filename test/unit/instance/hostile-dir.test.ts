/** doctor's scratch directory on the host (issue 24): names a guest plants (symlinks, FIFOs, swapped directories) are never followed. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HostileDir } from "../../../src/instance/hostile-dir.js";

function sandbox(): { root: string; secret: string; [Symbol.dispose](): void } {
  const root = mkdtempSync(join(tmpdir(), "tslima-hostile-"));
  const secret = join(root, "secret");
  mkdirSync(secret);
  writeFileSync(join(secret, "key"), "host secret\n");
  return { root, secret, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}

test("create makes the directory 0700 and refuses a name that exists (a planted symlink too)", () => {
  using s = sandbox();
  const d = HostileDir.create(join(s.root, "scratch"));
  assert.equal(statSync(d.path).mode & 0o777, 0o700);
  d.createFile("host.txt", "from-host\n", 0o755, 1500000000);
  const st = statSync(join(d.path, "host.txt"));
  assert.equal(st.mode & 0o777, 0o755);
  assert.equal(Math.floor(st.mtimeMs / 1000), 1500000000);
  symlinkSync(join(s.secret, "key"), join(d.path, "planted"));
  assert.throws(() => d.createFile("planted", "overwrite\n", 0o644), /EEXIST/);
  assert.equal(readFileSync(join(s.secret, "key"), "utf8"), "host secret\n", "the link's target is untouched");
  symlinkSync(s.secret, join(s.root, "linked-scratch"));
  assert.throws(() => HostileDir.create(join(s.root, "linked-scratch")), /EEXIST/);
  assert.throws(() => HostileDir.open(join(s.root, "linked-scratch")), /ELOOP|ENOTDIR/);
  d.close();
});

test("readSmall reads regular files only, at most max bytes; lstat and dir never follow", () => {
  using s = sandbox();
  const d = HostileDir.create(join(s.root, "scratch"));
  writeFileSync(join(d.path, "gw.txt"), "from-guest\n");
  writeFileSync(join(d.path, "big"), "x".repeat(10_000));
  symlinkSync(join(s.secret, "key"), join(d.path, "link"));
  symlinkSync("/dev/zero", join(d.path, "zero"));
  symlinkSync(s.secret, join(d.path, "sub"));
  assert.equal(spawnSync("mkfifo", [join(d.path, "fifo")]).status, 0);
  assert.equal(d.readSmall("gw.txt"), "from-guest\n");
  assert.equal(d.readSmall("big", 100)?.length, 100);
  assert.equal(d.readSmall("link"), undefined, "a symlink is not followed");
  assert.equal(d.readSmall("zero"), undefined);
  assert.equal(d.readSmall("fifo"), undefined, "a FIFO is not waited on");
  assert.equal(d.readSmall("missing"), undefined);
  assert.equal(d.lstat("link")?.isSymbolicLink(), true);
  assert.equal(d.dir("sub"), undefined, "a symlink to a directory is no directory");
  assert.throws(() => d.readSmall("../secret/key"), /not an entry name/);
  assert.equal(spawnSync("cat", [d.entryPath("gw.txt")], { encoding: "utf8" }).stdout, "from-guest\n", "entryPath works for a child process");
  assert.equal(spawnSync("readlink", [d.entryPath("link")], { encoding: "utf8" }).stdout, `${join(s.secret, "key")}\n`);
  d.close();
});

test("removeAll removes nested entries and symlinks themselves, never what they point to", () => {
  using s = sandbox();
  const d = HostileDir.create(join(s.root, "scratch"));
  mkdirSync(join(d.path, "root", ".virtfs_metadata"), { recursive: true });
  writeFileSync(join(d.path, "root", ".virtfs_metadata", "own"), "m");
  writeFileSync(join(d.path, "root", "f"), "x");
  symlinkSync(s.secret, join(d.path, "root", "escape"));
  symlinkSync(join(s.secret, "key"), join(d.path, "keylink"));
  assert.equal(d.removeAll(), true);
  assert.equal(existsSync(d.path), false);
  assert.equal(readFileSync(join(s.secret, "key"), "utf8"), "host secret\n", "the linked directory's files are left alone");
  assert.ok(lstatSync(s.secret).isDirectory());
  const gone = HostileDir.create(join(s.root, "gone"));
  rmSync(gone.path, { recursive: true });
  assert.equal(gone.removeAll(), true, "removed already (by the guest's cleanup): fine");
});
