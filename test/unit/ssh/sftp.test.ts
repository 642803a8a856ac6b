import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SftpClient, SftpError } from "../../../src/ssh/sftp.js";

/**
 * The SFTP client against the real OpenSSH sftp-server, spawned directly (no ssh), in a temp dir.
 */
const SERVER = "/usr/lib/openssh/sftp-server";
const skip = existsSync(SERVER) ? false : `needs ${SERVER} (openssh-sftp-server)`;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tslima-sftp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sftpError = (status: number, message: RegExp | string, path?: string) => (e: unknown) => {
  assert.ok(e instanceof SftpError, `not an SftpError: ${String(e)}`);
  assert.equal(e.status, status);
  if (typeof message === "string") assert.equal(e.message, message);
  else assert.match(e.message, message);
  if (path !== undefined) assert.equal(e.path, path);
  return true;
};

test("read/write round trip: binary, empty, over one chunk; the read limit", { skip }, async (t) => {
  const dir = tempDir(t);
  await using c = await SftpClient.open([SERVER]);
  const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
  const big = randomBytes(3 * 32 * 1024 + 77);
  for (const [name, data] of [["bin", binary], ["empty", Buffer.alloc(0)], ["big", big]] as const) {
    await c.writeFile(join(dir, name), data);
    assert.deepEqual(readFileSync(join(dir, name)), data, name);
    assert.deepEqual(await c.readFile(join(dir, name)), data, name);
  }
  assert.equal(lstatSync(join(dir, "bin")).mode & 0o777, 0o644 & ~process.umask());
  await c.writeFile(join(dir, "text"), "héllo 😀\n");
  assert.equal(readFileSync(join(dir, "text"), "utf8"), "héllo 😀\n");
  // A name with characters above U+FFFF and a newline arrives as those UTF-8 bytes.
  const odd = join(dir, "𝄞 😀 ü\nname");
  await c.writeFile(odd, binary);
  assert.deepEqual(readFileSync(odd), binary);
  assert.deepEqual(await c.readFile(odd), binary);
  assert.equal(await c.realpath(odd), join(realpathSync(dir), "𝄞 😀 ü\nname"));
  // A file written by another program, read back.
  writeFileSync(join(dir, "outside"), big.subarray(0, 40_000));
  assert.deepEqual(await c.readFile(join(dir, "outside")), big.subarray(0, 40_000));
  assert.equal((await c.readFile(join(dir, "big"), big.length)).length, big.length);
  await assert.rejects(c.readFile(join(dir, "big"), big.length - 1), sftpError(4, `file is larger than ${big.length - 1} bytes`, join(dir, "big")));
  await assert.rejects(c.readFile(join(dir, "bin"), 0), sftpError(4, "file is larger than 0 bytes"));
  assert.equal(c.alive, true);
});

test("writeFile over a longer file truncates it", { skip }, async (t) => {
  const dir = tempDir(t);
  await using c = await SftpClient.open([SERVER]);
  await c.writeFile(join(dir, "f"), Buffer.alloc(100_000, 1));
  await c.writeFile(join(dir, "f"), "abc");
  assert.equal(readFileSync(join(dir, "f"), "utf8"), "abc");
  assert.equal((await c.stat(join(dir, "f"))).size, 3);
});

test("mkdirAll: new, existing, through a file", { skip }, async (t) => {
  const dir = tempDir(t);
  await using c = await SftpClient.open([SERVER]);
  await c.mkdirAll(join(dir, "a/b/c"));
  assert.equal(lstatSync(join(dir, "a/b/c")).isDirectory(), true);
  assert.equal(lstatSync(join(dir, "a/b")).mode & 0o777, 0o755 & ~process.umask());
  await c.mkdirAll(join(dir, "a/b/c"));
  await c.mkdirAll(join(dir, "a/b/"));
  writeFileSync(join(dir, "file"), "x");
  await assert.rejects(c.mkdirAll(join(dir, "file/sub/deeper")), sftpError(4, "not a directory", join(dir, "file")));
  await assert.rejects(c.mkdirAll(join(dir, "file")), sftpError(4, "not a directory", join(dir, "file")));
  assert.equal(existsSync(join(dir, "file/sub")), false);
});

test("readdir: sorted by name bytes, no dot entries, kinds, sizes and times right, names above U+FFFF", { skip }, async (t) => {
  const dir = tempDir(t);
  const when = new Date("2024-05-06T07:08:09Z");
  for (const [name, size] of [["b", 3], ["a", 0], ["\uff21 fullwidth", 1], ["😀 emoji", 2], ["Z", 5]] as const) {
    writeFileSync(join(dir, name), "x".repeat(size));
    utimesSync(join(dir, name), when, when);
  }
  mkdirSync(join(dir, "d"));
  await using c = await SftpClient.open([SERVER]);
  const entries = await c.readdir(dir);
  // Bytewise, as Go sorts: U+FF21 (EF BC A1) before U+1F600 (F0 9F 98 80), which UTF-16 order reverses.
  assert.deepEqual(entries.map((e) => e.name), ["Z", "a", "b", "d", "\uff21 fullwidth", "😀 emoji"]);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.deepEqual(byName.get("😀 emoji"), { name: "😀 emoji", size: 2, mode: 0o100000 | (0o666 & ~process.umask()), mtime: when, isDir: false });
  assert.equal(byName.get("d")?.isDir, true);
  assert.equal((byName.get("d")?.mode ?? 0) & 0o170000, 0o040000);
  assert.equal(byName.get("Z")?.size, 5);
  assert.deepEqual(await c.readdir(join(dir, "d")), []);
  await assert.rejects(c.readdir(join(dir, "nope")), sftpError(2, "file does not exist", join(dir, "nope")));
});

test("stat follows a symbolic link, lstat does not; realpath resolves it", { skip }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "target"), "12345");
  symlinkSync("target", join(dir, "link"));
  await using c = await SftpClient.open([SERVER]);
  const st = await c.stat(join(dir, "link"));
  assert.equal(st.size, 5);
  assert.equal(st.mode & 0o170000, 0o100000);
  assert.equal(st.isDir, false);
  assert.equal(st.uid, 0);
  const l = await c.lstat(join(dir, "link"));
  assert.equal(l.mode & 0o170000, 0o120000);
  assert.equal(l.size, "target".length);
  assert.equal(await c.realpath(join(dir, "link")), join(realpathSync(dir), "target"));
  assert.equal((await c.stat(dir)).isDir, true);
});

test("a missing file is \"file does not exist\", with its path", { skip }, async (t) => {
  const dir = tempDir(t);
  await using c = await SftpClient.open([SERVER]);
  const missing = join(dir, "missing");
  await assert.rejects(c.readFile(missing), sftpError(2, "file does not exist", missing));
  await assert.rejects(c.stat(missing), sftpError(2, "file does not exist", missing));
  await assert.rejects(c.lstat(missing), sftpError(2, "file does not exist", missing));
  await assert.rejects(c.writeFile(join(missing, "x"), "x"), sftpError(2, "file does not exist"));
  assert.equal(c.alive, true);
});

/** argv that runs sftp-server as `nobody`, or undefined when neither runuser nor setpriv can. */
function asNobody(): string[] | undefined {
  for (const argv of [["runuser", "-u", "nobody", "--"], ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]]) {
    const r = spawnSync(argv[0] ?? "", [...argv.slice(1), "id", "-u"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() !== "0") return [...argv, SERVER];
  }
  return undefined;
}

test("writing into a 0555 directory as an unprivileged user is \"permission denied\"", { skip }, async (t) => {
  const argv = asNobody();
  if (!argv) return t.skip("neither runuser nor setpriv can run a program as nobody here");
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "ro"), 0o555);
  chmodSync(join(dir, "ro"), 0o555);
  await using c = await SftpClient.open(argv);
  const target = join(dir, "ro", "x");
  await assert.rejects(c.writeFile(target, "data"), sftpError(3, "permission denied", target));
  await assert.rejects(c.mkdirAll(join(dir, "ro", "sub")), sftpError(3, "permission denied"));
  assert.equal(existsSync(target), false);
  assert.deepEqual(await c.readdir(join(dir, "ro")), []);
});

test("every handle opened is closed, also when a read or write fails midway (the server's own log)", { skip }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "f"), Buffer.alloc(200_000));
  const log: string[] = [];
  const c = await SftpClient.open([SERVER, "-e", "-l", "INFO"], { onStderr: (l) => log.push(l) });
  await assert.rejects(c.writeFile("/dev/full", Buffer.alloc(300_000)), sftpError(4, /\S/, "/dev/full"));
  await assert.rejects(c.readFile(dir), sftpError(4, /\S/, dir));
  await assert.rejects(c.readFile(join(dir, "f"), 100_000), sftpError(4, "file is larger than 100000 bytes"));
  assert.equal((await c.readFile(join(dir, "f"))).length, 200_000);
  assert.equal((await c.readdir(dir)).length, 1);
  await c.close();
  const count = (re: RegExp) => log.filter((l) => re.test(l)).length;
  assert.equal(count(/^open "/), 4, log.join("\n"));
  assert.equal(count(/^close "/), 4, log.join("\n"));
  assert.equal(count(/^opendir "/), 1);
  assert.equal(count(/^closedir "/), 1);
  assert.match(log.at(-1) ?? "", /^session closed/);
});

test("20 concurrent readFiles of different files each get their own file", { skip }, async (t) => {
  const dir = tempDir(t);
  const files = Array.from({ length: 20 }, (_, i) => randomBytes(i * 9_000 + i));
  files.forEach((data, i) => writeFileSync(join(dir, `f${i}`), data));
  await using c = await SftpClient.open([SERVER]);
  const got = await Promise.all(files.map((_, i) => c.readFile(join(dir, `f${i}`))));
  got.forEach((data, i) => assert.deepEqual(data, files[i], `f${i}`));
});

test("the child killed mid-session: pending and later calls reject with status -1, exit and stderr named", { skip }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "big"), randomBytes(4 << 20));
  const lines: string[] = [];
  await using c = await SftpClient.open(["sh", "-c", `echo "server pid $$" >&2; exec ${SERVER}`], { onStderr: (l) => lines.push(l) });
  for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  const pid = Number(/^server pid (\d+)$/.exec(lines[0] ?? "")?.[1]);
  assert.ok(pid > 0, `no pid line on stderr: ${JSON.stringify(lines)}`);
  // Stopped first, so that the calls are surely pending (sent, unanswered) when it is killed.
  assert.equal((await c.readFile(join(dir, "big"))).length, 4 << 20);
  process.kill(pid, "SIGSTOP");
  const pending = [c.readFile(join(dir, "big")), c.readFile(join(dir, "big")), c.readdir(dir), c.stat(dir)];
  await new Promise((r) => setTimeout(r, 50));
  process.kill(pid, "SIGKILL");
  const ended = /^SFTP connection ended: sh was killed by SIGKILL; its last stderr line: server pid \d+$/;
  for (const p of pending) await assert.rejects(p, sftpError(-1, ended));
  assert.equal(c.alive, false);
  await assert.rejects(c.stat(dir), sftpError(-1, ended, dir));
  await c.close();
  await c.close();
});

test("close ends the session: later calls reject, the child is gone", { skip }, async () => {
  const c = await SftpClient.open([SERVER]);
  assert.equal(c.alive, true);
  await c.close();
  assert.equal(c.alive, false);
  await assert.rejects(c.realpath("/"), sftpError(-1, /^SFTP connection ended: .*closed by the client$/));
});

test("open fails clearly: a program that exits, one that prints text, one not found", async () => {
  await assert.rejects(SftpClient.open(["sh", "-c", "echo 'no sftp here' >&2; exit 3"]), sftpError(-1, "SFTP connection could not start: sh exited with code 3; its stderr ends: no sftp here"));
  await assert.rejects(SftpClient.open(["sh", "-c", "echo Welcome to the guest; exec sleep 10"]), sftpError(-1, /did not answer with SFTP \(a packet of \d+ bytes .*its output starts "Welcome to the guest\?": does a login script print to stdout\?\)$/));
  await assert.rejects(SftpClient.open(["/nonexistent/sftp-server"]), sftpError(-1, /could not be run: .*ENOENT/));
  await assert.rejects(SftpClient.open([]), /argv is empty/);
});

test("a server that sends a malformed packet after VERSION is dropped: calls reject with status -1 and why", async () => {
  // VERSION 3, then a NAME reply to id 1 announcing 2^31-1 names in a 9-byte packet.
  const script = String.raw`printf '\0\0\0\5\2\0\0\0\3'; sleep 0.3; printf '\0\0\0\11\150\0\0\0\1\177\377\377\377'; exec sleep 10`;
  await using c = await SftpClient.open(["sh", "-c", script]);
  const why = /^SFTP connection ended: sh sent a malformed packet \(name count 2147483647 is larger than the packet \(0 bytes left\)\); the connection was closed$/;
  await assert.rejects(c.realpath("/"), sftpError(-1, why, "/"));
  assert.equal(c.alive, false);
  await assert.rejects(c.stat("/"), sftpError(-1, why));
});
