#!/usr/bin/env node
// Runs the compiled tests with Node's own test runner.
//   node scripts/run-tests.js            unit + e2e
//   node scripts/run-tests.js unit       unit only
//   node scripts/run-tests.js e2e [pat]  end-to-end only (optionally files whose path contains pat)
// Test files run one at a time: end-to-end files boot real VMs on a 2-core machine.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [kind, pattern] = process.argv.slice(2);
const suites = kind ? [kind] : ["unit", "e2e"];

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

const files = suites
  .flatMap((s) => walk(join(root, "dist", "test", s)))
  .filter((f) => !pattern || f.includes(pattern))
  .map((f) => relative(process.cwd(), f));
if (files.length === 0) {
  console.error(`no test files found for ${suites.join(", ")} under dist/test (run npm run build first)`);
  process.exit(1);
}
// The end-to-end files share one directory of booted snapshots for the run (test/e2e/harness.ts:
// the base guest boots cold once, later VMs resume from it); it goes when the run ends.
const snapshots = mkdtempSync(join(tmpdir(), "tslima-e2e-snapshots-"));
let status = 1;
try {
  const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--enable-source-maps", ...files], {
    stdio: "inherit",
    env: { ...process.env, TSLIMA_E2E_SNAPSHOTS: snapshots },
  });
  status = r.status ?? 1;
} finally {
  rmSync(snapshots, { recursive: true, force: true });
}
process.exit(status);
