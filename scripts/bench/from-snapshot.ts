/**
 * From-snapshot benchmark (run it with scripts/bench/from-snapshot; issue 30): where the seconds of
 * `tslima start --from SNAP NEW` and of the resume (`tslima start` of a Suspended instance) go.
 * Uses the e2e base snapshot (test/e2e/harness.ts: TSLIMA_E2E_SNAPSHOTS, booted cold once when
 * missing) and runs the CLI with that directory as TSLIMA_HOME. BENCH_RUNS rounds (default 3), each:
 * start --from base NEW, suspend NEW, start NEW (the resume), delete NEW. Prints the median of each
 * phase: the CLI and agent startup (CLI spawned -> the agent's first event), the agent's steps (its
 * event log, phaseDurations), and the CLI's exit after READY, and each run's "timings:" line.
 * BENCH_BASELINE=/path/to/other/bin/tslima.js: the same rounds with that build too, interleaved (A/B).
 * Nothing here is asserted.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cliPath } from "../../test/helpers.js";
import { BASE_SNAPSHOT, baseSnapshot, snapshotHome } from "../../test/e2e/harness.js";
import { phaseDurations, type AgentEvent } from "../../src/store/events.js";
import { parseEvent } from "../../src/store/event-parse.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASELINE = process.env.BENCH_BASELINE;
const env = { ...process.env, TSLIMA_HOME: snapshotHome };

function tslima(args: string[], cli = cliPath): Promise<{ ms: number; exitAt: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const c = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    c.once("close", (code) => {
      const exitAt = Date.now();
      if (code === 0) resolve({ ms: exitAt - t0, exitAt, stderr });
      else reject(new Error(`tslima ${args.join(" ")}: exit ${code}\n${stderr}`));
    });
  });
}

function events(name: string): AgentEvent[] {
  return readFileSync(join(snapshotHome, name, "ha.stdout.log"), "utf8")
    .split("\n")
    .flatMap((l) => (l.trim() === "" ? [] : (parseEvent(l) ?? [])));
}

/** One start's phases (ms), in order: startup, the agent's steps, the CLI's exit after READY, the whole. */
async function timedStart(args: string[], name: string, cli: string): Promise<Map<string, number>> {
  const t0 = Date.now();
  const r = await tslima(args, cli);
  const evs = events(name);
  const first = Date.parse(evs[0]?.time ?? "");
  const ready = evs.find((e) => e.kind === "ready");
  const out = new Map<string, number>([["cli+agent startup (to the first event)", first - t0]]);
  for (const p of phaseDurations(evs)) if (p.step !== "total") out.set(p.step, (out.get(p.step) ?? 0) + p.ms);
  out.set("cli: READY seen, exited", r.exitAt - Date.parse(ready?.time ?? ""));
  out.set("total (wall clock)", r.ms);
  const said = evs.find((e) => e.kind === "message" && e.message.startsWith("timings: "));
  if (said?.kind === "message") console.log(`${args.join(" ")}: ${said.message}`);
  return out;
}

function report(title: string, runs: Array<Map<string, number>>): void {
  console.log(`\n${title} (median of ${runs.length})`);
  const keys = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  for (const k of keys) {
    const xs = runs.map((r) => r.get(k) ?? 0).sort((a, b) => a - b);
    console.log(`  ${k.padEnd(42)} ${String(xs[Math.floor(xs.length / 2)]).padStart(6)} ms   [${xs.join(", ")}]`);
  }
}

async function main(): Promise<void> {
  await baseSnapshot();
  console.log(`snapshot home ${snapshotHome}, snapshot ${BASE_SNAPSHOT}; ${RUNS} rounds`);
  const builds: Array<[string, string]> = [["this build", cliPath], ...(BASELINE ? [["baseline", BASELINE] as [string, string]] : [])];
  const runs = new Map(builds.map(([label]) => [label, { from: [] as Array<Map<string, number>>, resume: [] as Array<Map<string, number>> }]));
  for (let i = 0; i < RUNS; i++) {
    for (const [label, cli] of builds) {
      const name = `bench-from-${process.pid}-${i}`;
      const into = runs.get(label)!;
      try {
        into.from.push(await timedStart(["start", "--from", BASE_SNAPSHOT, name], name, cli));
        await tslima(["suspend", name], cli);
        into.resume.push(await timedStart(["start", name], name, cli));
      } finally {
        await tslima(["delete", "-f", name]).catch((e: unknown) => console.error(String(e)));
      }
    }
  }
  for (const [label, r] of runs) {
    report(`${label}: tslima start --from base NEW`, r.from);
    report(`${label}: tslima start NEW (resume of the suspended NEW)`, r.resume);
  }
}

await main();
