/**
 * Security and honesty end to end, on one VM (the locally built Debian 12 guest, 1 vCPU, 1 GiB):
 * a hostSocket naming an existing regular file leaves it intact and says why; passwordlessSudo:
 * false makes `sudo -n` fail while the password in ~/password works (and reverse-sshfs, which tslima
 * mounts through sudo, still works); an env: secret is not readable
 * by `nobody`; and once the VM is gone, an impostor sshd with another host key on the instance's
 * ssh port is refused, by plain `ssh -F ssh.config` and by tslima's own wait, with the key mismatch named.
 * The VM is booted through the library (FileGuest) and disposed at the end, also on failure; the
 * tests drive it with the CLI.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cli, FileGuest, guestYaml, parseList } from "./harness.js";
import type { AgentEvent } from "../../src/index.js";
import { instancePaths } from "../../src/store/paths.js";
import { readBanner, waitForSsh } from "../../src/ssh/index.js";
import { writeSshdConfig } from "../unit/support/localsshd.js";

const NAME = "sec";
const cli = new Cli("security");
const BOOT = { timeout: 15 * 60_000 };
const paths = instancePaths(cli.home, NAME);
const precious = join(cli.root, "precious.txt");
const share = join(cli.root, "share");
const SECRET = `tslima-secret-${randomBytes(8).toString("hex")}`;
const ENV_SH = "/usr/local/libexec/tslima/env.sh";
let impostor: ChildProcess | undefined;
const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];

before(async () => {
  mkdirSync(cli.root, { recursive: true });
  writeFileSync(precious, "my notes, not a socket\n");
  mkdirSync(share);
  writeFileSync(join(share, "hello.txt"), "from the host\n");
  const yaml = guestYaml(
    [
      "user:",
      "  passwordlessSudo: false",
      "env:",
      `  TSLIMA_SECRET: ${JSON.stringify(SECRET)}`,
      "mountType: reverse-sshfs",
      "mounts:",
      `- location: ${JSON.stringify(share)}`,
      "  mountPoint: /mnt/share",
      "portForwards:",
      "- guestSocket: /tmp/tslima-e2e/app.sock",
      `  hostSocket: ${JSON.stringify(precious)}`,
    ].join("\n"),
  );
  await guest.boot({ name: NAME, yaml, onEvent: (e) => bootEvents.push(e) });
}, BOOT);
after(async () => {
  impostor?.kill("SIGKILL");
  await guest[Symbol.asyncDispose]();
});

async function status(): Promise<string> {
  return String(parseList((await cli.ok(["list", "--json", NAME])).stdout)[0]?.status);
}

function events(): Array<Record<string, unknown>> {
  return readFileSync(join(paths.dir, "ha.stdout.log"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs a shell script in the guest as `nobody` (sudo takes the user's password from ~/password). */
function asNobody(script: string) {
  return cli.run(["shell", "--workdir", "/", NAME, "sh", "-c", `sudo -S -p '' -u nobody sh -c "$1" <"$HOME/password"`, "sh", script]);
}

test("started: passwordlessSudo false, an env: secret, a reverse-sshfs mount, a hostSocket naming a regular file", async () => {
  assert.ok(bootEvents.some((e) => e.status.ready === true), "start reported READY");
  // The pin: private key the user's only, the public half in known_hosts under the alias.
  assert.equal(statSync(paths.hostKey).mode & 0o777, 0o600);
  assert.equal(statSync(paths.cidataIso).mode & 0o777, 0o600, "cidata.iso carries the private host key");
  const pub = readFileSync(`${paths.hostKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
  assert.equal(readFileSync(paths.knownHosts, "utf8"), `lima-${NAME} ${pub}\n`);
  // (cloud-init leaves the guest's copy root-only; the user's sudo password is in ~/password)
  const guestKey = await cli.ok(["shell", NAME, "sh", "-c", 'sudo -S -p "" cat /etc/ssh/ssh_host_ed25519_key.pub <"$HOME/password"']);
  assert.equal(guestKey.stdout.split(" ").slice(0, 2).join(" "), pub, "the guest serves the key made on the host");
  const others = await cli.ok(["shell", NAME, "sh", "-c", 'sudo -S -p "" sh -c "ls /etc/ssh/ssh_host_*_key" <"$HOME/password"']);
  assert.equal(others.stdout, "/etc/ssh/ssh_host_ed25519_key\n", "no other host key (the image's were deleted, none generated)");
});

test("a hostSocket that names a regular file is left intact, and the warning names the rule", async () => {
  let failed: Record<string, unknown> | undefined;
  for (let i = 0; i < 60 && failed === undefined; i++) {
    failed = events().find((e) => (e.portForward as { action?: string } | undefined)?.action === "failed");
    if (failed === undefined) await sleep(500);
  }
  assert.ok(failed, "a failed forward event");
  console.log(`warning: ${String(failed.warning)}`);
  assert.match(String(failed.warning), /portForwards\[0\]/);
  assert.match(String(failed.warning), /exists and is a regular file; left intact \(tslima only replaces a stale unix socket/);
  assert.equal(readFileSync(precious, "utf8"), "my notes, not a socket\n");
});

test("passwordlessSudo false: sudo -n fails for the user; the password in ~/password (mode 600) works", async () => {
  const n = await cli.run(["shell", NAME, "sudo", "-n", "true"]);
  assert.equal(n.code, 1, n.stderr);
  assert.match(n.stderr, /password is required/);
  const mode = await cli.ok(["shell", NAME, "sh", "-c", 'stat -c "%a %U" "$HOME/password"']);
  assert.match(mode.stdout, /^600 \S+\n$/);
  const s = await cli.ok(["shell", NAME, "sh", "-c", 'sudo -S -p "" id -u <"$HOME/password"']);
  assert.equal(s.stdout, "0\n");
  // tslima's own root work (the reverse-sshfs mount) did not need the password.
  assert.equal((await cli.ok(["shell", NAME, "cat", "/mnt/share/hello.txt"])).stdout, "from the host\n");
  const helper = await cli.run(["shell", NAME, "sudo", "-n", "/usr/local/libexec/tslima/sshfs-helper", "mount", "/", "/etc", "ro"]);
  assert.match(helper.stderr, /is not a reverse-sshfs mount of this instance/, "the password-free helper mounts only the configured mounts");
  assert.equal(helper.code, 1);
});

test("an env: secret reaches the user's login shell and nobody else", async () => {
  assert.equal((await cli.ok(["shell", NAME, "printenv", "TSLIMA_SECRET"])).stdout, `${SECRET}\n`);
  const direct = await asNobody(`cat ${ENV_SH}`);
  assert.notEqual(direct.code, 0);
  assert.match(direct.stderr, /Permission denied/);
  const login = await asNobody('sh -lc "printenv TSLIMA_SECRET || echo unset"');
  assert.equal(login.stdout, "unset\n", login.stderr);
  // Nowhere else either: every file nobody can read in the places tslima and cloud-init write to.
  const anywhere = await asNobody(`grep -rlsF -D skip ${SECRET} /etc /run /usr/local /var/lib/cloud /var/log /tmp /home; true`);
  assert.equal(anywhere.stdout, "", `readable by nobody: ${anywhere.stdout}`);
});

test("an impostor sshd with another host key on the instance's ssh port is refused, naming the key mismatch", BOOT, async () => {
  const port = Number(/^\s*Port (\d+)$/m.exec(readFileSync(paths.sshConfig, "utf8"))?.[1]);
  assert.ok(port > 0);
  // The VM dies (as after a crash); a local process takes its ssh port.
  process.kill(Number(readFileSync(paths.qemuPid, "utf8").trim()), "SIGKILL");
  for (let i = 0; i < 100 && (await status()) !== "Stopped"; i++) await sleep(300);
  const dir = join(cli.root, "impostor");
  mkdirSync(dir);
  // A host key of its own; it would even accept the user's key: only the host key check stands in its way.
  const sshdConfig = writeSshdConfig(dir, port, readFileSync(join(cli.home, "_config", "user.pub"), "utf8").trim());
  mkdirSync("/run/sshd", { recursive: true });
  let log = "";
  impostor = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"] });
  impostor.stderr?.on("data", (b: Buffer) => (log += b.toString()));
  for (let i = 0; i < 50 && (await readBanner(port, 1000)) === undefined; i++) await sleep(200);

  // The documented way in: ssh -F <instance>/ssh.config lima-NAME.
  const plain = spawnSync("ssh", ["-F", paths.sshConfig, `lima-${NAME}`, "touch", "/tmp/reached"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(plain.status, 255);
  assert.match(plain.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  // tslima's own connection (start waits with it): one coded error at once, not a wait until the timeout.
  const t0 = Date.now();
  await assert.rejects(waitForSsh(paths, 120_000), (e: Error & { code?: string; hint?: string }) => {
    console.log(`error: ${e.message}\nhint: ${e.hint ?? ""}`);
    assert.equal(e.code, "ERR_TSLIMA_SSH_HOST_KEY");
    assert.match(e.message, /host key mismatch/);
    return true;
  });
  console.log(`refused after ${Date.now() - t0} ms`);
  assert.ok(Date.now() - t0 < 20_000);
  assert.doesNotMatch(log, /Accepted publickey/, "no session reached the impostor");
  assert.ok(!existsSync(paths.sshSock), "no ControlMaster to the impostor");
});
