/**
 * Density benchmark (issue 30; run it with scripts/bench/density): many disposable VMs on one
 * machine. Prints, from one run on this machine (1 GiB guests, BENCH_CPUS vCPU each):
 *   1. the cold start (create + boot to READY) of the local test guest, the yardstick;
 *   2. a booted snapshot of it, and N instances made from that snapshot, each timed to READY, as
 *      ratios to the cold start (target <= 0.05);
 *   3. host memory: the first clone's RSS alone (measured before the others start) against the
 *      summed PSS of the N clones running at once, right after they are up and again once KSM
 *      has merged their identical pages (target <= 1.75);
 *   4. memory given back: a clone fills a 512 MiB tmpfs, frees it, and the share of 512 MiB that
 *      QEMU's resident memory gives back within 20 s is printed (target >= 50%);
 *   5. suspend and resume of a clone (resume to READY as a ratio to the cold start, target <= 0.05);
 *   6. `Instance.pool(SNAP, { size: 1 })`: the time `acquire()` takes for a ready instance (target <= 1 s).
 *
 * KSM is a host-wide switch (/sys/kernel/mm/ksm/run, off by default on most distributions); QEMU
 * marks guest RAM mergeable (mem-merge, on by default). With BENCH_KSM=auto (the default) the bench
 * turns KSM on for its run when it runs as root and KSM is off, with pages_to_scan BENCH_KSM_PAGES
 * (default 1000), and puts every knob back at the end; BENCH_KSM=0 leaves the host as it is.
 * Nothing here is asserted; the figures are for people.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Cli } from "../../test/support/cli.js";
import { guestYaml, localGuestBuild } from "../../test/support/guest.js";
import { Instance, type RunningInstance } from "../../src/index.js";

const CPUS = Number(process.env.BENCH_CPUS ?? 1);
const CLONES = Number(process.env.BENCH_CLONES ?? 4);
const KSM_MODE = process.env.BENCH_KSM ?? "auto";
const KSM_PAGES = Number(process.env.BENCH_KSM_PAGES ?? 1000);
/** How long to wait for KSM to merge the clones' pages (it stops earlier once two full scans pass with no change). */
const KSM_WAIT_S = Number(process.env.BENCH_KSM_WAIT ?? 240);
const MiB = 1024 * 1024;
const KSM = "/sys/kernel/mm/ksm";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

function statusKiB(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}
const rss = (pid: number) => statusKiB(pid, "VmRSS") * 1024;
/** Proportional set size: each shared page counted as 1/n in each of the n processes mapping it. */
function pss(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return Number(m?.[1] ?? NaN) * 1024;
}

const ksmRead = (knob: string) => readFileSync(join(KSM, knob), "utf8").trim();
function ksmWrite(knob: string, value: string): void {
  writeFileSync(join(KSM, knob), value);
}

/** Turns KSM on for the run where allowed; returns how to put the host back. */
function ksmForRun(): { state: string; restore: () => void } {
  let run: string;
  try {
    run = ksmRead("run");
  } catch {
    return { state: "not available on this kernel", restore: () => undefined };
  }
  if (run === "1") return { state: `on (the host's setting; pages_to_scan ${ksmRead("pages_to_scan")})`, restore: () => undefined };
  if (KSM_MODE === "0" || process.getuid?.() !== 0) return { state: "off (the host's setting; BENCH_KSM=auto as root turns it on for the run)", restore: () => undefined };
  const pages = ksmRead("pages_to_scan");
  ksmWrite("pages_to_scan", String(KSM_PAGES));
  ksmWrite("run", "1");
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    ksmWrite("run", run);
    ksmWrite("pages_to_scan", pages);
  };
  process.once("exit", restore);
  return { state: `on for this run (was off; pages_to_scan ${KSM_PAGES}, put back at the end)`, restore };
}

const qemuPid = (vm: RunningInstance) => {
  const pid = vm.info().driverPID;
  if (pid === undefined) throw new Error(`${vm.name} has no QEMU pid`);
  return pid;
};

async function sh(vm: RunningInstance, script: string): Promise<string> {
  const r = await vm.exec(["sh", "-c", script]);
  if (r.exitCode !== 0) throw new Error(`${vm.name}: ${script} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Waits until KSM has done two full scans with no change in pages_sharing (or the time is up). */
async function ksmSettle(pids: number[]): Promise<{ seconds: number; sum: number; sharing: number }> {
  const t0 = performance.now();
  let scans = Number(ksmRead("full_scans"));
  let sharing = Number(ksmRead("pages_sharing"));
  let quiet = 0;
  while ((performance.now() - t0) / 1000 < KSM_WAIT_S && quiet < 2) {
    await sleep(2000);
    const s = Number(ksmRead("full_scans"));
    if (s === scans) continue;
    scans = s;
    const now = Number(ksmRead("pages_sharing"));
    quiet = Math.abs(now - sharing) < 256 ? quiet + 1 : 0;
    sharing = now;
  }
  return { seconds: (performance.now() - t0) / 1000, sum: pids.reduce((a, p) => a + pss(p), 0), sharing };
}

async function main(): Promise<void> {
  const g = localGuestBuild();
  console.log(`guest: ${g.dir}; ${CPUS} vCPU, 1024 MiB, accel tcg (no usable KVM here); ${CLONES} clones`);
  const ksm = ksmForRun();
  console.log(`KSM: ${ksm.state}\n`);
  const cli = new Cli("density");
  const home = cli.home;
  const snap = "density-snap";
  const clones: RunningInstance[] = [];
  try {
    const yaml = cli.file("density.yaml", guestYaml("", { cpus: CPUS, memory: "1GiB" }));
    const t0 = performance.now();
    const source = await (await Instance.create(yaml, { home, name: "density-src" })).start({ timeoutMs: 20 * 60_000 });
    const cold = performance.now() - t0;
    const ratio = (ms: number) => (ms / cold).toFixed(3);
    console.log("start                                        time     / cold start");
    console.log(`cold start (create + boot), to READY         ${secs(cold).padEnd(9)}1.000`);
    const s0 = performance.now();
    await source.snapshot(snap);
    console.log(`booted snapshot of it                        ${secs(performance.now() - s0).padEnd(9)}${ratio(performance.now() - s0)}`);
    await source[Symbol.asyncDispose]();

    let alone = NaN;
    for (let i = 1; i <= CLONES; i++) {
      const f0 = performance.now();
      const vm = await Instance.fromSnapshot(snap, { home, name: `density-${i}` });
      clones.push(vm);
      const ms = performance.now() - f0;
      console.log(`start from the snapshot (clone ${i}), to READY ${secs(ms).padEnd(9)}${ratio(ms)}  (target <= 0.050)`);
      if (i === 1) {
        await sleep(5000);
        alone = rss(qemuPid(vm));
      }
    }

    const pids = clones.map(qemuPid);
    const sum0 = pids.reduce((a, p) => a + pss(p), 0);
    console.log(`\nhost memory (QEMU processes)                 MiB      / one clone alone`);
    console.log(`one clone alone (RSS, before the others)     ${mib(alone).padEnd(9)}1.00`);
    console.log(`${CLONES} clones, summed PSS, once all are up      ${mib(sum0).padEnd(9)}${(sum0 / alone).toFixed(2)}`);
    if (ksmRead("run") === "1") {
      const settled = await ksmSettle(pids);
      console.log(`${CLONES} clones, summed PSS, KSM after ${settled.seconds.toFixed(0).padStart(3)} s     ${mib(settled.sum).padEnd(9)}${(settled.sum / alone).toFixed(2)}  (target <= 1.75; KSM pages_sharing ${settled.sharing})`);
    }
    for (const p of pids) console.log(`  QEMU ${p}: RSS ${mib(rss(p))}, PSS ${mib(pss(p))}`);

    // Memory given back (virtio-balloon free page reporting).
    const vm = clones[0]!;
    const pid = pids[0]!;
    await sh(vm, "sudo mkdir -p /mnt/fill && sudo mount -t tmpfs -o size=600m tmpfs /mnt/fill");
    const before = rss(pid);
    await sh(vm, "sudo dd if=/dev/zero of=/mnt/fill/f bs=1M count=512 status=none && sync");
    const filled = rss(pid);
    await sh(vm, "sudo rm /mnt/fill/f");
    const b0 = performance.now();
    await sleep(20_000);
    const after = rss(pid);
    const back = filled - after;
    console.log(`\nmemory given back: QEMU RSS ${mib(before)}, after filling 512 MiB ${mib(filled)}, ${((performance.now() - b0) / 1000).toFixed(0)} s after freeing it ${mib(after)}`);
    console.log(`  ${mib(back)} back: ${((100 * back) / (512 * MiB)).toFixed(0)}% of 512 MiB  (target >= 50%)`);

    // Suspend and resume of a clone.
    const su0 = performance.now();
    const suspended = await clones.pop()!.suspend();
    const suspendMs = performance.now() - su0;
    const r0 = performance.now();
    clones.push(await suspended.start());
    const resumeMs = performance.now() - r0;
    console.log(`\nsuspend of a clone                           ${secs(suspendMs).padEnd(9)}${ratio(suspendMs)}`);
    console.log(`resume of it, to READY                       ${secs(resumeMs).padEnd(9)}${ratio(resumeMs)}  (target <= 0.050)`);
    for (const c of clones.splice(0)) await c[Symbol.asyncDispose]();

    // A warm pool: acquire of a ready instance.
    {
      await using pool = Instance.pool(snap, { home, size: 1 });
      await pool.ready();
      const a0 = performance.now();
      await using acquired = await pool.acquire();
      const acquireMs = performance.now() - a0;
      console.log(`\npool.acquire() of a ready instance           ${acquireMs.toFixed(1)} ms  (target <= 1000 ms; ${acquired.name})`);
    }
  } finally {
    for (const c of clones) await c[Symbol.asyncDispose]().catch(() => undefined);
    ksm.restore();
    await cli.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
