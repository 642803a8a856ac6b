#!/usr/bin/env node
// Runs the compiled tests with Node's own test runner.
//   node scripts/run-tests.js            unit, then e2e
//   node scripts/run-tests.js unit       unit only
//   node scripts/run-tests.js e2e [pat]  end-to-end only (optionally files whose path contains pat)
// Unit files run one at a time. End-to-end files run TSLIMA_E2E_JOBS at a time (default 2): a VM
// under TCG keeps one core busy while it boots, and most of a file's time is one VM booting or
// waiting on its guest, so two files side by side use the machine's 2 cores. They are started
// longest first (E2E_WEIGHT) so that no long file starts last.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [kind, pattern] = process.argv.slice(2);
const suites = kind ? [kind] : ["unit", "e2e"];

// Rough minutes each end-to-end file took in CI, run alone (only the order is taken from it).
// A file not listed counts as 2 minutes.
const E2E_WEIGHT = {
  "mounts-9p": 8, "library": 7, "boot-light": 7, "limactl": 7, "docker": 5, "lifecycle": 5,
  "mounts-sshfs": 4, "suspend": 4, "images": 4, "snapshot": 3, "mounts-virtiofs": 3, "security": 2,
  "portfwd": 1, "faults": 1,
};
const weight = (file) => E2E_WEIGHT[basename(file, ".test.js")] ?? 2;

function walk(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

function filesOf(suite) {
  const files = walk(join(root, "dist", "test", suite)).filter((f) => !pattern || f.includes(pattern));
  if (suite === "e2e") files.sort((a, b) => weight(b) - weight(a));
  return files.map((f) => relative(process.cwd(), f));
}

function runSuite(suite) {
  const files = filesOf(suite);
  if (files.length === 0) return undefined;
  const jobs = suite === "e2e" ? Number(process.env.TSLIMA_E2E_JOBS || 2) : 1;
  // The end-to-end files share one directory of booted snapshots for the run (test/e2e/harness.ts:
  // the base guest boots cold once, later VMs resume from it); it goes when the run ends.
  const snapshots = mkdtempSync(join(tmpdir(), "tslima-e2e-snapshots-"));
  try {
    const r = spawnSync(process.execPath, ["--test", `--test-concurrency=${jobs}`, "--enable-source-maps", ...files], {
      stdio: "inherit",
      env: { ...process.env, TSLIMA_E2E_SNAPSHOTS: snapshots },
    });
    return r.status ?? 1;
  } finally {
    rmSync(snapshots, { recursive: true, force: true });
  }
}

let ran = 0;
let status = 0;
for (const suite of suites) {
  const s = runSuite(suite);
  if (s === undefined) continue;
  ran++;
  if (s !== 0) status = s;
}
if (ran === 0) {
  console.error(`no test files found for ${suites.join(", ")}${pattern ? ` matching ${pattern}` : ""} under dist/test (run npm run build first)`);
  process.exit(1);
}
process.exit(status);
