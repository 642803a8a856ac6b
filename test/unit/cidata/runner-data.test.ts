/**
 * The runner's data step (issue 24) run for real as root: nothing a guest user controls is followed
 * as root. The step's own functions are cut out of RUNNER_SH and run with sh, against directories
 * and symlinks `nobody` owns.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNNER_SH } from "../../../src/cidata/scripts/runner.js";

const nobody = spawnSync("id", ["-u", "nobody"], { encoding: "utf8" });
const skip = process.getuid?.() !== 0 ? "needs root (chown, runuser)" : nobody.status !== 0 ? "needs the user nobody" : false;
const NOBODY = Number(nobody.stdout.trim());

/** RUNNER_SH's text from the line starting with `from` up to the one starting with `to`. */
function cut(from: string, to: string): string {
  const a = RUNNER_SH.indexOf(from);
  const b = RUNNER_SH.indexOf(to, a);
  assert.ok(a >= 0 && b > a, `${from} .. ${to} in RUNNER_SH`);
  return RUNNER_SH.slice(a, b);
}

/** Runs `data 0 PATH OWNER MODE OVERWRITE` with `content` as $LIB/data/0; the failures it logged. */
function data(root: string, path: string, owner: string, mode: string, content = "from the template\n", overwrite = "true"): string[] {
  const lib = join(root, "lib");
  mkdirSync(join(lib, "data"), { recursive: true });
  writeFileSync(join(lib, "data", "0"), content);
  const failures = join(root, "failures");
  writeFileSync(failures, "");
  const script = ["set -u", `LIB=${lib} FAILURES=${failures}`, cut("say() {", "# env.sh holds"), cut("# failure MODE", "# hosts_entry"), cut("# data_dir DIR", "# script MODE"), 'data 0 "$@"'].join("\n");
  const r = spawnSync("sh", ["-c", script, "sh", path, owner, mode, overwrite], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(failures, "utf8").split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { what: string }).what);
}

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "tslima-data-"));
  chmodSync(root, 0o755);
  const secret = join(root, "secret");
  mkdirSync(secret);
  writeFileSync(join(secret, "shadow"), "root only\n");
  const user = join(root, "u");
  mkdirSync(user);
  chownSync(user, NOBODY, NOBODY);
  return { root, secret, user, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}

test("data in root's directories: made, written through an O_EXCL temporary, mode and owner set, no temporary left", { skip }, () => {
  using s = sandbox();
  const dst = join(s.root, "etc/app/conf");
  assert.deepEqual(data(s.root, dst, "root:root", "640"), []);
  assert.equal(readFileSync(dst, "utf8"), "from the template\n");
  assert.equal(statSync(dst).mode & 0o777, 0o640);
  assert.deepEqual(data(s.root, dst, "root:root", "600", "kept\n", "false"), [], "overwrite false: left alone");
  assert.equal(readFileSync(dst, "utf8"), "from the template\n");
  assert.equal(spawnSync("sh", ["-c", `ls -A ${join(s.root, "etc/app")}`], { encoding: "utf8" }).stdout, "conf\n");
});

test("a symlink a user planted at PATH in a sticky directory is replaced, its target untouched", { skip }, () => {
  using s = sandbox();
  const sticky = join(s.root, "tmp");
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  symlinkSync(join(s.secret, "shadow"), join(sticky, "f"));
  assert.deepEqual(data(s.root, join(sticky, "f"), "root:root", "644"), []);
  assert.equal(lstatSync(join(sticky, "f")).isFile(), true);
  assert.equal(readFileSync(join(s.secret, "shadow"), "utf8"), "root only\n");
});

test("a user's symlink on the way is not followed as root: refused when the file is another owner's", { skip }, () => {
  using s = sandbox();
  symlinkSync(s.secret, join(s.user, "link"));
  lchown(join(s.user, "link"));
  const failed = data(s.root, join(s.user, "link/shadow"), "root:root", "644", "owned\n");
  assert.equal(failed.length, 1);
  assert.match(failed[0] ?? "", /belongs to uid \d+, not to the file's owner root:root/);
  assert.equal(readFileSync(join(s.secret, "shadow"), "utf8"), "root only\n");
  const sticky = join(s.root, "tmp");
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  symlinkSync(s.secret, join(sticky, "l"));
  lchown(join(sticky, "l"));
  assert.equal(data(s.root, join(sticky, "l/new"), "root:root", "644").length, 1, "a user's symlink in /tmp");
  assert.equal(existsSync(join(s.secret, "new")), false);
});

test("under the owner's own directory the write runs as that user (their symlinks get only their rights)", { skip }, () => {
  using s = sandbox();
  assert.deepEqual(data(s.root, join(s.user, ".config/app/rc"), "nobody", "600"), []);
  const st = statSync(join(s.user, ".config/app/rc"));
  assert.equal(st.uid, NOBODY);
  assert.equal(st.mode & 0o777, 0o600);
  symlinkSync(join(s.secret, "shadow"), join(s.user, "evil"));
  lchown(join(s.user, "evil"));
  assert.equal(data(s.root, join(s.user, "evil"), "nobody", "644").length, 0, "the link itself is replaced by the user's file");
  assert.equal(readFileSync(join(s.secret, "shadow"), "utf8"), "root only\n");
  assert.equal(lstatSync(join(s.user, "evil")).isFile(), true);
});

test("a directory on the way writable by group or others (not sticky) is refused", { skip }, () => {
  using s = sandbox();
  const shared = join(s.root, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  assert.match(data(s.root, join(shared, "f"), "root:root", "644")[0] ?? "", /no root-owned directory/);
  assert.equal(existsSync(join(shared, "f")), false);
});

function lchown(p: string): void {
  assert.equal(spawnSync("chown", ["-h", `${NOBODY}:${NOBODY}`, p]).status, 0);
}
