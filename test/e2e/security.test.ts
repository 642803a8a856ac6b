/**
 * Security and honesty end to end, on one VM (the locally built Debian 12 guest, 1 vCPU, 1 GiB):
 * a hostSocket naming an existing regular file leaves it intact and says why; passwordlessSudo:
 * false makes `sudo -n` fail while the password in ~/password works (and reverse-sshfs, which tslima
 * mounts through sudo, still works); an env: secret is not readable
 * by `nobody`; the host agent's proxy variables reach the guest (propagateProxyEnv, loopback made the
 * host's address); and once the VM is gone, an impostor sshd with another host key on the instance's
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
import { poll } from "../../src/proc/wait.js";
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
/** The host agent's proxy variables (nothing listens there: nothing in the guest may need them). */
const PROXY_ENV = { http_proxy: "http://localhost:3128", HTTPS_PROXY: "http://127.0.0.1:3129", no_proxy: "localhost,.internal" };

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
  await guest.boot({ cold: true, reason: "passwordlessSudo: false, env: and the host's proxy variables are cloud-init config of the boot", name: NAME, yaml, env: PROXY_ENV, onEvent: (e) => bootEvents.push(e) });
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

/** A shell script running `commands` one after the other, each one's output (stderr with it) followed by its exit status, for sections(). */
function eachStatus(commands: string[]): string {
  return commands.map((c) => `${c} 2>&1; s=$?; echo; echo "@@ $s"`).join("\n");
}

/** The output of an eachStatus() script: each command's output and exit status. */
function sections(stdout: string): Array<{ out: string; code: number }> {
  const parts = stdout.split(/^@@ (\d+)\n/m);
  const out: Array<{ out: string; code: number }> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push({ out: (parts[i] ?? "").slice(0, -1), code: Number(parts[i + 1]) });
  return out;
}

test("started: passwordlessSudo false, an env: secret, a reverse-sshfs mount, a hostSocket naming a regular file", async () => {
  assert.ok(bootEvents.some((e) => e.status.ready === true), "start reported READY");
  // The pin: private key the user's only, the public half in known_hosts under the alias.
  assert.equal(statSync(paths.hostKey).mode & 0o777, 0o600);
  assert.equal(statSync(paths.cidataIso).mode & 0o777, 0o600, "cidata.iso carries the private host key");
  const pub = readFileSync(`${paths.hostKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
  assert.equal(readFileSync(paths.knownHosts, "utf8"), `lima-${NAME} ${pub}\n`);
  // (cloud-init leaves the guest's copy root-only; the user's sudo password is in ~/password)
  const keys = await cli.ok(["shell", NAME, "sh", "-c", 'sudo -S -p "" sh -c "cat /etc/ssh/ssh_host_ed25519_key.pub; echo @@; ls /etc/ssh/ssh_host_*_key" <"$HOME/password"']);
  const [guestKey = "", others = ""] = keys.stdout.split("@@\n");
  assert.equal(guestKey.split(" ").slice(0, 2).join(" "), pub, "the guest serves the key made on the host");
  assert.equal(others, "/etc/ssh/ssh_host_ed25519_key\n", "no other host key (the image's were deleted, none generated)");
});

test("a hostSocket that names a regular file is left intact, and the warning names the rule", async () => {
  const failed = await poll(() => events().find((e) => (e.portForward as { action?: string } | undefined)?.action === "failed"), { timeoutMs: 30_000, intervalMs: 500 });
  assert.ok(failed, "a failed forward event");
  console.log(`warning: ${String(failed.warning)}`);
  assert.match(String(failed.warning), /portForwards\[0\]/);
  assert.match(String(failed.warning), /exists and is a regular file; left intact \(tslima only replaces a stale unix socket/);
  assert.equal(readFileSync(precious, "utf8"), "my notes, not a socket\n");
});

test("passwordlessSudo false: the boot's cidata points resolved at the host resolver, and no step needed sudo for it", async () => {
  const port = readFileSync(join(paths.dir, "host-resolver.port"), "utf8").trim();
  const r = await cli.ok(["shell", NAME, "sh", "-c", "resolvectl status --no-pager | sed -n '1,12p'"]);
  assert.match(r.stdout, new RegExp(`192\\.168\\.5\\.2:${port}`), r.stdout);
  const warned = bootEvents.flatMap((e) => (e.kind === "warning" && /host agent's DNS server/.test(e.warning) ? [e.warning] : []));
  assert.deepEqual(warned, [], "no host-resolver warning");
});

test("passwordlessSudo false: sudo -n fails for the user; the password in ~/password (mode 600) works", async () => {
  // one guest session: each command's output (stderr with it) and exit status
  const r = await cli.ok(["shell", NAME, "sh", "-c", eachStatus([
    "sudo -n true",
    'stat -c "%a %U" "$HOME/password"',
    'sudo -S -p "" id -u <"$HOME/password"',
    "cat /mnt/share/hello.txt",
    "sudo -n /usr/local/libexec/tslima/sshfs-helper mount / /etc ro",
    'sudo -S -p "" cloud-init schema --system <"$HOME/password"',
  ])]);
  const [n, mode, id, hello, helper, schema] = sections(r.stdout);
  assert.ok(n && mode && id && hello && helper && schema, r.stdout);
  assert.equal(n.code, 1, n.out);
  assert.match(n.out, /password is required/);
  assert.match(mode.out, /^600 \S+\n$/);
  assert.equal(mode.code, 0);
  assert.equal(id.out, "0\n");
  assert.equal(id.code, 0);
  // tslima's own root work (the reverse-sshfs mount) did not need the password.
  assert.equal(hello.out, "from the host\n");
  assert.equal(hello.code, 0);
  assert.match(helper.out, /is not a reverse-sshfs mount of this instance/, "the password-free helper mounts only the configured mounts");
  assert.equal(helper.code, 1);
  // the user-data passes the guest cloud-init's own schema (the sudo rule, the sshfs helper's rule, the host key)
  assert.equal(schema.code, 0, schema.out);
  assert.match(schema.out, /Valid cloud-config/);
});

test("an env: secret reaches the user's login shell and nobody else", async () => {
  // one guest session: the user's printenv, then as nobody: the env file, a login shell's printenv,
  // a search for the secret in every file nobody can read in the places tslima and cloud-init write to
  const nobody = eachStatus([`cat ${ENV_SH}`, '{ sh -lc "printenv TSLIMA_SECRET || echo unset" 2>/dev/null; }', `grep -rlsF -D skip ${SECRET} /etc /run /usr/local /var/lib/cloud /var/log /tmp /home`]);
  const r = await cli.ok(["shell", "--workdir", "/", NAME, "sh", "-c", `${eachStatus(["printenv TSLIMA_SECRET"])}\nsudo -S -p '' -u nobody sh -c "$1" <"$HOME/password"`, "sh", nobody]);
  const [mine, direct, login, anywhere] = sections(r.stdout);
  assert.ok(mine && direct && login && anywhere, r.stdout);
  assert.equal(mine.out, `${SECRET}\n`);
  assert.equal(mine.code, 0);
  assert.notEqual(direct.code, 0);
  assert.match(direct.out, /Permission denied/);
  assert.equal(login.out, "unset\n");
  assert.equal(anywhere.out, "", `readable by nobody: ${anywhere.out}`);
});

test("propagateProxyEnv: the host agent's proxy variables reach login shells, /etc/environment and apt, loopback made the host's address", async () => {
  const r = await cli.ok(["shell", NAME, "sh", "-c", eachStatus(["printenv http_proxy HTTP_PROXY https_proxy HTTPS_PROXY no_proxy NO_PROXY", "grep -i _proxy= /etc/environment", "apt-config dump | grep -i proxy"])]);
  const [login, etc, apt] = sections(r.stdout);
  assert.ok(login && etc && apt, r.stdout);
  const http = "http://192.168.5.2:3128";
  const https = "http://192.168.5.2:3129";
  const noProxy = "localhost,.internal";
  assert.equal(login.out, [http, http, https, https, noProxy, noProxy, ""].join("\n"));
  assert.equal(etc.out, `http_proxy=${http}\nHTTP_PROXY=${http}\nhttps_proxy=${https}\nHTTPS_PROXY=${https}\nno_proxy=${noProxy}\nNO_PROXY=${noProxy}\n`);
  assert.match(apt.out, new RegExp(`^Acquire::http::Proxy "${http}";$`, "m"));
  assert.match(apt.out, new RegExp(`^Acquire::https::Proxy "${https}";$`, "m"));
});

test("an impostor sshd with another host key on the instance's ssh port is refused, naming the key mismatch", BOOT, async () => {
  const port = Number(/^\s*Port (\d+)$/m.exec(readFileSync(paths.sshConfig, "utf8"))?.[1]);
  assert.ok(port > 0);
  // The VM dies (as after a crash); a local process takes its ssh port.
  process.kill(Number(readFileSync(paths.qemuPid, "utf8").trim()), "SIGKILL");
  assert.ok(await poll(async () => ((await status()) === "Stopped" ? true : undefined), { timeoutMs: 30_000, intervalMs: 300 }), "stopped after the kill");
  const dir = join(cli.root, "impostor");
  mkdirSync(dir);
  // A host key of its own; it would even accept the user's key: only the host key check stands in its way.
  const sshdConfig = writeSshdConfig(dir, port, readFileSync(join(cli.home, "_config", "user.pub"), "utf8").trim());
  mkdirSync("/run/sshd", { recursive: true });
  let log = "";
  impostor = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", sshdConfig], { stdio: ["ignore", "ignore", "pipe"] });
  impostor.stderr?.on("data", (b: Buffer) => (log += b.toString()));
  await poll(() => readBanner(port, 1000), { timeoutMs: 10_000, intervalMs: 200 });

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
