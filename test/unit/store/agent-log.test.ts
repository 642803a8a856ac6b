/**
 * The agent's logs are opened by the process that starts it, which is root with the library's
 * `user` option, in a directory the agent's user owns: a symlink, hard link or FIFO planted in place
 * of a log must never lead root to truncate or hand over another file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTslimaError } from "../../../src/errors.js";
import { startInstance } from "../../../src/instance/start.js";
import { openAgentLog } from "../../../src/store/agent-log.js";
import { instancePaths } from "../../../src/store/paths.js";

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), "tslima-agent-log-"));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const unsafe = (why: RegExp) => (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_UNSAFE_DIRECTORY" && why.test(e.message) && /^remove it \(rm /.test(e.hint ?? "");
const isRoot = process.getuid?.() === 0;

test("a log is created 0600, truncated for a new boot, appended to otherwise", (t) => {
  const log = join(tmp(t), "ha.stdout.log");
  let fd = openAgentLog(log, { truncate: true });
  writeSync(fd, "one\n");
  closeSync(fd);
  assert.equal(statSync(log).mode & 0o777, 0o600);
  fd = openAgentLog(log);
  writeSync(fd, "two\n");
  closeSync(fd);
  assert.equal(readFileSync(log, "utf8"), "one\ntwo\n");
  closeSync(openAgentLog(log, { truncate: true }));
  assert.equal(readFileSync(log, "utf8"), "");
});

test("a planted symlink, hard link or FIFO is refused and the file behind it is untouched", (t) => {
  const dir = tmp(t);
  const secret = join(dir, "secret");
  writeFileSync(secret, "do not truncate\n", { mode: 0o600 });
  const link = join(dir, "ha.stdout.log");
  symlinkSync(secret, link);
  assert.throws(() => openAgentLog(link, { truncate: true, owner: { uid: 12345, gid: 12345 } }), unsafe(/is a symlink/));
  rmSync(link);
  linkSync(secret, link);
  assert.throws(() => openAgentLog(link, { truncate: true, owner: { uid: 12345, gid: 12345 } }), unsafe(/has 2 links/));
  assert.equal(readFileSync(secret, "utf8"), "do not truncate\n");
  assert.equal(statSync(secret).uid, process.getuid?.());
  rmSync(link);
  assert.equal(spawnSync("mkfifo", [link]).status, 0);
  assert.throws(() => openAgentLog(link), /ENXIO|not a regular file/, "no writer blocks on a FIFO");
});

test("with `user`, start gives the logs to the agent's user through the descriptor, and refuses a planted symlink before anything runs", { skip: !isRoot && "needs root (chown)" }, async (t) => {
  const home = join(tmp(t), "home");
  const paths = instancePaths(home, "vm");
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.limaYaml, "images: [{location: /nowhere.img, arch: x86_64}]\n");
  const secret = join(home, "..", "shadow");
  writeFileSync(secret, "root:secret\n", { mode: 0o600 });
  symlinkSync(secret, paths.haStderrLog);
  await assert.rejects(startInstance("vm", { home, user: { uid: 12345, gid: 12345 }, timeoutMs: 5000 }), unsafe(/ha\.stderr\.log is a symlink/));
  assert.equal(readFileSync(secret, "utf8"), "root:secret\n", "not truncated");
  assert.equal(statSync(secret).uid, 0, "not handed over");
  // a log of its own is the user's
  const fd = openAgentLog(paths.haStdoutLog, { truncate: true, owner: { uid: 12345, gid: 12345 } });
  closeSync(fd);
  assert.deepEqual([statSync(paths.haStdoutLog).uid, statSync(paths.haStdoutLog).gid], [12345, 12345]);
});
