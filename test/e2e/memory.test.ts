/**
 * Memory given back (issue 30): a guest that frees memory returns it to the host. A clone of the
 * run's base snapshot fills 400 MiB of tmpfs (QEMU's resident memory grows), removes it, and the
 * guest's free page reporting (virtio-balloon, qemu/argv.ts) makes QEMU drop those pages again.
 * The figures are printed; the test waits (up to 2 minutes) for at least half to come back.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningInstance } from "../../src/index.js";
import { bootGuest, Cli } from "./harness.js";

const cli = new Cli("memory");
const LONG = { timeout: 20 * 60_000 };
let vm: RunningInstance | undefined;
after(async () => {
  await vm?.[Symbol.asyncDispose]();
  await cli.cleanup(["mem"]);
});

const MiB = 1024 * 1024;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? NaN) * 1024;
}

async function sh(script: string): Promise<string> {
  const r = await cli.run(["shell", "mem", "--", "sh", "-c", script]);
  assert.equal(r.code, 0, `${script}\n${r.stderr}`);
  return r.stdout.trim();
}

test("memory a guest frees goes back to the host (virtio-balloon free page reporting)", LONG, async () => {
  vm = await bootGuest(cli, { from: "base-snapshot", name: "mem" });
  const pid = Number(readFileSync(join(cli.home, "mem", "qemu.pid"), "utf8").trim());
  assert.match(await sh("ls /sys/bus/virtio/drivers/virtio_balloon/ | grep -c virtio || true"), /^[1-9]/, "the guest drives the balloon device");
  const before = rssBytes(pid);
  await sh("dd if=/dev/zero of=/dev/shm/fill bs=1M count=400 status=none && sync");
  const filled = rssBytes(pid);
  assert.ok(filled - before > 300 * MiB, `filling 400 MiB in the guest grew QEMU by ${((filled - before) / MiB).toFixed(0)} MiB`);
  await sh("rm /dev/shm/fill");
  const t0 = Date.now();
  let now = filled;
  while (Date.now() - t0 < 120_000) {
    await sleep(1000);
    now = rssBytes(pid);
    if (filled - now >= 200 * MiB) break;
  }
  const back = filled - now;
  console.log(`# QEMU RSS: ${(before / MiB).toFixed(0)} MiB, after filling 400 MiB ${(filled / MiB).toFixed(0)} MiB, ${((Date.now() - t0) / 1000).toFixed(0)} s after freeing it ${(now / MiB).toFixed(0)} MiB (${(back / MiB).toFixed(0)} MiB back, ${((100 * back) / (filled - before)).toFixed(0)}% of the growth)`);
  assert.ok(back >= 200 * MiB, `only ${(back / MiB).toFixed(0)} MiB of the 400 MiB freed came back`);
});
