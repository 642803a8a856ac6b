/**
 * `limactl shell --sync DIR` (issue 26) end to end, on ONE small VM without mounts (a clone of the
 * run's base snapshot), driven as Lima's hack/bats/tests/shell-sync.bats drives it: the command
 * runs at DIR's path under the guest home (a path with spaces and quotes); with --yes its edits, new
 * directories and files, deletions, chmod and a retargeted link come back, a chown in the guest does
 * not (the host's files stay the invoking user's), the guest's copy goes and its parent stays; with
 * no terminal and no --yes the changes come back too (Lima's rule), also without a ControlMaster
 * socket; on a terminal (a pty from util-linux `script`) they are asked about: "view" lists and
 * diffs them, "n" keeps DIR as it was, "y" copies them back; a failing command copies nothing back
 * and leaves the guest's copy; the library's
 * `apply: "no"` copies nothing back; a hostile guest's links out of DIR and set-user-ID bits do not
 * reach the host, the file outside DIR they point to is untouched, and a directory the guest puts
 * in place of one of DIR's own links replaces the link instead of being written through it. The first sync installs rsync
 * in the guest (the test image has none).
 */
import { logLines } from "../support/logrus.js";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { shell, shellJoin } from "../../src/shell.js";
import { instancePaths } from "../../src/store/paths.js";
import { Cli, FileGuest, type Run } from "./harness.js";

const NAME = "sync26";
const cli = new Cli("shell-sync");
const guest = new FileGuest(cli);

/** The messages of limactl's log lines on stderr, one a line. */
const said = (stderr: string): string => logLines(stderr).map((l) => l.msg).join("\n");

/** Runs bin/limactl.js in `cwd` with no terminal (stdin empty); never rejects. */
function limactl(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "limactl.js"), ...args], { cwd, env: cli.env(), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.once("close", (code) => resolve({ code: code ?? 128, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** A fresh project directory under the test's root, with the files every test starts from. */
function project(name: string): string {
  const dir = join(cli.root, name, "proj");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "foo.txt"), "foo\n");
  writeFileSync(join(dir, "gone.txt"), "x\n");
  writeFileSync(join(dir, "perm.sh"), "#!/bin/sh\n");
  chmodSync(join(dir, "perm.sh"), 0o644);
  writeFileSync(join(dir, "target_a.txt"), "a\n");
  writeFileSync(join(dir, "target_b.txt"), "b\n");
  symlinkSync("target_a.txt", join(dir, "link.txt"));
  return dir;
}

before(() => guest.boot({ from: "base-snapshot", name: NAME }).then(() => undefined), { timeout: 20 * 60_000 });
after(() => guest[Symbol.asyncDispose]());

test("limactl shell --sync . --yes: the command runs at DIR's path under the guest home and its changes come back", { timeout: 20 * 60_000 }, async () => {
  const dir = project(`sync 'q' "x"`);
  const script = [
    "pwd",
    "echo modified > foo.txt",
    "rm gone.txt",
    "mkdir -p new_dir && echo new > new_dir/new.txt",
    "chmod 744 perm.sh",
    "ln -snf target_b.txt link.txt",
    "sudo chown 4321:4321 target_a.txt",
  ].join(" && ");
  const r = ok(await limactl(["shell", "--sync", ".", "--yes", NAME, "sh", "-c", script], dir), "shell --sync");
  const guestDir = r.stdout.trim().split("\n")[0] ?? "";
  assert.match(guestDir, /^\/home\/[^/]+/);
  assert.ok(guestDir.endsWith(dir), `guest pwd ${guestDir} ends with ${dir}`);
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "modified\n");
  assert.ok(!existsSync(join(dir, "gone.txt")));
  assert.equal(readFileSync(join(dir, "new_dir", "new.txt"), "utf8"), "new\n");
  assert.equal(statSync(join(dir, "perm.sh")).mode & 0o7777, 0o744);
  assert.equal(readlinkSync(join(dir, "link.txt")), "target_b.txt");
  assert.equal(statSync(join(dir, "target_a.txt")).uid, process.getuid?.(), "the guest's chown does not reach the host");
  assert.match(said(r.stderr), /copied back to .*: 2 added, 1 deleted, 2 modified, 1 with new metadata$/m, "the owner is no change: it does not come back");
  // the guest's copy is removed, the directories above it stay
  const parent = guestDir.slice(0, guestDir.lastIndexOf("/"));
  ok(await limactl(["shell", NAME, "sh", "-c", `test ! -e "$1" && test -d "$2"`, "sh", guestDir, parent], cli.root), "the guest copy's removal");
});

/**
 * Runs `limactl ARGS` in `cwd` on a terminal (util-linux `script` gives it a pty), typing each of
 * `answers` once the question has been asked that many times; resolves with everything shown.
 */
function onTerminal(args: string[], cwd: string, answers: string[]): Promise<{ code: number; shown: string }> {
  const cmd = shellJoin([process.execPath, join(repoRoot, "bin", "limactl.js"), ...args]);
  return new Promise((resolve) => {
    const child = spawn("script", ["-q", "-e", "-c", cmd, "/dev/null"], { cwd, env: cli.env(), stdio: ["pipe", "pipe", "pipe"] });
    let shown = "";
    let asked = 0;
    const timer = setTimeout(() => child.kill("SIGKILL"), 5 * 60_000);
    const take = (b: Buffer): void => {
      shown += b.toString("utf8");
      const questions = shown.split("Copy the changes back").length - 1;
      while (asked < questions && asked < answers.length) child.stdin.write(`${answers[asked++]}\n`);
      if (asked === answers.length && questions > answers.length) child.kill("SIGKILL");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, shown });
    });
  });
}

test("on a terminal the changes are asked about: view lists and diffs them, no keeps DIR, yes copies them back", { timeout: 10 * 60_000 }, async () => {
  const dir = project("terminal");
  const no = await onTerminal(["shell", "--sync", ".", NAME, "sh", "-c", "echo declined > foo.txt"], dir, ["n"]);
  assert.equal(no.code, 0, no.shown);
  assert.match(no.shown, /Copy the changes back to .*\(1 modified\) \[y\]es, \[n\]o, \[v\]iew/);
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "foo\n");
  const yes = await onTerminal(["shell", "--sync", ".", NAME, "sh", "-c", "echo accepted > foo.txt && touch added.txt"], dir, ["v", "y"]);
  assert.equal(yes.code, 0, yes.shown);
  assert.match(yes.shown, />f\+{9} added\.txt/, "view lists the itemized changes");
  assert.match(yes.shown, /^\+accepted/m, "view shows the diff");
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "accepted\n");
  assert.ok(existsSync(join(dir, "added.txt")));
});

test("no terminal and no --yes copies back as Lima does, also without a ControlMaster socket; a failing command copies nothing back", { timeout: 10 * 60_000 }, async () => {
  const dir = project("notty");
  rmSync(instancePaths(cli.home, NAME).sshSock, { force: true });
  ok(await limactl(["shell", "--sync", dir, NAME, "sh", "-c", "echo again > foo.txt"], cli.root), "shell --sync without a terminal");
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "again\n");
  const failed = await limactl(["shell", "--sync", ".", NAME, "sh", "-c", "echo lost > foo.txt; exit 3"], dir);
  assert.equal(failed.code, 3, failed.stderr);
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "again\n");
  const kept = /stays in [^:]+:(\S.*)$/m.exec(said(failed.stderr))?.[1];
  assert.ok(kept !== undefined, failed.stderr);
  ok(await limactl(["shell", NAME, "sh", "-c", `test "$(cat "$1"/foo.txt)" = lost`, "sh", kept], cli.root), "the guest copy kept after a failure");
});

test("the library: sync { apply: \"no\" } leaves DIR as it was; --sync refuses a shallow directory and --workdir", { timeout: 10 * 60_000 }, async () => {
  const dir = project("library");
  const code = await shell(NAME, ["sh", "-c", "echo no > foo.txt"], { home: cli.home, cwd: dir, sync: { dir: ".", apply: "no" } });
  assert.equal(code, 0);
  assert.equal(readFileSync(join(dir, "foo.txt"), "utf8"), "foo\n");
  const shallow = await limactl(["shell", "--sync", "/tmp", NAME, "true"], cli.root);
  assert.equal(shallow.code, 1);
  assert.match(shallow.stderr, /fewer than 3[\s\S]*ERR_TSLIMA_SHELL_SYNC/);
  const both = await limactl(["shell", "--sync", dir, "--workdir", "/tmp", NAME, "true"], cli.root);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--workdir and --sync/);
});

test("a hostile guest: links out of DIR and set-user-ID bits do not reach the host", { timeout: 10 * 60_000 }, async () => {
  const dir = project("hostile");
  const outside = join(cli.root, "hostile", "outside.txt");
  writeFileSync(outside, "outside\n");
  mkdirSync(join(cli.root, "hostile", "outdir"));
  symlinkSync("../outdir", join(dir, "hostlink"));
  const script = [
    "ln -s /etc/passwd abs",
    "ln -s ../outside.txt up",
    "mkdir d && ln -s ../../outside.txt d/up2 && ln -s ../foo.txt d/in",
    "rm -rf new && ln -s .. new",
    "sudo cp /bin/true suid && sudo chmod 4755 suid",
    "rm hostlink && mkdir hostlink && echo evil > hostlink/f",
  ].join(" && ");
  const r = ok(await limactl(["shell", "--sync", ".", "--yes", NAME, "sh", "-c", script], dir), "shell --sync (hostile)");
  for (const l of ["abs", "up", "d/up2", "new"]) {
    assert.ok(!lstatExists(join(dir, l)), `${l} is not copied back`);
    assert.match(r.stderr, new RegExp(`not copied back: ${l} ->`));
  }
  assert.equal(readlinkSync(join(dir, "d", "in")), "../foo.txt", "a link inside DIR comes back");
  assert.equal(readFileSync(outside, "utf8"), "outside\n");
  assert.ok(!existsSync(join(cli.root, "hostile", "outdir", "f")), "nothing written through DIR's own link");
  assert.equal(readFileSync(join(dir, "hostlink", "f"), "utf8"), "evil\n", "the guest's directory replaced the link");
  assert.equal(statSync(join(dir, "suid")).mode & 0o6000, 0, "no set-ID bit");
  assert.equal(statSync(join(dir, "suid")).uid, process.getuid?.());
});

function lstatExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
