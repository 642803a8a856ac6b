import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { ensureHostKey, ensureUserKey, sshArgv, sshCommandRunner, sshConfigText, sshControlExitArgv, waitForBanner, waitForSsh } from "../../../src/ssh/index.js";
import { isKeyDenied } from "../../../src/ssh/wait.js";
import { findFreePort } from "../../../src/qemu/index.js";
import { instancePaths } from "../../../src/store/paths.js";
import { knownHostsLine } from "../../../src/ssh/hostkey.js";
import { writeSshdConfig } from "../support/localsshd.js";

/**
 * The SSH pieces against a real OpenSSH server on 127.0.0.1 (no VM): key generation, ssh.config,
 * the argv, ControlMaster, banner and readiness waits, exit codes and stdin. Needs root (sshd checks
 * the login user) and /usr/sbin/sshd; skipped otherwise.
 */
const SSHD = "/usr/sbin/sshd";
const canRun = process.getuid?.() === 0 && existsSync(SSHD);

test("ssh module end to end against a local sshd", { skip: canRun ? false : "needs root and /usr/sbin/sshd" }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima sshd %-"));
  const home = join(root, "home");
  const sshdDir = mkdtempSync(join(tmpdir(), "tslima-sshd-"));
  const cleanups: (() => void)[] = [];
  // One hook, in reverse order of set-up: the ControlMaster is told to exit while ssh.config still exists.
  t.after(() => {
    for (const c of cleanups.reverse()) c();
    rmSync(root, { recursive: true, force: true });
    rmSync(sshdDir, { recursive: true, force: true });
  });
  mkdirSync("/run/sshd", { recursive: true });

  const key = await ensureUserKey(home);
  assert.equal(statSync(key.privateKeyPath).mode & 0o777, 0o600);
  assert.match(key.publicKey, /^ssh-ed25519 \S+ tslima$/);

  const port = await findFreePort();
  const paths = instancePaths(home, "local");
  mkdirSync(paths.dir, { recursive: true });
  await ensureHostKey(paths);
  const sshdConfig = writeSshdConfig(sshdDir, port, key.publicKey, paths.hostKey);

  writeFileSync(paths.sshConfig, sshConfigText(paths, { user: userInfo().username, port, identityFile: key.privateKeyPath, instanceName: "local" }));

  // Start waiting before sshd is there: the wait has to retry.
  const banner = waitForBanner(port, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  const sshd = spawn(SSHD, ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"] });
  let sshdLog = "";
  sshd.stderr.on("data", (b: Buffer) => (sshdLog += b.toString()));
  cleanups.push(() => sshd.kill("SIGKILL"));
  cleanups.push(() => {
    const r = spawnSync("ssh", sshControlExitArgv(paths), { encoding: "utf8" });
    assert.ok(r.status === 0 || !existsSync(paths.sshSock), `ssh -O exit failed: ${r.stderr}`);
  });
  assert.match(await banner, /^SSH-2\.0-OpenSSH/);

  const attempts = await waitForSsh(paths, 20_000);
  assert.ok(attempts >= 1, sshdLog);
  assert.ok(existsSync(paths.sshSock), "ControlMaster socket ssh.sock exists after the first connection");

  const r = spawnSync("ssh", sshArgv(paths, { tty: false, command: ["sh", "-c", "cat; printf '%s|' \"$@\"; exit 7", "sh", "a b", "$x", "it's"], workdir: "/nonexistent", home: "/" }), {
    input: "from stdin\n",
    encoding: "utf8",
  });
  assert.equal(r.status, 7, r.stderr);
  assert.equal(r.stdout, "from stdin\na b|$x|it's|");

  const out = join(root, "runner.out");
  const code = await sshCommandRunner(paths, { tty: false, command: ["sh", "-c", `pwd > '${out}'; exit 3`], workdir: "/tmp", stdio: ["ignore", "ignore", "inherit"] });
  assert.equal(code, 3);
  assert.equal(readFileSync(out, "utf8").trim(), "/tmp");
});

test("ensureUserKey: concurrent callers get one and the same key; a second call reuses it", async (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-key-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const keys = await Promise.all([1, 2, 3, 4].map(() => ensureUserKey(home)));
  for (const k of keys) assert.deepEqual(k, keys[0]);
  const pub = readFileSync(join(home, "_config", "user.pub"), "utf8").trim();
  assert.equal(pub, keys[0]?.publicKey);
  const derived = spawnSync("ssh-keygen", ["-y", "-f", join(home, "_config", "user")], { encoding: "utf8" }).stdout.trim();
  assert.equal(derived, pub, "user.pub belongs to the private key");
  assert.deepEqual(await ensureUserKey(home), keys[0]);
  rmSync(join(home, "_config", "user.pub"));
  assert.equal((await ensureUserKey(home)).publicKey, pub, "a lost user.pub is derived from the private key again");
});

test("ensureHostKey: one ed25519 key per instance (private part 0600), pinned in known_hosts under the alias", async (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-hostkey-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const paths = instancePaths(home, "vm1");
  mkdirSync(paths.dir);
  const first = await ensureHostKey(paths);
  assert.equal(first.created, true);
  assert.equal(statSync(paths.hostKey).mode & 0o777, 0o600);
  assert.match(first.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  assert.match(first.publicKey, /^ssh-ed25519 \S+ tslima-host-vm1$/);
  assert.equal(readFileSync(paths.knownHosts, "utf8"), `${knownHostsLine("vm1", first.publicKey)}\n`);
  assert.match(readFileSync(paths.knownHosts, "utf8"), /^lima-vm1 ssh-ed25519 \S+\n$/);
  const derived = spawnSync("ssh-keygen", ["-y", "-f", paths.hostKey], { encoding: "utf8" }).stdout.trim().split(" ").slice(0, 2).join(" ");
  assert.equal(derived, first.publicKey.split(" ").slice(0, 2).join(" "), "the pin belongs to the private key");
  writeFileSync(paths.knownHosts, "tampered\n");
  const again = await ensureHostKey(paths);
  assert.deepEqual({ ...again, created: true }, first, "the key is kept");
  assert.equal(again.created, false);
  assert.equal(readFileSync(paths.knownHosts, "utf8"), `${knownHostsLine("vm1", first.publicKey)}\n`, "known_hosts is rewritten from the key");
});

test("an sshd with another host key on the instance's port: one coded error naming the mismatch, no waiting", { skip: canRun ? false : "needs root and /usr/sbin/sshd" }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-mitm-"));
  const cleanups: (() => void)[] = [];
  t.after(() => {
    for (const c of cleanups.reverse()) c();
    rmSync(root, { recursive: true, force: true });
  });
  mkdirSync("/run/sshd", { recursive: true });
  const home = join(root, "home");
  const key = await ensureUserKey(home);
  const port = await findFreePort();
  const paths = instancePaths(home, "pinned");
  mkdirSync(paths.dir, { recursive: true });
  await ensureHostKey(paths);
  writeFileSync(paths.sshConfig, sshConfigText(paths, { user: userInfo().username, port, identityFile: key.privateKeyPath, instanceName: "pinned" }));
  // The impostor accepts the user's key, so only the host key check stands between it and the session.
  const fakeDir = join(root, "fake");
  mkdirSync(fakeDir);
  const sshd = spawn(SSHD, ["-D", "-e", "-f", writeSshdConfig(fakeDir, port, key.publicKey)], { stdio: "ignore" });
  cleanups.push(() => sshd.kill("SIGKILL"));
  await waitForBanner(port, 20_000);

  const t0 = Date.now();
  await assert.rejects(waitForSsh(paths, 60_000), (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, "ERR_TSLIMA_SSH_HOST_KEY");
    assert.match(e.message, /host key mismatch/);
    assert.match(e.hint ?? "", /another program may be listening/);
    return true;
  });
  assert.ok(Date.now() - t0 < 15_000, `refused at once, not after the 60 s wait (${Date.now() - t0} ms)`);
  const marker = join(root, "reached");
  await assert.rejects(sshCommandRunner(paths, { tty: false, command: ["touch", marker], stdio: ["ignore", "ignore", "ignore"] }), /host key mismatch/);
  assert.ok(!existsSync(marker), "no command ran on the impostor");
  assert.ok(!existsSync(paths.sshSock), "no ControlMaster to the impostor");
});

test("a resumed guest's sshd refusing the user's key: one coded error at once, where a booting guest is waited for", { skip: canRun ? false : "needs root and /usr/sbin/sshd" }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tslima-denied-"));
  const cleanups: (() => void)[] = [];
  t.after(() => {
    for (const c of cleanups.reverse()) c();
    rmSync(root, { recursive: true, force: true });
  });
  mkdirSync("/run/sshd", { recursive: true });
  const home = join(root, "home");
  const key = await ensureUserKey(home);
  const other = await ensureUserKey(join(root, "other-home"));
  const port = await findFreePort();
  const paths = instancePaths(home, "denied");
  mkdirSync(paths.dir, { recursive: true });
  await ensureHostKey(paths);
  writeFileSync(paths.sshConfig, sshConfigText(paths, { user: userInfo().username, port, identityFile: key.privateKeyPath, instanceName: "denied" }));
  // the instance's own host key (the pin holds), but another user key authorized
  const dir = join(root, "sshd");
  mkdirSync(dir);
  const sshd = spawn(SSHD, ["-D", "-e", "-f", writeSshdConfig(dir, port, other.publicKey, paths.hostKey)], { stdio: "ignore" });
  cleanups.push(() => sshd.kill("SIGKILL"));
  await waitForBanner(port, 20_000);

  await assert.rejects(waitForSsh(paths, 3000), (e: Error & { code?: string }) => e.code === "ERR_TSLIMA_SSH_TIMEOUT" && /Permission denied/.test(e.message));
  const t0 = Date.now();
  await assert.rejects(waitForSsh(paths, 60_000, { denialIsFinal: true }), (e: Error & { code?: string; hint?: string }) => {
    assert.equal(e.code, "ERR_TSLIMA_SSH_AUTH");
    assert.match(e.message, /the guest of instance denied refused the ssh user key \(.*Permission denied \(publickey/);
    assert.match(e.hint ?? "", /user\.name in .*lima\.yaml.*tslima stop denied/);
    return true;
  });
  assert.ok(Date.now() - t0 < 15_000, `refused at once, not after the 60 s wait (${Date.now() - t0} ms)`);
  assert.equal(isKeyDenied("lima@127.0.0.1: Permission denied (publickey).\n"), true);
  assert.equal(isKeyDenied("ssh: connect to host 127.0.0.1 port 22: Connection refused\n"), false);
});
