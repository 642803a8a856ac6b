/**
 * Suspend and resume end to end (issue 11), as subtests on a running VM with a writable 9p mount
 * (mounts-9p.test.ts runs them on its VM, after its own checks): a suspend saves the VM (list shows
 * Suspended) and a start resumes it with its memory (a file in /dev/shm), the clock set again, the
 * 9p mount back and writable and an auto-forwarded port working; a suspend is refused, naming the
 * process, while a guest process has its cwd in the mount (and the VM goes on); a disk changed after
 * a suspend makes the next start boot cold, saying why (followed until the serial console shows the
 * kernel and systemd starting afresh, then interrupted: the rest is a boot like any other). The
 * library API suspends once; the CLI drives the user-facing commands. Leaves the instance Stopped.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningInstance } from "../../src/index.js";
import { parseList, type Cli } from "./harness.js";
import { isAlive } from "../../src/proc/pid.js";
import { systemdFromRoot } from "./serial-facts.js";

export interface SuspendTarget {
  cli: Cli;
  vm: RunningInstance;
  /** How long its cold start to READY took (the ratios are printed against it). */
  coldMs: number;
  /** A writable 9p mount: host directory and guest mount point. */
  location: string;
  mountPoint: string;
  /** A guest port that nothing listens on and whose host port is free: the auto-forward is checked on it. */
  port: number;
}

export async function suspendChecks(t: TestContext, o: SuspendTarget): Promise<void> {
  const { cli, vm } = o;
  const name = vm.name;
  const dir = join(cli.home, name);
  const token = randomBytes(8).toString("hex");

  const status = async (): Promise<string> => String(parseList((await cli.ok(["list", "--json", name])).stdout)[0]?.status);
  /** A script run by root in the guest, in one ssh session; its stdout. */
  const guest = async (script: string): Promise<string> => {
    const r = await vm.exec(["sudo", "sh", "-c", script]);
    assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`);
    return r.stdout;
  };
  const httpOk = async (): Promise<boolean> => {
    try {
      const r = await fetch(`http://127.0.0.1:${o.port}/hello.txt`, { signal: AbortSignal.timeout(5000) });
      return r.ok && (await r.text()).includes(token);
    } catch {
      return false;
    }
  };
  const within = async (seconds: number, what: string, check: () => Promise<boolean>): Promise<void> => {
    const t0 = Date.now();
    while (!(await check())) {
      if (Date.now() - t0 > seconds * 1000) assert.fail(`${what}: not within ${seconds}s`);
      await sleep(500);
    }
  };

  await t.test("suspend: a memory marker and a forwarded guest server to come back", async () => {
    await guest(`echo ${token} > /dev/shm/marker; mkdir -p /tmp/www && echo ${token} > /tmp/www/hello.txt && cd /tmp/www && (nohup python3 -m http.server ${o.port} --bind 127.0.0.1 </dev/null >/dev/null 2>&1 &)`);
    await within(60, "the guest's http server is forwarded", httpOk);
  });

  await t.test("suspend saves the VM; list shows Suspended; start resumes it with memory, clock, mount and forward", async () => {
    const qemuPid = Number(readFileSync(join(dir, "qemu.pid"), "utf8"));
    const s0 = Date.now();
    const s = await cli.run(["suspend", name]);
    const suspendMs = Date.now() - s0;
    assert.equal(s.code, 0, s.stderr);
    console.log(`suspend: ${(suspendMs / 1000).toFixed(1)} s (ratio ${(suspendMs / o.coldMs).toFixed(3)} of the cold start)\n${s.stderr}`);
    assert.match(s.stdout, /is suspended/);
    assert.equal(await status(), "Suspended");
    assert.ok(existsSync(join(dir, "vmstate")) && existsSync(join(dir, "suspend.json")), "the state is in the instance directory");
    assert.ok(!isAlive(qemuPid), "QEMU is gone");
    assert.equal(await httpOk(), false, "the forward is gone while suspended");
    await sleep(5000); // the guest clock must be set again, not just continue

    const t0 = Date.now();
    const r = await cli.run(["start", name]);
    const resumeMs = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Restoring the state saved at/);
    assert.doesNotMatch(r.stderr, /cloud-init/, "a resume does not wait for cloud-init");
    console.log(`resume to READY: ${(resumeMs / 1000).toFixed(1)} s (cold start ${(o.coldMs / 1000).toFixed(1)} s, ratio ${(resumeMs / o.coldMs).toFixed(3)})\n${r.stderr}`);
    assert.equal(await status(), "Running");
    assert.equal(existsSync(join(dir, "suspend.json")), false, "the record is consumed");
    assert.equal(existsSync(join(dir, "vmstate")), false, "the state file is removed");

    assert.equal((await guest("cat /dev/shm/marker")).trim(), token, "the guest's memory was restored");
    const before = Date.now() / 1000;
    const guestNow = Number((await guest("date +%s.%N")).trim());
    const afterT = Date.now() / 1000;
    assert.ok(Math.abs(guestNow - (before + afterT) / 2) < 2 + (afterT - before) / 2, `guest clock ${guestNow} vs host ${before}..${afterT}`);
    await guest(`echo after-resume > ${JSON.stringify(join(o.mountPoint, "resumed.txt"))}`);
    assert.equal(readFileSync(join(o.location, "resumed.txt"), "utf8"), "after-resume\n", "the 9p mount is back and writable");
    await within(60, "the forward of the guest's http server is back", httpOk);
  });

  await t.test("suspend is refused, naming the process, while a guest process has its cwd in the mount; the VM goes on", async () => {
    await guest(`cd ${JSON.stringify(o.mountPoint)} && (nohup sleep 600 </dev/null >/dev/null 2>&1 &)`);
    const r = await cli.run(["suspend", name]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /code: ERR_TSLIMA_SUSPEND_BUSY/);
    assert.match(r.stderr, new RegExp(`pid \\d+ \\(sleep 600\\) holds ${o.mountPoint.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(working directory\\)`));
    assert.match(r.stderr, /hint: /);
    assert.equal(await status(), "Running");
    assert.match(await guest(`findmnt -n -o FSTYPE --target ${JSON.stringify(o.mountPoint)}`), /9p/, "the mount is still there");
    assert.equal((await guest("cat /dev/shm/marker")).trim(), token);
    await within(30, "the forward still works", httpOk);
    await guest("pkill -x sleep; true");
  });

  await t.test("a disk changed after a suspend makes the next start boot cold, saying why", async () => {
    const instance = await vm.suspend();
    assert.equal(instance.status(), "Suspended");
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, "diffdisk"), later, later);
    let pid = 0;
    const t0 = Date.now();
    const running = cli.run(["start", "--timeout", "35m", name], { onSpawn: (p) => (pid = p) });
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
    assert.match(r.stderr, new RegExp(`warning: not resuming ${name}: diffdisk was modified after the state was saved .*booting it instead`));
    assert.doesNotMatch(r.stderr, /Restoring the state/);
    assert.equal(await status(), "Stopped");
  });
}
