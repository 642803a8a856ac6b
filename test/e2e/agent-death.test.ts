/**
 * End to end, a host agent killed with -9: QEMU survives it, the instance reads as
 * Broken with `start` re-attaching as the remedy, and the next `start` adopts the running QEMU
 * instead of killing it: the same guest boot, its processes still running, ssh, the
 * reverse-sshfs mount and a port forward working again. The agent is killed while the VM is
 * ready, twice during `tslima suspend` (while it unmounts, and while it writes the state: the save
 * is cancelled and a paused VM continued), and during a cold boot (the new agent finishes the
 * boot's readiness). One VM (a clone of the run's base snapshot) serves the whole file, driven
 * through the library, with `tslima suspend` from the CLI.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { bootGuest, Cli, guestYaml } from "./harness.js";
import type { AgentEvent, RunningInstance } from "../../src/index.js";
import { readEvents } from "../../src/store/follow.js";
import { readPidFile } from "../../src/store/pidfile.js";
import { vmStateTemp } from "../../src/store/suspend.js";
import { isAlive, waitGone } from "../../src/proc/pid.js";
import { poll } from "../../src/proc/wait.js";

const NAME = "death";
const cli = new Cli("agent-death");
const share = join(cli.root, "share");
const GUEST_PORT = 8131;
const HOST_PORT = 18131;

async function sh(vm: RunningInstance, script: string, timeoutMs = 60_000): Promise<string> {
  const r = await vm.exec(["sh", "-c", script], { timeoutMs });
  assert.equal(r.exitCode, 0, `${script}: ${r.stderr}`);
  return r.stdout.trim();
}

/** GET http://127.0.0.1:HOST_PORT/ until it answers (the forward comes up after READY), or "" after 30 s. */
async function forwarded(): Promise<string> {
  const once = () =>
    new Promise<string | undefined>((resolve) => {
      const req = get({ host: "127.0.0.1", port: HOST_PORT, path: "/hello.txt", timeout: 5000 }, (res) => {
        let body = "";
        res.on("data", (b: Buffer) => (body += b.toString("utf8")));
        res.on("end", () => resolve(res.statusCode === 200 ? body : undefined));
      });
      req.on("error", () => resolve(undefined));
      req.on("timeout", () => req.destroy());
    });
  return (await poll(once, { timeoutMs: 30_000, intervalMs: 500 })) ?? "";
}

/** Kills the host agent with -9 and checks that QEMU survives it and the instance says how to recover. */
async function killAgent(vm: RunningInstance): Promise<number> {
  const agent = readPidFile(vm.instance.paths.haPid);
  const qemu = readPidFile(vm.instance.paths.qemuPid);
  assert.ok(agent !== undefined && qemu !== undefined, "ha.pid and qemu.pid");
  process.kill(agent, "SIGKILL");
  assert.ok(await waitGone(agent, 10_000), "the agent is gone");
  await sleep(1000);
  assert.ok(isAlive(qemu), "QEMU survives its agent");
  const info = vm.instance.info();
  assert.equal(info.status, "Broken");
  assert.match(info.errors.join(" "), /`start` re-attaches/);
  return qemu;
}

/** `start` again: it must adopt QEMU `qemuPid`. Returns how long it took. */
async function reattach(vm: RunningInstance, qemuPid: number): Promise<number> {
  const events: AgentEvent[] = [];
  const t0 = Date.now();
  await vm.instance.start({ env: cli.env(), timeoutMs: 10 * 60_000, onEvent: (e) => events.push(e) });
  const ms = Date.now() - t0;
  const steps = events.flatMap((e) => (e.kind === "step" ? [`${e.step} +${((Date.parse(e.time) - t0) / 1000).toFixed(1)}s`] : []));
  console.log(`# re-attach steps: ${steps.join(", ")}`);
  const said = events.map((e) => (e.kind === "warning" ? e.warning : "message" in e ? (e.message ?? "") : "")).join("\n");
  assert.ok(events.some((e) => e.kind === "step" && e.step === "attach"), `the start re-attached:\n${said}`);
  assert.ok(!events.some((e) => e.kind === "step" && e.step === "start-qemu"), "no QEMU was started");
  assert.equal(readPidFile(vm.instance.paths.qemuPid), qemuPid, "the same QEMU");
  assert.equal(vm.instance.status(), "Running");
  return ms;
}

/** Waits for the first event `match` accepts in ha.stdout.log written from `since` on (the log of a previous agent does not count). */
async function eventIn(vm: RunningInstance, since: number, match: (e: AgentEvent) => boolean, timeoutMs = 120_000): Promise<void> {
  // read whole each time: a start truncates the log
  const seen = () => readEvents(vm.instance.paths.haStdoutLog).some((e) => Date.parse(e.time) >= since && match(e));
  const found = await poll(() => (seen() ? true : undefined), { timeoutMs, intervalMs: 50 });
  assert.equal(found, true, "the awaited agent event came");
}

test("a host agent killed with -9 while ready, during suspend and during a boot leaves QEMU running; start re-attaches to it", { timeout: 45 * 60_000 }, async () => {
  mkdirSync(share, { recursive: true });
  writeFileSync(join(share, "hello.txt"), "from the host\n");
  cli.chown();
  const yaml = guestYaml(
    ["mountType: reverse-sshfs", "mounts:", `- location: "${share}"`, '  mountPoint: "/mnt/share"', "portForwards:", `- guestPort: ${GUEST_PORT}`, `  hostPort: ${HOST_PORT}`].join("\n"),
  );
  await using vm = await bootGuest(cli, { from: "base-snapshot", name: NAME, yaml });
  const bootId = await sh(vm, "cat /proc/sys/kernel/random/boot_id");
  const sleeper = await sh(vm, "nohup sleep 100000 </dev/null >/dev/null 2>&1 & echo $!");
  await sh(vm, `mkdir -p /tmp/www && echo forwarded >/tmp/www/hello.txt && cd /tmp/www && nohup python3 -m http.server ${GUEST_PORT} --bind 127.0.0.1 </dev/null >/dev/null 2>&1 & echo started`);
  assert.equal((await forwarded()).trim(), "forwarded");

  /** The guest is the same boot, running (not paused), its process alive, its mount and forward back. */
  const same = async (what: string) => {
    assert.equal(await sh(vm, "cat /proc/sys/kernel/random/boot_id"), bootId, `${what}: the same boot of the guest`);
    assert.equal(await sh(vm, `kill -0 ${sleeper} && echo alive`), "alive", `${what}: the guest's process runs on`);
    assert.equal(await sh(vm, "cat /mnt/share/hello.txt"), "from the host", `${what}: the reverse-sshfs mount is back`);
    assert.equal((await forwarded()).trim(), "forwarded", `${what}: the port forward works again`);
    assert.ok(!existsSync(vmStateTemp(vm.instance.paths)), `${what}: no partial saved state is left`);
  };

  // 1. while ready
  let qemu = await killAgent(vm);
  const readyMs = await reattach(vm, qemu);
  await same("killed while ready");
  console.log(`# re-attached to a ready VM in ${(readyMs / 1000).toFixed(1)} s`);

  // 2. during suspend: while it unmounts (0.5 s after the request), and while it writes the state
  // (400 MB of random data in the guest's memory make that last: the kill comes once vmstate.tmp grows)
  const statePath = vmStateTemp(vm.instance.paths);
  const cases: Array<[string, (since: number) => Promise<void>, () => Promise<void>]> = [
    ["while unmounting", (since) => eventIn(vm, since, (e) => e.kind === "suspend" && e.phase === "requested").then(() => sleep(500)), () => Promise.resolve()],
    [
      "while saving the state",
      async () => {
        const writing = await poll(() => (existsSync(statePath) && statSync(statePath).size > 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 10 });
        assert.equal(writing, true, "the suspend began writing the state");
      },
      () => sh(vm, "head -c 400M /dev/urandom >/dev/shm/fill", 600_000).then(() => undefined),
    ],
  ];
  for (const [label, trigger, prepare] of cases) {
    await prepare();
    const since = Date.now();
    const suspending = cli.run(["suspend", NAME], { timeoutMs: 5 * 60_000 });
    await trigger(since);
    qemu = await killAgent(vm);
    const r = await suspending;
    assert.notEqual(r.code, 0, `the suspend does not claim success: ${r.stdout}${r.stderr}`);
    const ms = await reattach(vm, qemu);
    await same(`killed during suspend, ${label}`);
    console.log(`# re-attached after a kill during suspend (${label}) in ${(ms / 1000).toFixed(1)} s`);
  }
  await sh(vm, "rm -f /dev/shm/fill");

  // 3. during a cold boot: the new agent finishes the readiness of the boot the guest went on with
  await vm.stop();
  const t0 = Date.now();
  const booting = vm.instance.start({ env: cli.env(), timeoutMs: 15 * 60_000 }).then(
    () => assert.fail("the start whose agent was killed must fail"),
    (e: unknown) => e as Error,
  );
  await eventIn(vm, t0, (e) => e.kind === "step" && e.step === "wait-ssh", 10 * 60_000);
  const killedAt = Date.now();
  qemu = await killAgent(vm);
  await booting;
  const bootMs = await reattach(vm, qemu);
  // the same QEMU (reattach), and its guest booted once: one kernel banner on its console
  const banners = readFileSync(vm.instance.paths.serialLog, "utf8").match(/Linux version \d/g) ?? [];
  assert.equal(banners.length, 1, "the guest was not booted again");
  assert.equal(await sh(vm, "cat /mnt/share/hello.txt"), "from the host", "the boot's mount is made by the new agent");
  console.log(`# killed ${((killedAt - t0) / 1000).toFixed(1)} s into a cold boot; the re-attach finished it in ${(bootMs / 1000).toFixed(1)} s (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
});

after(() => cli.cleanup([NAME]));
