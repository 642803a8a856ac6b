// `shell --sync DIR` without a guest: the flag, the guest path, the refused directories, the rsync
// argv, the judgement of links the guest made, and the change summary read from a real rsync's
// itemized dry run between two local trees (rsync is one of scripts/setup's packages).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseShellArgs, SHELL_VALUED_FLAGS } from "../../../src/cli/shell-argv.js";
import { isTslimaError } from "../../../src/errors.js";
import { runCollect } from "../../../src/ssh/exec.js";
import { checkLinks } from "../../../src/instance/shell-sync.js";
import { applyArgv, linkStaysInside, parseAnswer, parseItemized, pullArgv, pushArgv, summarizeChanges, syncDirProblem, syncGuestDir, unmungedTarget } from "../../../src/instance/sync-plan.js";

test("shell --sync DIR is a valued flag before the instance, as Lima's", () => {
  assert.deepEqual(parseShellArgs(["--sync", ".", "vm", "make"]), { args: { name: "vm", command: ["make"], sync: "." } });
  assert.deepEqual(parseShellArgs(["--sync=a b", "vm"]), { args: { name: "vm", command: [], sync: "a b" } });
  assert.deepEqual(parseShellArgs(["--instance", "vm", "--sync", "/w/p/x", "ls"]), { args: { name: "vm", command: ["ls"], sync: "/w/p/x" } });
  assert.deepEqual(parseShellArgs(["vm", "--sync", "."]), { args: { name: "vm", command: ["--sync", "."] } }, "after NAME it is the command's");
  assert.deepEqual(parseShellArgs(["--sync"]), { usage: "flag needs an argument: --sync" });
  assert.ok(SHELL_VALUED_FLAGS.includes("--sync"), "extractGlobals skips its value");
});

test("the guest directory is DIR under the guest home; shallow directories are refused", () => {
  assert.equal(syncGuestDir("/home/u.linux", "/tmp/x/proj"), "/home/u.linux/tmp/x/proj");
  assert.equal(syncGuestDir("/home/u.linux/", "/a/b c/'d'"), "/home/u.linux/a/b c/'d'");
  for (const d of ["/", "/home", "/home/user"]) {
    const e = syncDirProblem(d);
    assert.ok(isTslimaError(e) && e.code === "ERR_TSLIMA_SHELL_SYNC" && /deeper directory/.test(e.hint ?? ""), d);
  }
  assert.equal(syncDirProblem("/home/user/proj"), undefined);
});

test("rsync argv: no owners, groups or devices; the pull munges links and drops set-ID bits; the apply keeps to safe links", () => {
  const push = pushArgv("/i/ssh.config", "vm", "/h/p q", "/home/u/h/p q");
  assert.deepEqual(push.slice(-3), ["--", "/h/p q/", "lima-vm:/home/u/h/p q/"]);
  assert.ok(push.includes("--delete") && push.includes("--protect-args") && push.includes("-rlpt"));
  const pull = pullArgv("/i/ssh.config", "vm", "/home/u/h/p", "/tmp/s/tree");
  assert.deepEqual(pull.slice(-3), ["--", "lima-vm:/home/u/h/p/", "/tmp/s/tree/"]);
  assert.ok(pull.includes("--munge-links") && pull.includes("--chmod=ug-s") && !pull.includes("--delete"));
  for (const argv of [push, pull, applyArgv("/s", "/h/p", false)]) {
    assert.ok(!argv.some((a) => a === "-a" || a === "-o" || a === "-g" || a === "-D" || a === "--owner" || a === "--group"), argv.join(" "));
    assert.equal(argv.filter((a) => a === "-e").length, argv === push || argv === pull ? 1 : 0);
  }
  assert.ok(applyArgv("/s", "/h/p", true).includes("--itemize-changes") && applyArgv("/s", "/h/p", false).includes("--safe-links"));
});

test("links: only munged, relative ones that stay in the directory come back", () => {
  assert.equal(unmungedTarget("/rsyncd-munged/a/b"), "a/b");
  assert.equal(unmungedTarget("a/b"), undefined);
  assert.ok(linkStaysInside("l", "target.txt"));
  assert.ok(linkStaysInside("d/l", "../x"));
  assert.ok(linkStaysInside("d/l", "./e/../../x"));
  assert.ok(!linkStaysInside("l", "../x"));
  assert.ok(!linkStaysInside("d/l", "../../x"));
  assert.ok(!linkStaysInside("l", "a/../../x"), "climbing out on the way");
  assert.ok(!linkStaysInside("l", "/etc/passwd"));
  assert.ok(!linkStaysInside("l", ""));
});

test("checkLinks restores inside links and removes escaping or unmunged ones", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-sync-links-"));
  try {
    mkdirSync(join(dir, "d"));
    symlinkSync("/rsyncd-munged/target_b.txt", join(dir, "good"));
    lutimesSync(join(dir, "good"), 1_700_000_000, 1_700_000_000);
    symlinkSync("/rsyncd-munged/../x", join(dir, "d", "up"));
    symlinkSync("/rsyncd-munged/../../x", join(dir, "d", "out"));
    symlinkSync("/rsyncd-munged//etc/passwd", join(dir, "abs"));
    symlinkSync("/etc/shadow", join(dir, "raw"));
    const skipped = checkLinks(dir).sort();
    assert.deepEqual(skipped.map((s) => s.split(" ")[0]), ["abs", "d/out", "raw"]);
    assert.equal(readlinkSync(join(dir, "good")), "target_b.txt");
    assert.equal(lstatSync(join(dir, "good")).mtimeMs, 1_700_000_000_000, "the link keeps its time");
    assert.equal(readlinkSync(join(dir, "d", "up")), "../x");
    for (const gone of ["abs", "raw", "d/out"]) assert.throws(() => lstatSync(join(dir, gone)), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the change summary from rsync's itemized dry run: added, deleted, modified, metadata", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-sync-items-"));
  try {
    const host = join(root, "host");
    const staging = join(root, "staging");
    for (const d of [host, staging]) {
      mkdirSync(join(d, "keep"), { recursive: true });
      writeFileSync(join(d, "same.txt"), "same");
      writeFileSync(join(d, "perm.sh"), "x");
      chmodSync(join(d, "perm.sh"), 0o644);
    }
    writeFileSync(join(host, "foo.txt"), "old");
    writeFileSync(join(staging, "foo.txt"), "new content");
    writeFileSync(join(host, "gone.txt"), "x");
    mkdirSync(join(staging, "new dir"));
    writeFileSync(join(staging, "new dir", "f.txt"), "y");
    chmodSync(join(staging, "perm.sh"), 0o744);
    symlinkSync("same.txt", join(staging, "link"));
    // the same mtimes for the unchanged files, as the copy in and back keeps them
    for (const d of [host, staging]) for (const f of ["same.txt", "perm.sh"]) utimesSync(join(d, f), 1_700_000_000, 1_700_000_000);
    const dry = await runCollect("rsync", applyArgv(staging, host, true));
    assert.equal(dry.code, 0, dry.stderr);
    const changes = parseItemized(dry.stdout);
    const by = (k: string) => changes.filter((c) => c.kind === k).map((c) => c.path).sort();
    assert.deepEqual(by("added"), ["link", "new dir/", "new dir/f.txt"], dry.stdout);
    assert.deepEqual(by("deleted"), ["gone.txt"], dry.stdout);
    assert.deepEqual(by("modified"), ["foo.txt"], dry.stdout);
    assert.deepEqual(by("metadata"), ["perm.sh"], dry.stdout);
    assert.equal(summarizeChanges(changes), "3 added, 1 deleted, 1 modified, 1 with new metadata");
    assert.equal(summarizeChanges([]), "");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the apply never writes through a link of DIR: a directory the guest put in its place replaces the link", async () => {
  const root = mkdtempSync(join(tmpdir(), "tslima-sync-apply-"));
  try {
    mkdirSync(join(root, "outside"));
    writeFileSync(join(root, "outside", "f"), "outside\n");
    mkdirSync(join(root, "host"));
    symlinkSync("../outside", join(root, "host", "x"));
    mkdirSync(join(root, "staging", "x"), { recursive: true });
    writeFileSync(join(root, "staging", "x", "f"), "guest\n");
    const r = await runCollect("rsync", applyArgv(join(root, "staging"), join(root, "host"), false));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(root, "outside", "f"), "utf8"), "outside\n");
    assert.ok(lstatSync(join(root, "host", "x")).isDirectory());
    assert.equal(readFileSync(join(root, "host", "x", "f"), "utf8"), "guest\n");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("parseItemized reads rsync's line forms and leaves out the top directory", () => {
  const out = ["*deleting   a b.txt", ">f+++++++++ n.txt", "cd+++++++++ d/", "cL+++++++++ l -> t", "cLc.t...... l2 -> t2", ".d..t...... ./", ".f...p..... m", ">f.st...... x -> y", "sending incremental file list", ""].join("\n");
  assert.deepEqual(
    parseItemized(out).map((c) => `${c.kind} ${c.path}`),
    ["deleted a b.txt", "added n.txt", "added d/", "added l", "modified l2", "metadata m", "modified x -> y"],
  );
});

test("the question's answers", () => {
  assert.equal(parseAnswer(" Y\n"), "yes");
  assert.equal(parseAnswer("no"), "no");
  assert.equal(parseAnswer("v"), "view");
  assert.equal(parseAnswer(""), undefined);
  assert.equal(parseAnswer("yep"), undefined);
});
