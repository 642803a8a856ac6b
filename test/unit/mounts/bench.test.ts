import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  GUEST_BENCH_SCRIPT, SWEEP_OPTIONS, WORKLOADS, mountsSnippet, parseBenchOutput, ratios, recommend, restoreMountScript, sweepMountScript,
  unsafeForSharedWrites, winnersOf, type BenchRun, type SweepOption,
} from "../../../src/mounts/bench.js";
import { mountTag } from "../../../src/mounts/tag.js";
import { fillDefaults, validateConfig } from "../../../src/config/index.js";
import { linuxHost } from "../config/support.js";
import { testMount } from "./testconfig.js";

test("GUEST_BENCH_SCRIPT measures every workload in a scratch directory and removes it", () => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-bench-"));
  try {
    const r = spawnSync("sh", ["-s", "--", dir, "1", "20", "40", "0"], { input: GUEST_BENCH_SCRIPT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const f = parseBenchOutput(r.stdout);
    for (const w of WORKLOADS) assert.ok((f[w]?.value ?? 0) > 0, `${w}: ${JSON.stringify(f[w])}\n${r.stdout}`);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("GUEST_BENCH_SCRIPT on a directory it cannot write: every workload fails with the reason", () => {
  const r = spawnSync("sh", ["-s", "--", "/proc/version", "1", "2", "2"], { input: GUEST_BENCH_SCRIPT, encoding: "utf8" });
  const f = parseBenchOutput(r.stdout);
  for (const w of WORKLOADS) assert.match(f[w]?.error ?? "", /cannot create/, `${w}: ${r.stdout}`);
});

test("parseBenchOutput: rates from counts and nanoseconds; failures keep their reason", () => {
  const f = parseBenchOutput("seqWrite 16 2000000000\nseqRead fail dd\ncreate 300 1500000000\nnoise\n");
  assert.deepEqual(f, { seqWrite: { value: 8 }, seqRead: { error: "dd" }, create: { value: 200 } });
  assert.deepEqual(ratios({ seqWrite: { value: 8 }, create: { value: 50 } }, { seqWrite: { value: 16 }, create: { value: 200 }, stat: { value: 1 } }), { seqWrite: 0.5, create: 0.25 });
});

const mount = testMount("/home/u/my src", { mountPoint: "/mnt/my src", writable: true });

test("sweep: 8 combinations; remount with the Lima tag and the option, restore from fstab", () => {
  assert.equal(SWEEP_OPTIONS.length, 8);
  const s = sweepMountScript(mount, { msize: "512KiB", cache: "loose" });
  const umount = "{ n=0; until umount '/mnt/my src'; do n=$((n + 1)); [ $n -lt 10 ] || exit 1; sleep 0.5; done; }";
  assert.equal(s, `${umount} && mount -t 9p -o rw,trans=virtio,version=9p2000.L,msize=524288,cache=loose ${mountTag(mount.location, mount.mountPoint)} '/mnt/my src'`);
  assert.equal(restoreMountScript(mount), `if mountpoint -q '/mnt/my src'; then ${umount}; fi; mount '/mnt/my src'`);
  assert.equal(unsafeForSharedWrites("loose") !== undefined && unsafeForSharedWrites("fscache") !== undefined, true);
  assert.equal(unsafeForSharedWrites("mmap") ?? unsafeForSharedWrites("none"), undefined);
});

const runOf = (option: SweepOption, values: Record<string, number>): BenchRun => ({
  target: "/mnt/x", label: "", option, figures: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])), ratios: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v / 100])),
});

test("winners per workload; the recommendation for a writable mount is among the safe options", () => {
  const loose = { msize: "512KiB", cache: "loose" } as const;
  const mmap = { msize: "512KiB", cache: "mmap" } as const;
  const none = { msize: "128KiB", cache: "none" } as const;
  const runs = [runOf(none, { seqWrite: 10, create: 50 }), runOf(mmap, { seqWrite: 30, create: 40 }), runOf(loose, { seqWrite: 20, create: 90 })];
  assert.deepEqual(winnersOf(runs), { seqWrite: mmap, create: loose });
  const w = recommend(runs, true);
  assert.deepEqual(w?.option, mmap);
  assert.match(w?.reason ?? "", /safe for writes shared with the host/);
  // read-only: every option counts; a tie on wins goes to the better geometric mean of ratios
  assert.deepEqual(recommend(runs, false)?.option, loose);
  assert.equal(recommend([{ ...runOf(none, {}), skipped: "remount failed" }], true), undefined);
});

test("mountsSnippet: the mounts as configured with the recommended msize and cache; valid for tslima's validation", () => {
  const other = testMount("/srv/data", { mountPoint: "/mnt/data", writable: false });
  const rec = { option: { msize: "512KiB", cache: "mmap" } as const, reason: "wins 5 of 7 workloads" };
  const text = mountsSnippet([mount, other], [{ mountPoint: mount.mountPoint, location: mount.location, type: "9p", writable: true, configured: runOf(rec.option, {}), sweep: [], winners: { create: { msize: "128KiB", cache: "loose" } }, recommended: rec }], "9p");
  assert.match(text, /^# \/mnt\/my src: msize 512KiB, cache mmap \(wins 5 of 7 workloads\)$/m);
  assert.match(text, /^# {3}create: fastest with msize 128KiB, cache loose \(unsafe for writes shared with the host\)$/m);
  const doc = parse(text) as { mounts: Array<Record<string, unknown>> };
  assert.deepEqual(doc.mounts[0], { location: "/home/u/my src", mountPoint: "/mnt/my src", writable: true, "9p": { securityModel: "none", protocolVersion: "9p2000.L", msize: "512KiB", cache: "mmap" } });
  assert.deepEqual(doc.mounts[1]?.["9p"], { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "fscache" });
  const yaml = { images: [{ location: "build:debian-12", arch: "x86_64" }], mountType: "9p", ...doc };
  const findings = validateConfig(fillDefaults(yaml, linuxHost, "t").config, yaml, linuxHost);
  assert.deepEqual(findings.filter((f) => !f.warning), []);
});
