/**
 * `tslima doctor mounts --json` on the mount tests' VMs: its verdicts must match the README's
 * semantics table, and it must leave no scratch directory behind.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import type { Cli } from "./harness.js";
import { doctorTable, type DoctorCheck, type DoctorCheckName, type DoctorReport } from "../../src/internal.js";

/** Runs `doctor mounts NAME --json --raw` (only `mountPoints`), prints the table and the raw JSON into the test log. */
export async function doctorJson(cli: Cli, name: string, mountPoints: string[]): Promise<DoctorReport> {
  const args = ["doctor", "mounts", name, ...mountPoints.flatMap((m) => ["--mount", m])];
  const started = Date.now();
  const r = await cli.run([...args, "--json", "--raw"], { timeoutMs: 40 * 60_000 });
  assert.equal(r.code, 0, `doctor mounts failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as DoctorReport;
  const problems = report.mounts.flatMap((m) => m.problems.map((p) => `${m.mountPoint}: ${p}`)).join("\n");
  console.log(`\n# tslima doctor mounts ${name} (${Math.round((Date.now() - started) / 1000)} s)\n${doctorTable(report)}\n${problems}\n# --json --raw:\n${r.stdout}\n`);
  return report;
}

export type Expect = Partial<Record<DoctorCheckName, "ok" | "fail" | "not-tested" | "n/a">>;

/** Each mount's check statuses are as expected; no scratch directory is left in `locations`. */
export function assertVerdicts(report: DoctorReport, expected: Record<string, Expect>, locations: string[]): void {
  for (const [mountPoint, want] of Object.entries(expected)) {
    const m = report.mounts.find((x) => x.mountPoint === mountPoint);
    assert.ok(m, `no report for ${mountPoint}`);
    for (const [k, status] of Object.entries(want)) {
      const c: DoctorCheck = m.checks[k as DoctorCheckName];
      assert.equal(c.status, status, `${mountPoint} ${k}: ${c.status} (${c.detail})`);
    }
    for (const [k, c] of Object.entries(m.checks)) {
      if (c.status === "fail") assert.ok(m.problems.some((p) => p.length > 0), `${mountPoint} ${k} fails without advice`);
    }
  }
  for (const l of locations) assert.deepEqual(readdirSync(l).filter((n) => n.startsWith(".tslima-doctor-")), [], `scratch left in ${l}`);
}
