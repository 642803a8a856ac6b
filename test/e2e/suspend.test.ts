/**
 * End to end, suspend and resume on the locally built Debian 12 guest under QEMU, one instance with
 * a writable 9p mount: a suspend saves the VM (list shows Suspended) and a start resumes it with its
 * memory (a file in /dev/shm), the clock set again, the 9p mount back and writable and an
 * auto-forwarded port working; a suspend is refused, naming the process, while a guest process has
 * its cwd in the mount (and the VM goes on); a disk changed after a suspend makes the next start
 * boot cold, saying why (followed until the serial console shows the kernel and systemd starting
 * afresh, then interrupted). The library API drives the boot and one suspend; the CLI the user-facing
 * commands. The instance is deleted at the end, also on failure.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Instance, type RunningInstance } from "../../src/index.js";
import { Cli, guestYaml, parseList } from "./harness.js";
import { systemdFromRoot } from "./serial-facts.js";

const NAME = "susp";
const cli = new Cli("suspend");
const LONG = { timeout: 40 * 60_000 };
const project = join(cli.root, "project");
const dir = join(cli.home, NAME);
const token = randomBytes(8).toString("hex");
const PORT = 8765;
let vm: RunningInstance | undefined;
let instance: Instance | undefined;
let coldMs = 0;

before(() => {
  mkdirSync(project, { recursive: true });
  chmodSync(project, 0o777); // the guest user (uid 1000) writes there; the tests run as root
});
after(async () => {
  await instance?.[Symbol.asyncDispose]().catch(() => undefined);
  await cli.cleanup([NAME]);
});

async function status(): Promise<string> {
  return String(parseList((await cli.ok(["list", "--json", NAME])).stdout)[0]?.status);
}

async function guest(script: string): Promise<string> {
  const r = await vm!.exec(["sh", "-c", script]);
  assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`);
  return r.stdout;
}

async function httpOk(): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${PORT}/hello.txt`, { signal: AbortSignal.timeout(5000) });
    return r.ok && (await r.text()).includes(token);
  } catch {
    return false;
  }
}

async function within(seconds: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > seconds * 1000) assert.fail(`${what}: not within ${seconds}s`);
    await sleep(500);
  }
}

test("cold boot with a 9p mount, memory marker and a forwarded guest server", LONG, async () => {
  const yaml = cli.file("susp.yaml", guestYaml(`mounts:\n- location: ${JSON.stringify(project)}\n  writable: true`));
  instance = await Instance.create(yaml, { name: NAME, home: cli.home });
  const t0 = Date.now();
  vm = await instance.start({ timeoutMs: 35 * 60_000 });
  coldMs = Date.now() - t0;
  console.log(`cold start to READY: ${(coldMs / 1000).toFixed(1)} s`);
  await guest(`echo ${token} > /dev/shm/marker`);
  await guest(`mkdir -p /tmp/www && echo ${token} > /tmp/www/hello.txt && cd /tmp/www && (nohup python3 -m http.server ${PORT} --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &)`);
  await within(60, "the guest's http server is forwarded", httpOk);
});

test("suspend saves the VM; list shows Suspended; start resumes it with memory, clock, mount and forward", LONG, async () => {
  const qemuPid = Number(readFileSync(join(dir, "qemu.pid"), "utf8"));
  const s0 = Date.now();
  const s = await cli.run(["suspend", NAME]);
  const suspendMs = Date.now() - s0;
  assert.equal(s.code, 0, s.stderr);
  console.log(`suspend: ${(suspendMs / 1000).toFixed(1)} s (ratio ${(suspendMs / coldMs).toFixed(3)} of the cold start)\n${s.stderr}`);
  assert.match(s.stdout, /is suspended/);
  assert.equal(await status(), "Suspended");
  assert.ok(existsSync(join(dir, "vmstate")) && existsSync(join(dir, "suspend.json")), "the state is in the instance directory");
  assert.throws(() => process.kill(qemuPid, 0), "QEMU is gone");
  assert.equal(await httpOk(), false, "the forward is gone while suspended");
  await sleep(5000); // the guest clock must be set again, not just continue

  const t0 = Date.now();
  const r = await cli.run(["start", NAME]);
  const resumeMs = Date.now() - t0;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Restoring the state saved at/);
  assert.doesNotMatch(r.stderr, /cloud-init/, "a resume does not wait for cloud-init");
  console.log(`resume to READY: ${(resumeMs / 1000).toFixed(1)} s (cold start ${(coldMs / 1000).toFixed(1)} s, ratio ${(resumeMs / coldMs).toFixed(3)})\n${r.stderr}`);
  assert.equal(await status(), "Running");
  assert.equal(existsSync(join(dir, "suspend.json")), false, "the record is consumed");
  assert.equal(existsSync(join(dir, "vmstate")), false, "the state file is removed");

  assert.equal((await guest("cat /dev/shm/marker")).trim(), token, "the guest's memory was restored");
  const before = Date.now() / 1000;
  const guestNow = Number((await guest("date +%s.%N")).trim());
  const afterT = Date.now() / 1000;
  assert.ok(Math.abs(guestNow - (before + afterT) / 2) < 2 + (afterT - before) / 2, `guest clock ${guestNow} vs host ${before}..${afterT}`);
  await guest(`echo after-resume > ${JSON.stringify(join(project, "resumed.txt"))}`);
  assert.equal(readFileSync(join(project, "resumed.txt"), "utf8"), "after-resume\n", "the 9p mount is back and writable");
  await within(60, "the forward of the guest's http server is back", httpOk);
});

test("suspend is refused, naming the process, while a guest process has its cwd in the mount; the VM goes on", LONG, async () => {
  await guest(`cd ${JSON.stringify(project)} && (nohup sleep 600 </dev/null >/dev/null 2>&1 &)`);
  const r = await cli.run(["suspend", NAME]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /code: ERR_TSLIMA_SUSPEND_BUSY/);
  assert.match(r.stderr, /pid \d+ \(sleep 600\) holds .*project \(working directory\)/);
  assert.match(r.stderr, /hint: /);
  assert.equal(await status(), "Running");
  assert.match(await guest(`findmnt -n -o FSTYPE --target ${JSON.stringify(project)}`), /9p/, "the mount is still there");
  assert.equal((await guest("cat /dev/shm/marker")).trim(), token);
  await within(30, "the forward still works", httpOk);
  await guest("pkill -x sleep; true");
});

test("a disk changed after a suspend makes the next start boot cold, saying why", LONG, async () => {
  instance = await vm!.suspend();
  assert.equal(instance.status(), "Suspended");
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(dir, "diffdisk"), later, later);
  let pid = 0;
  const t0 = Date.now();
  const running = cli.run(["start", "--timeout", "35m", NAME], { onSpawn: (p) => (pid = p) });
  let finished = false;
  void running.then(() => (finished = true));
  // A resumed guest prints nothing to the console; a cold boot starts the kernel afresh and brings
  // systemd up on the disk's root (QEMU truncates serial.log when it starts). That is enough: the
  // rest of this boot is the second boot lifecycle.test.ts follows to READY, so Ctrl-C stops it.
  const serial = join(dir, "serial.log");
  let log = "";
  while (!finished && Date.now() - t0 < 30 * 60_000 && !systemdFromRoot(log)) {
    await sleep(1000);
    log = existsSync(serial) ? readFileSync(serial, "utf8") : "";
  }
  assert.ok(systemdFromRoot(log), `no cold boot in the serial log:\n${log.slice(-2000)}`);
  assert.match(log, /Linux version \d/, "the kernel booted");
  assert.equal(existsSync(join(dir, "vmstate")), false, "the state was discarded");
  if (!finished) process.kill(pid, "SIGINT");
  const r = await running;
  assert.match(r.stderr, /warning: not resuming susp: diffdisk was modified after the state was saved .*booting it instead/);
  assert.doesNotMatch(r.stderr, /Restoring the state/);
  assert.equal(await status(), "Stopped");
});
