/**
 * Emulated-guest benchmark (run it with scripts/bench/arch): a cold `tslima start` to READY of the
 * local x86_64 Debian 12 build and of its aarch64 build (qemu-system-aarch64, TCG translating every
 * instruction), one VM at a time, same vCPUs and memory, with tslima's phases of each and the ratio
 * aarch64 / x86_64. Nothing here is asserted; the figures are for people.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Cli } from "../../test/support/cli.js";
import { guestYaml } from "../../test/support/guest.js";
import { parseEvent } from "../../src/store/event-parse.js";

const CPUS = Number(process.env.BENCH_CPUS ?? 1);
const MEMORY_MIB = Number(process.env.BENCH_MEMORY_MIB ?? 1024);
const START_TIMEOUT = process.env.BENCH_START_TIMEOUT ?? "40m";
const ARCHES = ["x86_64", "aarch64"] as const;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Step durations from the host agent's event log: each step lasts until the next one (or READY). */
function phases(cli: Cli, name: string): Array<[string, number]> {
  const evs = readFileSync(join(cli.home, name, "ha.stdout.log"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => parseEvent(l) ?? []);
  const marks = evs.flatMap((e) => (e.kind === "step" || e.kind === "ready" ? [{ name: e.kind === "step" ? e.step : "ready", at: Date.parse(e.time) }] : []));
  return marks.slice(0, -1).map((m, i) => [m.name, marks[i + 1]!.at - m.at]);
}

async function main(): Promise<void> {
  const cli = new Cli("bench-arch");
  const cold = new Map<string, number>();
  try {
    for (const arch of ARCHES) {
      const name = `bench-${arch.replace("_", "")}`;
      const images = ["images:", '- location: "build:debian-12"', `  arch: "${arch}"`].join("\n");
      const yaml = cli.file(`${name}.yaml`, guestYaml(`arch: "${arch}"`, { cpus: CPUS, memory: `${MEMORY_MIB}MiB`, images }));
      const t0 = Date.now();
      await cli.ok(["start", "--name", name, "--timeout", START_TIMEOUT, yaml], { timeoutMs: 60 * 60_000 });
      const ms = Date.now() - t0;
      cold.set(arch, ms);
      console.log(`${arch}: tslima start (create + cold boot), to READY  ${secs(ms)}`);
      for (const [step, t] of phases(cli, name)) console.log(`  ${step.padEnd(44)}${secs(t)}`);
      await cli.ok(["delete", "-f", name]);
    }
    const x86 = cold.get("x86_64")!;
    const arm = cold.get("aarch64")!;
    console.log(`\ncold start to READY (${CPUS} vCPU, ${MEMORY_MIB} MiB)   x86_64 ${secs(x86)}   aarch64 ${secs(arm)}   aarch64/x86_64 ${(arm / x86).toFixed(2)}x`);
  } finally {
    await cli.cleanup(ARCHES.map((a) => `bench-${a.replace("_", "")}`));
  }
}

await main();
