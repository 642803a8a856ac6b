/**
 * The confined SFTP server of reverse-sshfs: its argv (pure), then the real thing on this host:
 * exactly the command the host agent runs (sftpServerArgv under bwrap), spoken to with OpenSSH's
 * own client (`sftp -D COMMAND` talks SFTP to a local server over its stdio, as the guest's sshfs
 * does over ssh), as root and as an unprivileged user. What a hostile guest could ask for by
 * protocol: absolute paths, `..`, symlinks it makes itself, writes to a read-only mount.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sftpPasswdText, sftpServerArgv, type SftpServerSpec } from "../../../src/mounts/sftp-confine.js";
import { checkSftpServers } from "../../../src/hostagent/sftp-check.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { instancePaths } from "../../../src/store/paths.js";
import { isTslimaError } from "../../../src/errors.js";
import { testConfig, testMount } from "./testconfig.js";

const SFTP_SERVER = "/usr/lib/openssh/sftp-server";

test("sftpServerArgv: bwrap with only /usr, /lib*, the passwd file, /dev/null and the location; -d and -R", () => {
  const spec: SftpServerSpec = { sftpServer: SFTP_SERVER, location: "/home/a/my 100%", writable: true, passwd: "/home/a/.tslima/x/sftp-passwd", root: false };
  assert.deepEqual(sftpServerArgv(spec), [
    "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try", "--unshare-user", "--die-with-parent", "--new-session",
    "--ro-bind", "/usr", "/usr",
    "--ro-bind-try", "/lib", "/lib", "--ro-bind-try", "/lib64", "/lib64", "--ro-bind-try", "/lib32", "/lib32",
    "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
    "--ro-bind", "/home/a/.tslima/x/sftp-passwd", "/etc/passwd",
    "--dev-bind", "/dev/null", "/dev/null",
    "--bind", "/home/a/my 100%", "/home/a/my 100%",
    "--remount-ro", "/",
    "--chdir", "/home/a/my 100%",
    "--", SFTP_SERVER, "-d", "/home/a/my 100%%",
  ]);
  const ro = sftpServerArgv({ ...spec, writable: false, root: true, sftpServer: "/opt/ssh/sftp-server" });
  assert.equal(ro.includes("--unshare-user"), false, "root's server keeps the host's users (chown)");
  assert.deepEqual(ro.slice(8, 20), ["--cap-drop", "ALL", "--cap-add", "CAP_CHOWN", "--cap-add", "CAP_DAC_OVERRIDE", "--cap-add", "CAP_DAC_READ_SEARCH", "--cap-add", "CAP_FOWNER", "--cap-add", "CAP_FSETID"]);
  assert.ok(ro.join(" ").includes("--ro-bind /opt/ssh/sftp-server /opt/ssh/sftp-server"), "a server outside /usr is bound");
  assert.ok(ro.join(" ").includes("--ro-bind /home/a/my 100% /home/a/my 100% --remount-ro /"), "a read-only mount is bound read-only");
  assert.deepEqual(ro.slice(-4), ["/opt/ssh/sftp-server", "-d", "/home/a/my 100%%", "-R"]);
  assert.deepEqual(sftpServerArgv({ ...spec, unconfined: true }), [SFTP_SERVER, "-d", "/home/a/my 100%%"]);
  assert.equal(sftpPasswdText({ name: "al:ice", uid: 501, gid: 20 }), "al_ice:x:501:20::/:/usr/sbin/nologin\n");
});

interface As {
  name: string;
  uid: number;
  gid: number;
}

/** `sftp -D` takes one string, split like a shell word list: quote what has a blank. */
const word = (a: string) => (/[\s"'\\]/.test(a) ? `"${a.replace(/(["\\])/g, "\\$1")}"` : a);

/** Runs an sftp batch (lines starting with `-` may fail) against the server `argv`, as `who`. */
function sftp(argv: string[], batch: string[], who: As, cwd: string) {
  const r = spawnSync("sftp", ["-b", "-", "-D", argv.map(word).join(" ")], {
    input: `${batch.join("\n")}\n`,
    encoding: "utf8",
    timeout: 60_000,
    cwd,
    ...(process.getuid?.() === who.uid ? {} : { uid: who.uid, gid: who.gid }),
  });
  assert.equal(r.error, undefined);
  return r;
}

/** A scratch tree: T/outside.txt (readable by all), T/rw and T/ro%d (the locations), T/out (gets land there). */
function scratch(t: { after(fn: () => void): void }, who: As) {
  const root = mkdtempSync(join(tmpdir(), "tslima-sftp-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  const d = { root, rw: join(root, "rw"), ro: join(root, "ro%d"), out: join(root, "out"), passwd: join(root, "sftp-passwd"), src: join(root, "src.txt") };
  for (const dir of [d.rw, d.ro, d.out]) mkdirSync(dir);
  writeFileSync(join(root, "outside.txt"), "outside\n");
  writeFileSync(join(d.rw, "inside.txt"), "rw-inside\n");
  writeFileSync(join(d.ro, "inside.txt"), "ro-inside\n");
  writeFileSync(d.src, "from-sftp\n");
  writeFileSync(d.passwd, sftpPasswdText(who), { mode: 0o600 });
  for (const p of [d.rw, d.out, d.passwd]) chownSync(p, who.uid, who.gid);
  for (const p of [join(root, "outside.txt"), join(d.ro, "inside.txt"), join(d.rw, "inside.txt"), d.src]) chmodSync(p, 0o644);
  return d;
}

/** Reads that must fail from inside a location: absolute, `..` (from the start directory and through the location), the user's home. */
function escapes(d: ReturnType<typeof scratch>, loc: string, home: string): string[] {
  return [
    `-get ${d.root}/outside.txt ${d.out}/abs`,
    `-get ../outside.txt ${d.out}/rel`,
    `-get "${loc}/../outside.txt" ${d.out}/dotdot`,
    `-get /etc/hostname ${d.out}/hostname`,
    `-get /etc/shadow ${d.out}/shadow`,
    `-get /proc/self/environ ${d.out}/environ`,
    `-ls -1 ${home}`,
    `-ls -1 /`,
  ];
}

/** sftp said each escape named nothing (not: was refused), so no file outside is even seen. */
function assertNotFound(stderr: string, d: ReturnType<typeof scratch>, home: string): void {
  for (const p of [`${d.root}/outside.txt`, "/etc/hostname", "/etc/shadow", "/proc/self/environ"]) assert.ok(stderr.includes(`File "${p}" not found.`), `${p}: ${stderr}`);
  assert.equal(stderr.match(/\/\.\.\/outside\.txt" not found\./g)?.length, 2, stderr);
  assert.ok(stderr.includes(`Can't ls: "${home}" not found`), stderr);
}

const users = (): As[] => {
  const me = { name: "me", uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  // root also runs it as nobody: the agent of an unprivileged user, with bwrap making user namespaces
  return me.uid === 0 ? [{ ...me, name: "root" }, { name: "nobody", uid: 65534, gid: 65534 }] : [me];
};

for (const who of users()) {
  const home = who.uid === 0 ? "/root" : process.env.HOME ?? "/home";

  test(`confined sftp-server as ${who.name}: a read-only location is all it can read, and nothing is written`, (t) => {
    const d = scratch(t, who);
    const argv = sftpServerArgv({ sftpServer: SFTP_SERVER, location: d.ro, writable: false, passwd: d.passwd, root: who.uid === 0 });
    const r = sftp(argv, [
      `get "${d.ro}/inside.txt" ${d.out}/inside`,
      "get inside.txt " + `${d.out}/relative-inside`,
      `get /etc/passwd ${d.out}/passwd`,
      ...escapes(d, d.ro, home),
      `-put ${d.src} "${d.ro}/new"`,
      `-mkdir "${d.ro}/newdir"`,
      `-rm "${d.ro}/inside.txt"`,
      `-rename "${d.ro}/inside.txt" "${d.ro}/moved"`,
      `-chmod 600 "${d.ro}/inside.txt"`,
      `-symlink /etc/hostname "${d.ro}/link"`,
      `-put ${d.src} /new`,
      `-put ${d.src} ${d.root}/new`,
    ], who, d.root);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(d.out).sort(), ["inside", "passwd", "relative-inside"], r.stdout + r.stderr);
    assertNotFound(r.stderr, d, home);
    // the writes are refused by sftp-server -R, and by the read-only bind under it
    assert.equal(r.stderr.match(/Permission denied/g)?.length, 8, r.stderr);
    assert.equal(readFileSync(join(d.out, "inside"), "utf8"), "ro-inside\n");
    assert.equal(readFileSync(join(d.out, "passwd"), "utf8"), sftpPasswdText(who), "/etc/passwd is the one-line file, not the host's");
    // nothing listed outside: / holds only the bound system paths and the location's parents
    const listed = r.stdout.split("\n").filter((l) => !l.startsWith("sftp>") && l.trim() !== "");
    assert.ok(listed.every((l) => /^\/(usr|lib\w*|etc|dev|tmp)$/.test(l.trim())), `listed: ${listed.join(", ")}`);
    assert.deepEqual(readdirSync(d.ro), ["inside.txt"]);
    assert.equal(lstatSync(join(d.ro, "inside.txt")).mode & 0o777, 0o644);
    assert.equal(existsSync(join(d.root, "new")), false);
  });

  test(`confined sftp-server as ${who.name}: a writable location takes writes, its symlinks lead nowhere outside`, (t) => {
    const d = scratch(t, who);
    const argv = sftpServerArgv({ sftpServer: SFTP_SERVER, location: d.rw, writable: true, passwd: d.passwd, root: who.uid === 0 });
    const r = sftp(argv, [
      `put ${d.src} ${d.rw}/new.txt`,
      `mkdir ${d.rw}/dir`,
      `put ${d.src} dir/relative.txt`,
      `symlink ${d.root}/outside.txt ${d.rw}/abs-link`,
      `symlink ../outside.txt ${d.rw}/rel-link`,
      `-get ${d.rw}/abs-link ${d.out}/abs-link`,
      `-get ${d.rw}/rel-link ${d.out}/rel-link`,
      ...escapes(d, d.rw, home),
      `-put ${d.src} /new`,
      `-put ${d.src} ${d.root}/new`,
      `-mkdir /tmp/x`,
    ], who, d.root);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(d.out), [], r.stdout + r.stderr);
    assertNotFound(r.stderr, d, home);
    // the links exist (sftp stats them to learn their size) but lead to nothing in the server's view
    assert.equal(r.stderr.match(/^stat remote: No such file or directory/gm)?.length, 2, r.stderr);
    assert.equal(readFileSync(join(d.rw, "new.txt"), "utf8"), "from-sftp\n");
    assert.equal(readFileSync(join(d.rw, "dir", "relative.txt"), "utf8"), "from-sftp\n");
    assert.equal(readlinkSync(join(d.rw, "abs-link")), join(d.root, "outside.txt"), "the link is made on the host, as asked");
    assert.equal(existsSync(join(d.root, "new")), false);
    assert.deepEqual(readdirSync(d.root).sort(), ["out", "outside.txt", "ro%d", "rw", "sftp-passwd", "src.txt"]);
  });

  test(`unconfined sftp-server as ${who.name} reads outside the location (the escapes above are real)`, (t) => {
    const d = scratch(t, who);
    const argv = sftpServerArgv({ sftpServer: SFTP_SERVER, location: d.ro, writable: false, passwd: d.passwd, root: who.uid === 0, unconfined: true });
    const r = sftp(argv, [`get ${d.root}/outside.txt ${d.out}/abs`, `get ../outside.txt ${d.out}/rel`], who, d.root);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(d.out, "abs"), "utf8"), "outside\n");
    assert.equal(readFileSync(join(d.out, "rel"), "utf8"), "outside\n");
  });
}

test("checkSftpServers: probes each mount's confined server, refuses with SSHFS_CONFINE when bwrap is missing", (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-sftp-home-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const paths = instancePaths(home, "vm");
  mkdirSync(paths.dir, { recursive: true });
  const location = join(home, "share");
  mkdirSync(location);
  const host = { user: "someone", uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const plan = mountPlan(testConfig({ mountType: "reverse-sshfs", mounts: [testMount(location)] }), paths, { memoryBytes: 1, host: { os: "Linux", uid: host.uid, home } });
  assert.equal(checkSftpServers(plan, paths, host, false), undefined);
  assert.equal(readFileSync(join(paths.dir, "sftp-passwd"), "utf8"), sftpPasswdText({ ...host, name: "someone" }));
  assert.match(checkSftpServers(plan, paths, host, true) ?? "", /TSLIMA_SSHFS_UNCONFINED=1: .* root in the guest can read and write every file someone can/);
  const path = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    assert.throws(() => checkSftpServers(plan, paths, host, false), (e: unknown) => {
      assert.ok(isTslimaError(e));
      assert.equal(e.code, "ERR_TSLIMA_SSHFS_CONFINE");
      assert.match(e.message, /^mounts\[0\] \(.*share -> .*share\): the host's sftp-server cannot be confined/);
      assert.match(e.hint ?? "", /install bubblewrap/);
      return true;
    });
  } finally {
    process.env.PATH = path;
  }
  // a mount whose location vanished: the server cannot be set up either
  rmSync(location, { recursive: true });
  assert.throws(() => checkSftpServers(plan, paths, host, false), /cannot be confined/);
});
