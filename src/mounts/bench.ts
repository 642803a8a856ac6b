/**
 * `tslima bench mounts`, the pure part: the guest benchmark script and its parsing, ratios to the
 * guest's own disk, the 9p option sweep (which remounts, which combinations are unsafe) and the
 * `mounts:` snippet with the winners. The executor (src/instance/bench.ts) runs the scripts over ssh.
 */
import { stringify } from "yaml";
import type { Mount, MountType } from "../config/types.js";
import { shellQuote } from "../proc/quote.js";
import { mountTag } from "./tag.js";
import { MOUNTS_BENCH_SH } from "../guest/embedded.js";

/** The workloads, in the order they run and are printed. Higher is better for each. */
export const WORKLOADS = ["seqWrite", "seqRead", "create", "stat", "read", "delete", "walk"] as const;
export type Workload = (typeof WORKLOADS)[number];

export const WORKLOAD_UNIT: Record<Workload, string> = {
  seqWrite: "MB/s",
  seqRead: "MB/s",
  create: "files/s",
  stat: "files/s",
  read: "files/s",
  delete: "files/s",
  walk: "files/s",
};

export const WORKLOAD_MEANING: Record<Workload, string> = {
  seqWrite: "dd bs=1M of SIZE MiB, fsync at the end",
  seqRead: "dd bs=1M of that file after dropping the guest's caches",
  create: "FILES small files written by the shell",
  stat: "stat of each of them (after dropping caches)",
  read: "cat of each of them",
  delete: "rm -r of them",
  walk: "a tree of directories walked with find -newer and stat, as git status does (after dropping caches)",
};

/** How much each run does: MiB for the sequential file, number of small files, files in the walked tree. */
export interface BenchSizes {
  mb: number;
  files: number;
  tree: number;
}

/** Small enough for a few minutes under TCG for a handful of mounts. */
export const DEFAULT_SIZES: BenchSizes = { mb: 16, files: 300, tree: 600 };

/**
 * src/guest/mounts/bench.sh. Runs as root in the guest (`sh -s -- DIR MB FILES TREE DROP`; DROP 1 drops the page cache before
 * the reads, as root only): each workload in a scratch directory
 * DIR/.tslima-bench-PID, removed afterwards, printing `WORKLOAD COUNT NANOSECONDS` lines (count in
 * MB or files). A failed step prints `WORKLOAD fail REASON`.
 */
export const GUEST_BENCH_SCRIPT = MOUNTS_BENCH_SH;

/** One workload's figure: a rate (`value` in its unit), or why it failed. */
export interface Figure {
  value?: number;
  error?: string;
}

export type Figures = Partial<Record<Workload, Figure>>;

/** Parses GUEST_BENCH_SCRIPT's output into rates. Pure. */
export function parseBenchOutput(text: string): Figures {
  const out: Figures = {};
  for (const line of text.split("\n")) {
    const [k, count, ns, ...rest] = line.trim().split(/\s+/);
    if (!WORKLOADS.includes(k as Workload)) {
      if (k === "setup" && count === "fail") for (const w of WORKLOADS) out[w] = { error: [ns, ...rest].join(" ") };
      continue;
    }
    if (count === "fail") out[k as Workload] = { error: [ns, ...rest].join(" ") };
    else {
      const c = Number(count);
      const seconds = Math.max(Number(ns) / 1e9, 1e-6);
      out[k as Workload] = Number.isFinite(c) && Number.isFinite(seconds) ? { value: round(c / seconds) } : { error: `unreadable: ${line}` };
    }
  }
  return out;
}

const round = (v: number) => (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10);

/** Each workload's rate as a fraction of the reference's (the guest disk); undefined where either is missing. */
export function ratios(figures: Figures, reference: Figures): Partial<Record<Workload, number>> {
  const out: Partial<Record<Workload, number>> = {};
  for (const w of WORKLOADS) {
    const a = figures[w]?.value;
    const b = reference[w]?.value;
    if (a !== undefined && b !== undefined && b > 0) out[w] = Math.round((a / b) * 1000) / 1000;
  }
  return out;
}

/** A guest-side 9p option combination the sweep tries. */
export interface SweepOption {
  msize: string;
  cache: "none" | "loose" | "fscache" | "mmap";
}

export const SWEEP_OPTIONS: SweepOption[] = (["128KiB", "512KiB"] as const).flatMap((msize) =>
  (["none", "loose", "fscache", "mmap"] as const).map((cache) => ({ msize, cache })),
);

const MSIZE_BYTES: Record<string, number> = { "128KiB": 131072, "512KiB": 524288 };

/**
 * Why a cache mode is unsafe when the host writes the same files, or undefined when it is safe.
 * loose and fscache keep file data and attributes in the guest's cache without asking the host
 * again, so the guest can read stale data and miss new files the host made.
 */
export function unsafeForSharedWrites(cache: SweepOption["cache"]): string | undefined {
  if (cache === "loose") return "cache loose keeps data and attributes in the guest: changes made on the host can stay unseen";
  if (cache === "fscache") return "cache fscache keeps data in the guest's page cache (and fscache): changes made on the host can stay unseen";
  return undefined;
}

export const optionLabel = (o: SweepOption) => `msize ${o.msize}, cache ${o.cache}`;

/**
 * The guest commands (as root) to mount a 9p share with `option` instead of its configured options,
 * and to put the configured mount back (from fstab, as at boot).
 */
export function sweepMountScript(mount: Mount, option: SweepOption): string {
  const mp = shellQuote(mount.mountPoint);
  const opts = [mount.writable ? "rw" : "ro", "trans=virtio", `version=${mount["9p"].protocolVersion}`, `msize=${MSIZE_BYTES[option.msize] ?? 131072}`, `cache=${option.cache}`].join(",");
  return `${unmount(mp)} && mount -t 9p -o ${opts} ${shellQuote(mountTag(mount.location, mount.mountPoint))} ${mp}`;
}

/**
 * umount, tried for a few seconds: a short-lived process in the mount (a `mountInotify` chmod of a
 * file the benchmark just wrote) makes it busy for a moment.
 */
const unmount = (mp: string) => `{ n=0; until umount ${mp}; do n=$((n + 1)); [ $n -lt 10 ] || exit 1; sleep 0.5; done; }`;

export function restoreMountScript(mount: Mount): string {
  const mp = shellQuote(mount.mountPoint);
  return `if mountpoint -q ${mp}; then ${unmount(mp)}; fi; mount ${mp}`;
}

/** One measured run: a mount (or the guest disk) with its options. */
export interface BenchRun {
  /** Guest directory measured. */
  target: string;
  label: string;
  /** The option combination (sweep only). */
  option?: SweepOption;
  figures: Figures;
  ratios: Partial<Record<Workload, number>>;
  /** Why the run did not happen (e.g. the remount failed). */
  skipped?: string;
}

export interface MountBench {
  mountPoint: string;
  location: string;
  type: MountType;
  writable: boolean;
  /** The configured options (as measured first). */
  configured: BenchRun;
  /** 9p only, with --sweep. */
  sweep: BenchRun[];
  /** Per workload, the best option of the sweep (ties: the first). */
  winners: Partial<Record<Workload, SweepOption>>;
  /** The option the snippet recommends (most workloads won among the safe ones for writable mounts), and why. */
  recommended?: { option: SweepOption; reason: string };
}

export interface BenchReport {
  instance: string;
  sizes: BenchSizes;
  guestDisk: BenchRun;
  mounts: MountBench[];
  /** With --sweep: a `mounts:` YAML snippet to paste into lima.yaml. */
  snippet?: string;
}

/** The winner of each workload among runs that measured it. Pure. */
export function winnersOf(runs: BenchRun[]): Partial<Record<Workload, SweepOption>> {
  const out: Partial<Record<Workload, SweepOption>> = {};
  for (const w of WORKLOADS) {
    let best: BenchRun | undefined;
    for (const r of runs) {
      const v = r.figures[w]?.value;
      if (r.option && v !== undefined && (best === undefined || v > (best.figures[w]?.value ?? -1))) best = r;
    }
    if (best?.option) out[w] = best.option;
  }
  return out;
}

/**
 * The option to recommend: the one winning most workloads, among the safe ones when the mount is
 * writable (the host may change the same files); ties go to the higher geometric mean of ratios.
 */
export function recommend(runs: BenchRun[], writable: boolean): { option: SweepOption; reason: string } | undefined {
  const candidates = runs.filter((r) => r.option && !r.skipped && (!writable || unsafeForSharedWrites(r.option.cache) === undefined));
  if (candidates.length === 0) return undefined;
  const wins = winnersOf(candidates);
  const score = (r: BenchRun) => {
    const won = WORKLOADS.filter((w) => wins[w] === r.option).length;
    const rs = Object.values(r.ratios).filter((x) => x > 0);
    const geo = rs.length > 0 ? Math.exp(rs.reduce((a, x) => a + Math.log(x), 0) / rs.length) : 0;
    return { won, geo };
  };
  let best = candidates[0] as BenchRun;
  for (const r of candidates.slice(1)) {
    const a = score(r);
    const b = score(best);
    if (a.won > b.won || (a.won === b.won && a.geo > b.geo)) best = r;
  }
  const s = score(best);
  const scope = writable ? "of the options safe for writes shared with the host" : "of all options";
  return { option: best.option as SweepOption, reason: `wins ${s.won} of ${WORKLOADS.length} workloads ${scope}` };
}

/** The `mounts:` snippet: every mount as configured, 9p ones with the recommended msize and cache. Pure. */
export function mountsSnippet(mounts: Mount[], benches: MountBench[], type: MountType): string {
  const items = mounts.map((m) => {
    const rec = benches.find((b) => b.mountPoint === m.mountPoint)?.recommended;
    const item: Record<string, unknown> = { location: m.location, mountPoint: m.mountPoint, writable: m.writable };
    if (type === "9p") {
      const o = m["9p"];
      item["9p"] = {
        securityModel: o.securityModel,
        protocolVersion: o.protocolVersion,
        msize: rec?.option.msize ?? o.msize,
        cache: rec?.option.cache ?? o.cache,
      };
    }
    return item;
  });
  const notes = benches.flatMap((b) => {
    const lines = [`# ${b.mountPoint}: ${b.recommended ? `${optionLabel(b.recommended.option)} (${b.recommended.reason})` : "kept as configured"}`];
    for (const w of WORKLOADS) {
      const o = b.winners[w];
      if (o) lines.push(`#   ${w}: fastest with ${optionLabel(o)}${unsafeForSharedWrites(o.cache) && b.writable ? " (unsafe for writes shared with the host)" : ""}`);
    }
    return lines;
  });
  return `${notes.join("\n")}\n${stringify({ mounts: items })}`;
}
