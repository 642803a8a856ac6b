import { InvalidArgumentError, type Command } from "commander";
import type { BenchReport, BenchRun } from "../internal.js";

interface MountsFlags {
  json?: boolean;
  sweep?: boolean;
  mount?: string[];
  mb?: number;
  files?: number;
  tree?: number;
}

function count(v: string): number {
  if (!/^[1-9][0-9]*$/.test(v.trim())) throw new InvalidArgumentError("must be a whole number of at least 1.");
  return Number(v);
}

async function mounts(name: string, flags: MountsFlags): Promise<void> {
  const { benchMounts, BENCH_WORKLOADS, BENCH_WORKLOAD_UNIT, unsafeForSharedWrites } = await import("../internal.js");
  const report: BenchReport = await benchMounts(name, {
    sweep: flags.sweep === true,
    ...(flags.mount ? { mounts: flags.mount } : {}),
    sizes: { ...(flags.mb ? { mb: flags.mb } : {}), ...(flags.files ? { files: flags.files } : {}), ...(flags.tree ? { tree: flags.tree } : {}) },
    onProgress: (m) => void process.stderr.write(`${m}\n`),
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const head = ["TARGET", "OPTIONS", ...BENCH_WORKLOADS.map((w) => `${w} ${BENCH_WORKLOAD_UNIT[w]}`)];
  const cell = (r: BenchRun, w: (typeof BENCH_WORKLOADS)[number]) => {
    const f = r.figures[w];
    if (r.skipped) return "-";
    if (!f || f.value === undefined) return "FAIL";
    const ratio = r.ratios[w];
    return ratio === undefined || r === report.guestDisk ? String(f.value) : `${f.value} (${ratio < 0.1 ? ratio.toFixed(3) : ratio.toFixed(2)}x)`;
  };
  const rows: string[][] = [["guest disk", report.guestDisk.target, ...BENCH_WORKLOADS.map((w) => cell(report.guestDisk, w))]];
  for (const m of report.mounts) {
    rows.push([m.mountPoint, `${m.type} ${m.configured.label}`, ...BENCH_WORKLOADS.map((w) => cell(m.configured, w))]);
    for (const r of m.sweep) {
      const unsafe = r.option && m.writable && unsafeForSharedWrites(r.option.cache) ? " !" : "";
      rows.push(["", `${r.label}${unsafe}`, ...BENCH_WORKLOADS.map((w) => cell(r, w))]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  const out = [
    `Sizes: ${report.sizes.mb} MiB sequential, ${report.sizes.files} small files, a tree of ${report.sizes.tree} files; (Nx) = the rate as a multiple of the guest disk's`,
    line(head),
    ...rows.map(line),
  ];
  const unsafe = report.mounts.flatMap((m) => m.sweep.filter((r) => r.option && m.writable && unsafeForSharedWrites(r.option.cache)).map((r) => r.option?.cache));
  if (unsafe.length > 0) {
    out.push("", "! unsafe for writes shared with the host:");
    for (const c of new Set(unsafe)) if (c) out.push(`  ${unsafeForSharedWrites(c)}`);
  }
  for (const m of report.mounts) for (const r of m.sweep) if (r.skipped) out.push(`${m.mountPoint} ${r.label}: ${r.skipped}`);
  if (report.snippet) out.push("", "# The options that won, as a mounts: section for lima.yaml (check with tslima validate):", report.snippet.trimEnd());
  process.stdout.write(`${out.join("\n")}\n`);
}

export function register(program: Command): void {
  const bench = program.command("bench").description("measure an instance");
  bench
    .command("mounts")
    .description("sequential I/O, small files and a tree walk on each writable mount and on the guest's own disk; --sweep tries other 9p options")
    .argument("[name]", "instance name", "default")
    .option("--json", "print the figures as JSON")
    .option("--sweep", "remount each 9p share with msize 128KiB/512KiB x cache none/loose/fscache/mmap, measure each, print the winners as a mounts: snippet")
    .option("--mount <path>", "only this mount (mount point or host location); repeatable", (v: string, prev: string[] = []) => [...prev, v])
    .option("--mb <n>", "MiB of the sequential file (default 16)", count)
    .option("--files <n>", "number of small files (default 300)", count)
    .option("--tree <n>", "files in the walked tree (default 600)", count)
    .action(mounts);
}
