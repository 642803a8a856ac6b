/**
 * `tslima bench mounts NAME`: runs GUEST_BENCH_SCRIPT (src/mounts/bench.ts) as root in the guest on
 * its own disk and on each writable mount; with `sweep`, remounts each 9p share with every
 * SWEEP_OPTIONS combination, measures it, and puts the configured mount back.
 */
import { TslimaError } from "../errors.js";
import {
  DEFAULT_SIZES,
  GUEST_BENCH_SCRIPT,
  SWEEP_OPTIONS,
  mountsSnippet,
  optionLabel,
  parseBenchOutput,
  ratios,
  recommend,
  restoreMountScript,
  sweepMountScript,
  winnersOf,
  type BenchReport,
  type BenchRun,
  type BenchSizes,
  type Figures,
  type MountBench,
  type SweepOption,
} from "../mounts/bench.js";
import { guestExec } from "../ssh/exec.js";
import { runningInstanceMounts } from "./doctor.js";

export interface BenchMountsOptions {
  home?: string;
  /** Only these mounts (mount points or host locations); default every writable one. */
  mounts?: string[];
  sweep?: boolean;
  sizes?: Partial<BenchSizes>;
  /** Per guest command (default 20 minutes: TCG guests are slow). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** The guest's own disk: a directory on the root file system. */
const GUEST_DISK = "/var/tmp";

export async function benchMounts(name: string, opts: BenchMountsOptions = {}): Promise<BenchReport> {
  const { paths, config, mounts } = runningInstanceMounts(name, opts);
  const sizes: BenchSizes = { ...DEFAULT_SIZES, ...opts.sizes };
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw new TslimaError("INVALID_FLAG", `bench size ${k} must be a whole number of at least 1, got ${v}`, { hint: "e.g. --mb 16 --files 300 --tree 600" });
  }
  const progress = opts.onProgress ?? (() => undefined);
  const root = async (script: string, args: string[] = []) =>
    guestExec(paths, ["sudo", "-n", "sh", "-s", "--", ...args], { input: script, workdir: "/", timeoutMs: opts.timeoutMs ?? 20 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  const measure = async (dir: string, label: string): Promise<Figures> => {
    progress(`measuring ${label} (${dir})`);
    const r = await root(GUEST_BENCH_SCRIPT, [dir, String(sizes.mb), String(sizes.files), String(sizes.tree), "1"]);
    if (r.code !== 0 && r.stdout.trim() === "") {
      throw new TslimaError("BENCH_GUEST", `the benchmark failed in the guest on ${dir}: ${r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`}`, {
        hint: `the benchmark runs as root (sudo -n); check: tslima shell ${name} sudo -n true`,
      });
    }
    return parseBenchOutput(r.stdout);
  };
  const run = (target: string, label: string, figures: Figures, reference: Figures, option?: SweepOption): BenchRun => ({
    target, label, figures, ratios: ratios(figures, reference), ...(option ? { option } : {}),
  });

  const diskFigures = await measure(GUEST_DISK, "the guest's own disk");
  const guestDisk = run(GUEST_DISK, "guest disk", diskFigures, diskFigures);
  const benches: MountBench[] = [];
  for (const m of mounts) {
    if (!m.writable) {
      progress(`skipping ${m.mountPoint}: read-only (the benchmark writes)`);
      continue;
    }
    const configured = run(m.mountPoint, "as configured", await measure(m.mountPoint, `${m.mountPoint} as configured`), diskFigures);
    const bench: MountBench = { mountPoint: m.mountPoint, location: m.location, type: config.mountType, writable: m.writable, configured, sweep: [], winners: {} };
    if (opts.sweep && config.mountType === "9p") {
      let failure: Error | undefined;
      try {
        for (const option of SWEEP_OPTIONS) {
          const label = optionLabel(option);
          const re = await root(sweepMountScript(m, option));
          if (re.code !== 0) {
            const why = re.stderr.trim().split("\n").pop() ?? `exit ${re.code}`;
            progress(`  ${m.mountPoint} with ${label}: remount failed (${why})`);
            bench.sweep.push({ target: m.mountPoint, label, option, figures: {}, ratios: {}, skipped: `remount failed: ${why}` });
            if (/busy/i.test(why)) break; // the configured mount is still there; nothing else will mount
            continue;
          }
          bench.sweep.push(run(m.mountPoint, label, await measure(m.mountPoint, `${m.mountPoint} with ${label}`), diskFigures, option));
        }
      } catch (e) {
        failure = e as Error;
      }
      progress(`restoring ${m.mountPoint} as configured`);
      const back = await root(restoreMountScript(m));
      if (back.code !== 0) {
        throw new TslimaError("BENCH_GUEST", `could not mount ${m.mountPoint} again as configured: ${back.stderr.trim()}`, {
          hint: `restart the instance to get it back: tslima restart ${name}`,
        });
      }
      if (failure !== undefined) throw failure;
      bench.winners = winnersOf(bench.sweep);
      const rec = recommend(bench.sweep, m.writable);
      if (rec) bench.recommended = rec;
    }
    benches.push(bench);
  }
  const swept = opts.sweep && config.mountType === "9p" && benches.length > 0;
  return {
    instance: name,
    sizes,
    guestDisk,
    mounts: benches,
    ...(swept ? { snippet: mountsSnippet(config.mounts, benches, config.mountType) } : {}),
  };
}
