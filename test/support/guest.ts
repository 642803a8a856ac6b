/**
 * The locally built test guest (`build:debian-12`, built by scripts/build-test-guest) and lima.yaml
 * for it. Shared by the e2e tests (test/e2e/harness.ts) and the benchmarks (scripts/bench/*.ts).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers.js";
import { builtFiles } from "../../src/images/builder/index.js";

/** The locally built test guest, as scripts/build-test-guest leaves it (built, or taken from the cache). */
export interface LocalGuest {
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  /** How long the build took when it ran (not now, when it came from the cache). */
  buildSeconds: number;
}

/** Runs scripts/build-test-guest (instant when cached); it prints the build directory first. */
export function localGuestBuild(): LocalGuest {
  const r = spawnSync(join(repoRoot, "scripts", "build-test-guest"), [], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 60 * 60 * 1000,
  });
  if (r.status !== 0) throw new Error(`scripts/build-test-guest failed (exit ${r.status ?? r.signal}):\n${r.stdout}`);
  const dir = r.stdout.split("\n")[0]!.trim();
  const record = JSON.parse(readFileSync(join(dir, "build.json"), "utf8")) as { cmdline: string; buildSeconds: number };
  const { disk, kernel, initrd } = builtFiles(dir);
  return { dir, disk, kernel, initrd, cmdline: record.cmdline, buildSeconds: record.buildSeconds };
}

/**
 * lima.yaml for the locally built Debian 12 guest, small enough for a 2-core machine under TCG:
 * 1 vCPU, 1 GiB, no mounts unless `extra` adds some. `extra` is appended verbatim. `images`
 * replaces the `images:` section (e.g. readableGuestImages()).
 */
export function guestYaml(extra = "", o: { cpus?: number; memory?: string; images?: string } = {}): string {
  return [
    ...(o.images !== undefined ? [o.images] : ["images:", '- location: "build:debian-12"', '  arch: "x86_64"']),
    `cpus: ${o.cpus ?? 1}`,
    `memory: "${o.memory ?? "1GiB"}"`,
    'disk: "8GiB"',
    extra,
  ].join("\n");
}
