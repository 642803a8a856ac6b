/**
 * Lifecycle benchmark (run it with scripts/bench/lifecycle): prints, from one run on this machine,
 *   1. a raw QEMU boot of the local test guest to the sshd banner vs `tslima start` to READY, with
 *      tslima's phases from the host agent's event log (same image, vCPUs and memory);
 *   2. `tslima shell NAME true` vs raw `ssh -F ssh.config lima-NAME true` vs the login-shell ssh
 *      that `tslima shell` runs (`exec $SHELL -l -c true`), and `tslima --version`/`--help`: median of
 *      20 each, measured in interleaved rounds (one of each per round, so load from other processes
 *      hits all alike), with the ratio tslima shell / login-shell ssh (issue 11: at most 1.2);
 *      BENCH_BASELINE=/path/to/other/bin/tslima.js adds the same commands of another build (A/B);
 *   3. the host agent's peak RSS (VmHWM while running, and the agent's own figure at exit);
 *   4. `tslima suspend` and the resume (`tslima start` of the Suspended instance) to READY, as
 *      ratios to the cold start (one run each);
 *   5. a second cold boot (stop, start: cloud-init switched off) next to the first start, and their ratio;
 *   6. `tslima snapshot create --running` of the running instance and `tslima start --from SNAP NEW`
 *      to READY (a new instance resumed from the booted snapshot), as ratios to the cold start.
 * Nothing here is asserted; the figures are for people.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Cli } from "../../test/support/cli.js";
import { guestYaml, localGuestBuild, type LocalGuest } from "../../test/support/guest.js";
import { cliPath } from "../../test/helpers.js";
import { findFreePort } from "../../src/qemu/index.js";
import { waitForBanner } from "../../src/ssh/index.js";
import type { AgentEvent } from "../../src/store/events.js";
import { parseEvent } from "../../src/store/event-parse.js";

const CPUS = Number(process.env.BENCH_CPUS ?? 1);
const MEMORY_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 1024);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
/** BENCH_SKIP_RAW=1: no raw QEMU boot (on a loaded machine, for the command timings only). */
const SKIP_RAW = process.env.BENCH_SKIP_RAW === "1";
const START_TIMEOUT = process.env.BENCH_START_TIMEOUT ?? "10m";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Boots the image with a plain QEMU command line (direct kernel boot, no cidata) until sshd answers. */
async function rawBoot(g: LocalGuest): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), "tslima-bench-raw-"));
  const overlay = join(work, "disk.qcow2");
  spawnSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", g.disk, overlay, "8G"]);
  const port = await findFreePort();
  const t0 = Date.now();
  // prettier-ignore
  const qemu = spawn("qemu-system-x86_64", [
    "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", String(CPUS), "-m", String(MEMORY_MIB),
    "-nographic", "-monitor", "none", "-serial", `file:${join(work, "serial.log")}`,
    "-kernel", g.kernel, "-initrd", g.initrd, "-append", g.cmdline,
    "-drive", `file=${overlay},if=virtio,format=qcow2`,
    "-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${port}-:22`, "-device", "virtio-net-pci,netdev=net0",
  ], { stdio: "ignore" });
  try {
    await waitForBanner(port, 10 * 60_000);
    return Date.now() - t0;
  } finally {
    qemu.kill("SIGKILL");
    await new Promise((r) => qemu.once("exit", r));
    rmSync(work, { recursive: true, force: true });
  }
}

function events(cli: Cli, name: string): AgentEvent[] {
  return readFileSync(join(cli.home, name, "ha.stdout.log"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => parseEvent(l) ?? []);
}

/** Step durations: each step lasts until the next step (or READY) begins. */
function phases(evs: AgentEvent[]): Array<[string, number]> {
  const marks = evs.flatMap((e) => (e.kind === "step" || e.kind === "ready" ? [{ name: e.kind === "step" ? e.step : "ready", at: Date.parse(e.time) }] : []));
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < marks.length; i++) out.push([marks[i]!.name, marks[i + 1]!.at - marks[i]!.at]);
  return out;
}

/** Runs each command once per round, `n` rounds; returns each one's times (ms) by label. */
async function timeRounds(n: number, commands: Array<[string, () => Promise<unknown>]>): Promise<Map<string, number[]>> {
  const times = new Map(commands.map(([label]) => [label, [] as number[]]));
  for (let i = 0; i < n; i++) {
    for (const [label, run] of commands) {
      const t0 = process.hrtime.bigint();
      await run();
      times.get(label)?.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times;
}

/** Runs a program to its exit with no output; rejects on a non-zero exit (a broken measurement). */
function quiet(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: "ignore", ...(env ? { env } : {}) });
    c.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")}: exit ${code}`))));
  });
}

function vmHwmKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const g = localGuestBuild();
  console.log(`guest: ${g.dir}; ${CPUS} vCPU, ${MEMORY_MIB} MiB, accel tcg (no usable KVM here)\n`);
  const raw = SKIP_RAW ? NaN : await rawBoot(g);

  const cli = new Cli("bench");
  const name = "bench";
  try {
    const yaml = cli.file("bench.yaml", guestYaml("", { cpus: CPUS, memory: `${MEMORY_MIB}MiB` }));
    const t0 = Date.now();
    await cli.ok(["start", "--name", name, "--timeout", START_TIMEOUT, yaml]);
    const total = Date.now() - t0;
    const evs = events(cli, name);
    const haPid = Number(readFileSync(join(cli.home, name, "ha.pid"), "utf8"));

    console.log("boot                                      time");
    console.log(`raw qemu, to sshd banner                  ${SKIP_RAW ? "skipped (BENCH_SKIP_RAW=1)" : secs(raw)}`);
    console.log(`tslima start (create + boot), to READY    ${secs(total)}`);
    for (const [step, ms] of phases(evs)) console.log(`  ${step.padEnd(40)}${secs(ms)}`);

    const cfg = join(cli.home, name, "ssh.config");
    const baseline = process.env.BENCH_BASELINE;
    const tslima = (bin: string) => (args: string[]) => () => quiet(process.execPath, [bin, ...args], cli.env());
    const ours = tslima(cliPath);
    // The `tslima` command as installed (bin/tslima: its shell fast path runs ssh without Node), and
    // the same shell through the Node CLI.
    const launcher = join(dirname(cliPath), "tslima");
    const commands: Array<[string, () => Promise<unknown>]> = [
      [`tslima shell ${name} true`, () => quiet(launcher, ["shell", name, "true"], cli.env())],
      [`tslima shell ${name} true (Node: TSLIMA_SHELL_FAST=0)`, () => quiet(launcher, ["shell", name, "true"], cli.env({ TSLIMA_SHELL_FAST: "0" }))],
      [`ssh -F ssh.config lima-${name} true`, () => quiet("ssh", ["-F", cfg, `lima-${name}`, "true"])],
      // What tslima shell runs: the command through the user's login shell (as limactl shell does).
      [`ssh ... 'exec $SHELL -l -c true'`, () => quiet("ssh", ["-F", cfg, `lima-${name}`, 'exec "$SHELL" -l -c true'])],
      ["tslima --version", ours(["--version"])],
      ["tslima --help", ours(["--help"])],
      ...(baseline
        ? ([
            [`baseline: tslima shell ${name} true`, tslima(baseline)(["shell", name, "true"])],
            ["baseline: tslima --version", tslima(baseline)(["--version"])],
            ["baseline: tslima --help", tslima(baseline)(["--help"])],
          ] as Array<[string, () => Promise<unknown>]>)
        : []),
    ];
    const times = await timeRounds(RUNS, commands);
    const med = (label: string) => median(times.get(label) ?? []);
    console.log(`\ncommand (median of ${RUNS}, interleaved)             time`);
    for (const [label] of commands) console.log(`${label.padEnd(50)} ${med(label).toFixed(0).padStart(5)} ms`);
    const ratio = med(`tslima shell ${name} true`) / med(`ssh ... 'exec $SHELL -l -c true'`);
    console.log(`ratio tslima shell / login-shell ssh               ${ratio.toFixed(2)}  (goal: <= 1.2)`);
    const viaNode = med(`tslima shell ${name} true (Node: TSLIMA_SHELL_FAST=0)`) / med(`ssh ... 'exec $SHELL -l -c true'`);
    console.log(`ratio of the Node path / login-shell ssh           ${viaNode.toFixed(2)}`);
    if (baseline) {
      const base = med(`baseline: tslima shell ${name} true`) / med(`ssh ... 'exec $SHELL -l -c true'`);
      console.log(`ratio baseline shell / login-shell ssh             ${base.toFixed(2)}  (${baseline})`);
    }

    const hwm = vmHwmKiB(haPid);
    console.log(`\nhost agent peak RSS: ${(hwm / 1024).toFixed(1)} MiB while running (VmHWM)`);

    // A booted snapshot of the running instance, and a new instance from it.
    const ofCold = (ms: number) => (ms / total).toFixed(3);
    const n0 = Date.now();
    await cli.ok(["snapshot", "create", "--running", name, "bench-snap"]);
    const snapMs = Date.now() - n0;
    const f0 = Date.now();
    await cli.ok(["start", "--from", "bench-snap", "bench-clone"]);
    const fromMs = Date.now() - f0;
    console.log("\nbooted snapshot                           time     / cold start");
    console.log(`tslima snapshot create --running          ${secs(snapMs).padEnd(9)}${ofCold(snapMs)}`);
    console.log(`tslima start --from SNAP NEW, to READY    ${secs(fromMs).padEnd(9)}${ofCold(fromMs)}`);
    for (const [step, ms] of phases(events(cli, "bench-clone"))) console.log(`  ${step.padEnd(40)}${secs(ms)}`);
    await cli.ok(["delete", "-f", "bench-clone"]);
    await cli.ok(["snapshot", "delete", "bench-snap"]);

    // Suspend and resume: the same instance, its cold start as the yardstick.
    const s0 = Date.now();
    await cli.ok(["suspend", name]);
    const suspendMs = Date.now() - s0;
    const r0 = Date.now();
    await cli.ok(["start", name]);
    const resumeMs = Date.now() - r0;
    console.log("\nsuspend / resume                          time     / cold start");
    console.log(`tslima suspend                            ${secs(suspendMs).padEnd(9)}${ofCold(suspendMs)}`);
    console.log(`tslima start (resume), to READY           ${secs(resumeMs).padEnd(9)}${ofCold(resumeMs)}`);
    for (const [step, ms] of phases(events(cli, name))) console.log(`  ${step.padEnd(40)}${secs(ms)}`);

    await cli.ok(["stop", name]);
    const final = events(cli, name).reverse().find((e) => e.kind === "exiting");
    if (final?.kind === "exiting" && final.maxRSSKiB) console.log(`host agent peak RSS at exit (getrusage): ${(final.maxRSSKiB / 1024).toFixed(1)} MiB`);

    // a second cold boot of the unchanged instance: cloud-init switched off (issue 11)
    const t1 = Date.now();
    const second = await cli.ok(["start", "--timeout", START_TIMEOUT, name]);
    const again = Date.now() - t1;
    const mode = /cloud-init: [^\n]*/.exec(second.stderr)?.[0] ?? "cloud-init: ?";
    console.log("\ncold boot                                 time");
    console.log(`first start (create + boot), to READY     ${secs(total)}`);
    console.log(`second cold boot (stop, start), to READY  ${secs(again)}  (${mode})`);
    for (const [step, ms] of phases(events(cli, name))) console.log(`  ${step.padEnd(40)}${secs(ms)}`);
    console.log(`ratio second / first                      ${(again / total).toFixed(2)}`);
    await cli.ok(["stop", name]);
  } finally {
    await cli.cleanup([name, "bench-clone"]);
  }
}

await main();
