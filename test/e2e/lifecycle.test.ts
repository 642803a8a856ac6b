/**
 * End to end, through the CLI as a user runs it, on the locally built Debian 12 guest under QEMU:
 * start, shell (exit codes, stdin, workdir), copy in and out, stop and start again (data persists),
 * two concurrent starts, Ctrl-C during a start, kill -9 of qemu and of the host agent, delete.
 * One instance serves the whole file: created and first booted through the library (FileGuest, with
 * the same mount option as `--mount`), which disposes of it at the end, also on failure; every later
 * start, stop and delete is the CLI's. The boots: the first, the light one after a crash right after
 * it (issue 31: with a host key the crash left empty), the restart after stop, `shell --start`
 * recovering from the kill -9 of qemu, the start of the Broken instance (killed 15 s in) and the full
 * one after it, and the start whose sshd cannot start (failing fast); the Ctrl-C comes last.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import { cliPath } from "../helpers.js";
import { Cli, FileGuest, guestYaml, parseList } from "./harness.js";
import { bootFacts, guestOut, lightYaml, lines } from "./boot-facts.js";
import type { AgentEvent } from "../../src/index.js";
import { whichSync } from "../../src/proc/which.js";
import { isAlive } from "../../src/proc/pid.js";

const NAME = "life";
// As a user runs `tslima`: bin/tslima, whose shell fast path runs ssh without Node (issue 11).
const cli = new Cli("lifecycle");
const BOOT = { timeout: 15 * 60_000 };
/** A host folder mounted writable with --mount (9p, the default mount type). */
const project = join(cli.root, "project dir");

async function status(name = NAME): Promise<string> {
  const r = await cli.ok(["list", "--json", name]);
  return String(parseList(r.stdout)[0]?.status);
}

function pidOf(file: string): number {
  return Number(readFileSync(join(cli.home, NAME, file), "utf8").trim());
}

/** A root command in the guest: the instance's user has a sudo password (passwordlessSudo: false), in ~/password. */
function asRoot(script: string): string {
  return `sudo -S -p "" sh -c '${script}' <"$HOME/password"`;
}

/** Waits until the host agent noticed qemu's death and cleaned up. */
async function waitStopped(): Promise<void> {
  let st = "";
  for (let i = 0; i < 150 && st !== "Stopped"; i++) {
    await sleep(200);
    st = await status();
  }
  assert.equal(st, "Stopped", "the agent cleaned up after qemu's death");
}

/** A TCP port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Running (a zombie is not: an orphaned QEMU is reaped by init, which in a container may never happen). */
const alive = isAlive;

/**
 * The phases a later boot of the unchanged instance goes through, as `tslima start` prints them: the
 * cidata is the same as at the last READY, so cloud-init is switched off and tslima-boot.service
 * does the per-boot work (issue 11: the second start below checks that work in depth).
 */
const PHASES = ["cloud-init: switched off", "Starting QEMU", "Waiting for SSH", "Waiting for the guest's boot setup", "READY"];
/** The phases of the first boot: cloud-init runs in full. */
const FIRST_PHASES = ["cloud-init: full run (first boot of the disk)", "Starting QEMU", "Waiting for SSH", "Waiting for cloud-init", "READY"];

/** `tslima start`'s output for a later start that booted the VM: every phase, the TCG warning, the note. */
function assertBootOutput(r: { stdout: string; stderr: string }): void {
  for (const phase of PHASES) assert.ok(r.stderr.includes(phase), `start shows the ${phase} phase`);
  assert.match(r.stderr, /warning: using TCG/, "the accelerator fallback is announced");
  assert.match(r.stdout, /Instance life is running/);
}

const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];

before(async () => {
  mkdirSync(join(project, "sub"), { recursive: true });
  // The tests run as root on the host while the guest user is uid 1000: let it write there.
  for (const d of [project, join(project, "sub")]) chmodSync(d, 0o777);
  await guest.boot({ cold: true, reason: "the boot itself is under test (its phases, the first boot); env, user and a --mount flag of its own", name: NAME, yaml: guestYaml(lightYaml({ foo: "one" })), mounts: [{ location: project, writable: true }], progress: true, onEvent: (e) => bootEvents.push(e) });
}, BOOT);
after(() => guest[Symbol.asyncDispose]());

test("the library creates the instance from a file and boots it; its events report the phases", async () => {
  const said = bootEvents.map((e) => (e.kind === "ready" ? "READY" : "message" in e ? (e.message ?? "") : "")).join("\n");
  console.log(said);
  for (const phase of FIRST_PHASES) assert.ok(said.includes(phase), `an event reports the ${phase} phase`);
  assert.ok(bootEvents.some((e) => e.kind === "warning" && /using TCG/.test(e.warning)), "the accelerator fallback is announced");
  // start --progress (progress: true) in a guest without passwordless sudo: the log, root's, cannot
  // be read; one warning says so and the boot goes on
  const unread = bootEvents.filter((e) => e.kind === "warning" && e.warning.startsWith("start --progress: the guest's boot log cannot be followed"));
  assert.equal(unread.length, 1, JSON.stringify(unread));
  assert.match(unread[0]?.kind === "warning" ? unread[0].warning : "", /password is required.*user\.passwordlessSudo/);
  assert.equal(await status(), "Running");
  const list = parseList((await cli.ok(["list", "--json"])).stdout)[0]!;
  assert.equal(list.cpus, 1);
  assert.equal(list.memory, 1024 ** 3);
  assert.ok(Number(list.sshLocalPort) > 0);
  // a first boot runs cloud-init in full; tslima-boot.service stays out of it
  const f = await bootFacts(cli, NAME);
  assert.deepEqual([f.disabled, f.cloudFinal, f.resultJson], [false, "active", true]);
  assert.notEqual(f.tslimaBoot, "active", "tslima-boot.service stays out of a full boot");
  assert.deepEqual(lines(await guestOut(cli, NAME, "cat /var/lib/system-runs")), ["system one"]);
  // issue 31: the boot's last step writes the guest's file systems to disk, before READY
  const sync = bootEvents.findIndex((e) => e.kind === "step" && e.step === "sync-disks");
  const ready = bootEvents.findIndex((e) => e.kind === "ready");
  assert.ok(sync >= 0 && sync < ready, "the guest is synced before READY");
  console.log(`sync before READY took ${Date.parse(bootEvents[ready]!.time) - Date.parse(bootEvents[sync]!.time)} ms`);
});

test("a crash right after the first READY: the next (light) boot repairs a host key the crash left empty, reaches READY, and synced files are intact", BOOT, async () => {
  // As the crash of issue 31 left it: the host key cloud-init had just written is empty on disk.
  await guestOut(cli, NAME, `echo crash-safe >"$HOME/synced.txt" && sync && ${asRoot("truncate -s0 /etc/ssh/ssh_host_ed25519_key && sync")}`);
  process.kill(pidOf("qemu.pid"), "SIGKILL");
  await waitStopped();
  const r = await cli.run(["start", NAME]);
  assert.equal(r.code, 0, r.stderr);
  console.log(r.stderr);
  assert.match(r.stderr, /cloud-init: switched off/, "a light boot: the first boot reached READY");
  assert.match(r.stderr, /tslima-check: \/etc\/ssh\/ssh_host_ed25519_key was missing or empty after a crash; repaired from the cidata/, "the repair is said in one line");
  assert.match(r.stderr, /Writing the guest's file systems to disk[\s\S]*READY/);
  // ssh checked the guest's key against the pinned one: the repaired key is the instance's
  assert.equal(await guestOut(cli, NAME, 'cat "$HOME/synced.txt"'), "crash-safe\n");
  assert.notEqual((await guestOut(cli, NAME, asRoot("wc -c </etc/ssh/ssh_host_ed25519_key"))).trim(), "0");
});

test("shell runs commands: output, exit codes, stdin, login environment", async () => {
  const u = await cli.ok(["shell", NAME, "uname", "-a"]);
  assert.match(u.stdout, /^Linux lima-life .* x86_64 GNU\/Linux\n$/);
  assert.equal((await cli.run(["shell", NAME, "sh", "-c", "exit 42"])).code, 42);
  assert.equal((await cli.run(["shell", NAME, "false"])).code, 1);
  const piped = await cli.ok(["shell", NAME, "sha256sum"], { input: "hello from the host\n" });
  const expected = createHash("sha256").update("hello from the host\n").digest("hex");
  assert.equal(piped.stdout.split(" ")[0], expected, "stdin reaches the command byte for byte");
  const args = await cli.ok(["shell", NAME, "printf", "%s|", "a b", "$HOME", "it's"]);
  assert.equal(args.stdout, "a b|$HOME|it's|", "arguments are passed without re-splitting or expansion");
  const dashed = await cli.ok(["shell", NAME, "--", "ls", "-d", "/"]);
  assert.equal(dashed.stdout, "/\n", "`shell NAME -- CMD` runs CMD");
  const wd = await cli.ok(["shell", "--workdir", "/tmp", NAME, "pwd"]);
  assert.equal(wd.stdout.trim(), "/tmp");
  const home = await cli.ok(["shell", NAME, "sh", "-c", "pwd; id -un"]);
  const [pwd, user] = home.stdout.trim().split("\n");
  assert.match(pwd!, /^\/home\/.+\.guest$/, "outside any mount the command runs in the guest home");
  assert.ok(user && user.length > 0);
  // The fast path needs no Node: with only ssh on PATH the launcher still runs the command.
  const onlySsh = join(cli.root, "only-ssh");
  mkdirSync(onlySsh, { recursive: true });
  if (!existsSync(join(onlySsh, "ssh"))) symlinkSync(whichSync("ssh")!, join(onlySsh, "ssh"));
  const fast = await cli.run(["shell", NAME, "sh", "-c", "exit 7"], { env: cli.env({ PATH: onlySsh }) });
  assert.equal(fast.code, 7, `bin/tslima ran ssh itself (no node on PATH): ${fast.stderr}`);
  assert.ok(existsSync(join(cli.home, NAME, "shell-fast")), "the agent's record for the fast path");
  const bad = await cli.run(["shell", "nosuch", "true"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /nosuch/);
  assert.match(bad.stderr, /life/, "the error lists the existing instances");
});

test("--mount shares a host folder; shell follows the host cwd into it", async () => {
  const r = await cli.ok(["shell", NAME, "sh", "-c", "pwd; echo from-guest > made-in-guest.txt"], { cwd: join(project, "sub") });
  assert.equal(r.stdout.trim(), join(project, "sub"), "the guest cwd is the same path inside the mount");
  assert.equal(readFileSync(join(project, "sub", "made-in-guest.txt"), "utf8"), "from-guest\n");
  const m = await cli.ok(["shell", NAME, "findmnt", "-n", "-o", "FSTYPE,OPTIONS", "--target", project]);
  assert.match(m.stdout, /^9p\s+rw,/);
});

test("shell on a terminal gets a TTY in the guest; without one it does not", async () => {
  // script(1) gives the CLI a pseudo-terminal, as an interactive user has.
  // Through Node, and through bin/tslima's fast path.
  for (const cmd of [`${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} shell ${NAME} tty`, `${JSON.stringify(join(dirname(cliPath), "tslima"))} shell ${NAME} tty`]) {
    const viaTty = spawnSync("script", ["-q", "-e", "-c", cmd, "/dev/null"], { env: cli.env(), encoding: "utf8", timeout: 120_000 });
    assert.equal(viaTty.status, 0, viaTty.stderr);
    assert.match(viaTty.stdout, /\/dev\/pts\/\d+/);
  }
  const noTty = await cli.run(["shell", NAME, "tty"]);
  assert.equal(noTty.code, 1);
  assert.match(noTty.stdout, /not a tty/);
});

test("copy: a file and a directory into the guest and back out", async () => {
  const src = join(cli.root, "in.txt");
  writeFileSync(src, "copied in\n");
  await cli.ok(["copy", src, `${NAME}:/tmp/in.txt`]);
  assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/in.txt"])).stdout, "copied in\n");
  const dir = join(cli.root, "tree");
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "sub", "f"), "deep\n");
  await cli.ok(["copy", "-r", dir, `${NAME}:/tmp/`]);
  assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/tree/sub/f"])).stdout, "deep\n");
  await cli.ok(["shell", NAME, "sh", "-c", "echo made in the guest > /tmp/out.txt"]);
  const out = join(cli.root, "out.txt");
  await cli.ok(["copy", `${NAME}:/tmp/out.txt`, out]);
  assert.equal(readFileSync(out, "utf8"), "made in the guest\n");
  const missing = await cli.run(["copy", `${NAME}:/tmp/no-such-file`, out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /copy .* failed/);
});

test("delete refuses a running instance without -f", async () => {
  const r = await cli.run(["delete", NAME]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /running/i);
  assert.match(r.stderr, /stop|-f/);
  assert.equal(await status(), "Running");
});

test("stop powers the guest off; two concurrent starts boot it once; data persists", BOOT, async () => {
  await cli.ok(["shell", NAME, "sh", "-c", "echo kept > ~/persist.txt && sync"]);
  const qemuPid = pidOf("qemu.pid");
  await cli.ok(["stop", NAME]);
  assert.equal(await status(), "Stopped");
  assert.ok(!alive(qemuPid), "qemu is gone after stop");
  assert.ok(!existsSync(join(cli.home, NAME, "shell-fast")), "stop removes the fast path's record");
  const [a, b] = await Promise.all([cli.run(["start", NAME]), cli.run(["start", NAME])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const booted = [a, b].filter((r) => /Starting QEMU/.test(r.stderr));
  assert.equal(booted.length, 1, `exactly one start boots the VM:\n--- a ---\n${a.stderr}\n--- b ---\n${b.stderr}`);
  console.log(booted[0]!.stderr);
  assertBootOutput(booted[0]!);
  assert.ok([a, b].some((r) => /already running/.test(r.stderr)), "the other one finds it running");
  assert.equal(await status(), "Running");
  assert.equal((await cli.ok(["shell", NAME, "cat", "persist.txt"])).stdout, "kept\n");
});

test("that second start of the unchanged instance was light: cloud-init off, the per-boot work done by tslima-boot.service", async () => {
  const f = await bootFacts(cli, NAME);
  assert.equal(f.disabled, true, "the kernel command line has cloud-init=disabled");
  assert.equal(f.cloudFinal, "inactive", "cloud-init's final stage did not run");
  assert.equal(f.resultJson, false, "cloud-init did not run at all on this boot");
  assert.equal(f.tslimaBoot, "active");
  // mode boot, system and user provisioning run on every boot (as Lima's do), with env:
  // (three boots: the first, the light one after the crash, this one)
  assert.deepEqual(lines(await guestOut(cli, NAME, "cat /var/lib/boot-runs")), ["boot one", "boot one", "boot one"]);
  assert.deepEqual(lines(await guestOut(cli, NAME, "cat /var/lib/system-runs")), ["system one", "system one", "system one"]);
  assert.equal(lines(await guestOut(cli, NAME, 'cat "$HOME/user-runs"')).length, 3);
  assert.match(await guestOut(cli, NAME, 'echo "FOO=$FOO"'), /^FOO=one$/m, "login shells still get env:");
  // the 9p mount is back and writable
  await cli.ok(["shell", NAME, "sh", "-c", "echo from-light-boot > light.txt"], { cwd: project });
  assert.equal(readFileSync(join(project, "light.txt"), "utf8"), "from-light-boot\n");
  assert.equal((await guestOut(cli, NAME, `findmnt -n -o FSTYPE --target ${JSON.stringify(project)}`)).trim(), "9p");
  // passwordlessSudo: false still holds; the password set on the first boot still works
  assert.notEqual((await cli.run(["shell", NAME, "sudo", "-n", "true"])).code, 0);
  assert.equal((await guestOut(cli, NAME, 'sudo -S -p "" id -u <"$HOME/password"')).trim(), "0");
  // the host name and the pinned host key are the first boot's (ssh checks the key)
  assert.equal((await guestOut(cli, NAME, "hostname")).trim(), `lima-${NAME}`);
});

test("kill -9 of qemu: list shows Broken or Stopped; shell points at --start, and shell --start recovers it", BOOT, async () => {
  process.kill(pidOf("qemu.pid"), "SIGKILL");
  let st = "";
  for (let i = 0; i < 50 && st !== "Broken" && st !== "Stopped"; i++) {
    st = await status();
    if (st !== "Running") break;
    await sleep(200);
  }
  // The host agent notices qemu's death and cleans up (Stopped); until then the instance is Broken.
  assert.ok(st === "Broken" || st === "Stopped", `status after kill -9 of qemu: ${st}`);
  const refused = await cli.run(["shell", NAME, "true"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is (Stopped|Broken)[\s\S]*shell --start/);
  // the agent has cleaned up once the status is Stopped; then a change to env: and provision:
  for (let i = 0; i < 100 && st !== "Stopped"; i++) {
    await sleep(200);
    st = await status();
  }
  assert.equal(st, "Stopped", "the agent cleaned up after qemu's death");
  await cli.ok(["edit", NAME, "--set", '.env.FOO = "two"', "--set", '.provision += [{"mode": "system", "script": "#!/bin/sh\\necho added >/var/lib/added; chmod 644 /var/lib/added\\n"}]']);
  const r = await cli.run(["shell", "--start", NAME, "cat", "persist.txt"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "kept\n", "the data survived the kill");
  assert.match(r.stderr, /Starting QEMU[\s\S]*READY/, "the boot's progress is shown");
  assert.equal(await status(), "Running");
  // the changed cidata made this boot a full cloud-init run, which applied the change
  assert.match(r.stderr, /cloud-init: full run \(the cidata changed/);
  const f = await bootFacts(cli, NAME);
  assert.deepEqual([f.disabled, f.cloudFinal, f.resultJson], [false, "active", true]);
  assert.equal(lines(await guestOut(cli, NAME, "cat /var/lib/added")).join(), "added", "the new provision step ran");
  assert.match(await guestOut(cli, NAME, 'echo "FOO=$FOO"'), /^FOO=two$/m, "the new env: is applied");
  assert.deepEqual(lines(await guestOut(cli, NAME, "cat /var/lib/system-runs")), ["system one", "system one", "system one", "system two"]);
  assert.deepEqual(lines(await guestOut(cli, NAME, "cat /var/lib/boot-runs")), ["boot one", "boot one", "boot one", "boot two"]);
  const again = await cli.run(["shell", "--start", NAME, "true"]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /Starting QEMU/, "a running instance is not started again");
});

test("shell --shell, --preserve-env and --reconnect", async () => {
  // a "shell" that says how it was called, then runs the command with sh
  await cli.ok(["shell", NAME, "sh", "-c", `printf '#!/bin/sh\\necho "myshell $*"\\nexec /bin/sh "$@"\\n' > /tmp/myshell && chmod +x /tmp/myshell`]);
  const mine = await cli.ok(["shell", "--shell", "/tmp/myshell", NAME, "echo", "$HOME"]);
  assert.equal(mine.stdout, "myshell -l -c echo '$HOME'\n$HOME\n", "the given shell runs the command, its arguments literal");
  const login = await cli.ok(["shell", "--shell", "/tmp/myshell", NAME], { input: "echo in-login-shell\n" });
  assert.equal(login.stdout, "myshell -l\nin-login-shell\n");
  const missing = await cli.run(["shell", "--shell", "/no/such/shell", NAME, "true"]);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /\/no\/such\/shell/);

  const env = cli.env({ TSLIMA_E2E_GREETING: "it's a 'test'", LIMA_SHELLENV_BLOCK: "+TSLIMA_E2E_SECRET", TSLIMA_E2E_SECRET: "s" });
  const kept = await cli.ok(["shell", "--preserve-env", NAME, "sh", "-c", 'echo "$TSLIMA_E2E_GREETING|${TSLIMA_E2E_SECRET-unset}|$HOME"'], { env });
  const [greeting, secret, home] = kept.stdout.trim().split("|");
  assert.equal(greeting, "it's a 'test'");
  assert.equal(secret, "unset", "LIMA_SHELLENV_BLOCK=+NAME keeps NAME on the host");
  assert.match(home!, /^\/home\/.+\.guest$/, "HOME is on Lima's default block list: the guest's own");
  const plain = await cli.ok(["shell", NAME, "sh", "-c", 'echo "${TSLIMA_E2E_GREETING-unset}"'], { env });
  assert.equal(plain.stdout, "unset\n", "without --preserve-env nothing passes");

  const cfg = join(cli.home, NAME, "ssh.config");
  const masterPid = () => /pid=(\d+)/.exec(spawnSync("ssh", ["-F", cfg, "-O", "check", `lima-${NAME}`], { encoding: "utf8" }).stderr)?.[1];
  await cli.ok(["shell", NAME, "true"]);
  const before = masterPid();
  assert.ok(before, "a ControlMaster serves the instance");
  const r = await cli.ok(["shell", "--reconnect", NAME, "echo", "again"]);
  assert.equal(r.stdout, "again\n");
  assert.equal(r.stderr, "", "no complaint about a stale control socket");
  const after = masterPid();
  assert.ok(after && after !== before, `a new ControlMaster (${before} -> ${after})`);
});

test("copy: between two instance paths (scp -3), -v, and --backend", async () => {
  await cli.ok(["shell", NAME, "sh", "-c", "echo between > /tmp/i2i-src.txt"]);
  await cli.ok(["copy", `${NAME}:/tmp/i2i-src.txt`, `${NAME}:/tmp/i2i-dst.txt`]);
  assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/i2i-dst.txt"])).stdout, "between\n");
  const src = join(cli.root, "verbose.txt");
  writeFileSync(src, "verbose\n");
  const v = await cli.ok(["copy", "-v", "--backend", "scp", src, `${NAME}:/tmp/verbose.txt`]);
  assert.match(v.stderr, /^scp -F \S+ -p -- /m, "-v shows the command run");
  assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/verbose.txt"])).stdout, "verbose\n");
  const hostRsync = whichSync("rsync") !== undefined;
  const guestRsync = (await cli.run(["shell", NAME, "sh", "-c", "command -v rsync"])).code === 0;
  const rsync = await cli.run(["copy", "--backend", "rsync", src, `${NAME}:/tmp/rsync.txt`]);
  if (!hostRsync) {
    assert.equal(rsync.code, 1);
    assert.match(rsync.stderr, /rsync is not installed on the host[\s\S]*--backend scp[\s\S]*ERR_TSLIMA_COPY_BACKEND/);
  } else if (guestRsync || rsync.code === 0) {
    // the guest had rsync, or --backend rsync installed it (with passwordless sudo)
    assert.equal(rsync.code, 0, rsync.stderr);
    assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/rsync.txt"])).stdout, "verbose\n");
    assert.equal((await cli.run(["shell", NAME, "sh", "-c", "command -v rsync"])).code, 0);
  } else {
    // no rsync in the guest, and no passwordless sudo to install it with
    assert.equal(rsync.code, 1);
    assert.match(rsync.stderr, /rsync is not installed in \S+ and could not be installed: [\s\S]*--backend scp[\s\S]*ERR_TSLIMA_COPY_BACKEND/);
  }
  await cli.ok(["copy", "--backend", "auto", src, `${NAME}:/tmp/auto.txt`]);
  assert.equal((await cli.ok(["shell", NAME, "cat", "/tmp/auto.txt"])).stdout, "verbose\n");
  const twoRsync = await cli.run(["copy", "--backend", "rsync", `${NAME}:/tmp/auto.txt`, `${NAME}:/tmp/x.txt`]);
  assert.equal(twoRsync.code, 1);
  assert.match(twoRsync.stderr, /ERR_TSLIMA_COPY_BACKEND/);
  const bad = await cli.run(["copy", "--backend", "ftp", src, `${NAME}:/tmp/`]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--backend/);
});

test("--log-format json: tslima's messages as JSON lines, the guest command's stderr untouched", async () => {
  const r = await cli.run(["--log-format", "json", "shell", "nosuch", "true"]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, "fatal");
  assert.match(lines[0]!.msg!, /"nosuch" does not exist/);
  assert.equal(lines[0]!.code, "ERR_TSLIMA_UNKNOWN_INSTANCE");
  assert.ok(!Number.isNaN(Date.parse(lines[0]!.time!)));
  const guest = await cli.run(["--log-format=json", "shell", NAME, "sh", "-c", "echo from-guest >&2; exit 3"]);
  assert.equal(guest.code, 3);
  assert.equal(guest.stderr, "from-guest\n");
});

test("the guest home is reachable as /home/USER.linux as well as /home/USER.guest", async () => {
  const r = await cli.ok(["shell", NAME, "sh", "-c", 'cd "/home/$(id -un).linux" && pwd -P && echo "$HOME" && cat persist.txt']);
  const [real, home, kept] = r.stdout.trim().split("\n");
  assert.match(home!, /^\/home\/.+\.guest$/);
  assert.equal(real, home);
  assert.equal(kept, "kept");
});

/** qemu.pid's pid, or 0 while there is none. */
function qemuPidNow(): number {
  try {
    return pidOf("qemu.pid");
  } catch {
    return 0;
  }
}

test("start of a Broken instance it may not re-attach to (lima.yaml changed its machine) powers its live guest off first; kill -9 of qemu 15 s into that (light) boot; the next start boots in full and works", BOOT, async () => {
  // written, not synced: the guest's power-off writes it (a kill would lose it)
  await guestOut(cli, NAME, 'echo before-broken >"$HOME/unsynced.txt"');
  const oldQemu = pidOf("qemu.pid");
  process.kill(pidOf("ha.pid"), "SIGKILL");
  await sleep(500);
  assert.equal(await status(), "Broken");
  // a fixed ssh port other than the running QEMU's (cidata unchanged: the boot stays light); the
  // re-attach itself is agent-death.test.ts's
  const yaml = join(cli.home, NAME, "lima.yaml");
  const original = readFileSync(yaml, "utf8");
  writeFileSync(yaml, `${original}\nssh:\n  localPort: ${await freePort()}\n`);
  const running = cli.run(["start", NAME]);
  let qemu = 0;
  for (let i = 0; i < 1500 && (qemu === 0 || qemu === oldQemu); i++) {
    await sleep(200);
    qemu = qemuPidNow();
  }
  assert.ok(qemu !== 0 && qemu !== oldQemu && !alive(oldQemu), "the old qemu is gone and a new one boots");
  await sleep(15_000);
  process.kill(qemu, "SIGKILL");
  const r = await running;
  console.log(r.stderr);
  assert.equal(r.code, 1);
  writeFileSync(yaml, original);
  assert.match(r.stderr, /runs without its host agent[\s\S]*not re-attaching[^\n]*ssh\.localPort[^\n]*powering it off/);
  assert.doesNotMatch(readFileSync(join(cli.home, NAME, "ha.stderr.log"), "utf8"), /did not halt in time/);
  assert.match(r.stderr, /cloud-init: switched off/);
  assert.match(r.stderr, /QEMU_EXITED/);
  const next = await cli.run(["start", NAME]);
  assert.equal(next.code, 0, next.stderr);
  // the killed boot never reached READY: cloud-init runs (the same instance-id: per-boot work only)
  assert.match(next.stderr, /cloud-init: full run \(no earlier boot/);
  assert.equal(await guestOut(cli, NAME, 'cat "$HOME/unsynced.txt"'), "before-broken\n", "the power-off wrote it; the kill 15 s into the boot lost nothing");
});

test("kill -9 of the host agent: list shows Broken, stop -f recovers; then a guest whose sshd cannot start fails the start within seconds, with serial.log's lines", BOOT, async () => {
  // a configuration sshd refuses, on disk (the boot check repairs empty files only; this one it cannot)
  await guestOut(cli, NAME, asRoot("echo NoSuchOption yes >/etc/ssh/sshd_config.d/zz-broken.conf && sync"));
  const ha = pidOf("ha.pid");
  const qemu = pidOf("qemu.pid");
  process.kill(ha, "SIGKILL");
  await sleep(500);
  assert.equal(await status(), "Broken");
  // The agent could not remove the fast path's record; the launcher sees its process gone and
  // leaves the shell to Node, which says what is wrong.
  assert.ok(existsSync(join(cli.home, NAME, "shell-fast")));
  const sh = await cli.run(["shell", NAME, "true"]);
  assert.equal(sh.code, 1);
  assert.match(sh.stderr, /is Broken/);
  const listed = await cli.ok(["list"]);
  assert.match(listed.stdout, /life\s+Broken/);
  await cli.ok(["stop", "-f", NAME]);
  assert.equal(await status(), "Stopped");
  assert.ok(!alive(qemu), "the orphaned qemu was killed");
  assert.ok(!existsSync(join(cli.home, NAME, "qemu.pid")), "stale pid files are removed");
  // the start fails as soon as the console says sshd failed, not after its 10-minute timeout
  const serial = join(cli.home, NAME, "serial.log");
  let said = 0;
  let done = false;
  const watch = (async () => {
    for (; !done && said === 0; await sleep(250)) {
      if (qemuPidNow() !== 0 && /Failed to start.*ssh/.test(readFileSync(serial, "latin1"))) said = Date.now();
    }
  })();
  const r = await cli.run(["start", NAME]);
  const ended = Date.now();
  done = true;
  await watch;
  console.log(r.stderr);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the guest's ssh server failed to start; serial\.log says:\n.*Failed to start ssh\.servi/);
  assert.match(r.stderr, /factory-reset life/);
  assert.match(r.stderr, /code: ERR_TSLIMA_GUEST_SSHD_FAILED/);
  assert.ok(said > 0 && ended - said < 20_000, `reported ${ended - said} ms after the console said so`);
  assert.equal(await status(), "Stopped");
});

test("Ctrl-C during start stops the boot and leaves the instance Stopped", BOOT, async () => {
  let pid = 0;
  const running = cli.run(["start", NAME], { onSpawn: (p) => (pid = p) });
  // Wait until QEMU runs, then interrupt as a terminal would.
  const qemuPidFile = join(cli.home, NAME, "qemu.pid");
  for (let i = 0; i < 300 && !existsSync(qemuPidFile); i++) await sleep(200);
  assert.ok(existsSync(qemuPidFile), "qemu was started");
  const qemu = pidOf("qemu.pid");
  process.kill(pid, "SIGINT");
  const r = await running;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /interrupted/);
  assert.equal(await status(), "Stopped");
  assert.ok(!alive(qemu), "qemu was stopped");
});

test("delete removes the instance; unknown names are a clear error", async () => {
  await cli.ok(["delete", NAME]);
  assert.equal(existsSync(join(cli.home, NAME)), false);
  const r = await cli.run(["list", "--json", NAME]);
  assert.notEqual(r.code === 0 && r.stdout.trim() !== "", true, "the instance is no longer listed");
  const d = await cli.run(["delete", NAME]);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /does not exist|no instance/i);
});
