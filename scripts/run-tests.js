#!/usr/bin/env node
// Runs the compiled tests with Node's own test runner.
//   node scripts/run-tests.js            unit and e2e side by side
//   node scripts/run-tests.js unit       unit only
//   node scripts/run-tests.js e2e [pat]  end-to-end only (optionally files whose path contains pat)
// Unit files run one at a time, in one `node --test`. End-to-end files run TSLIMA_E2E_JOBS at a
// time (default 2), each in its own `node --test`: a VM under TCG keeps one core busy while it
// boots, and most of a file's time is one VM booting or waiting on its guest, so two files side by
// side use the machine's 2 cores. They start longest first (E2E_WEIGHT; node's runner would sort
// them by name), and each file's output is printed whole when it ends. The whole run starts the unit
// suite beside the first end-to-end files: the unit files spend a third of their time waiting
// (timers, child processes), and the first VMs' boots use that time. `npm test` leaves lint to
// this lane too (it runs first in it), so no VM waits for eslint.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [kind, pattern] = process.argv.slice(2);
const suites = kind ? [kind] : ["unit", "e2e"];

// Rough minutes each end-to-end file takes alone (only the order is taken from it). A file not
// listed counts as 2 minutes.
const E2E_WEIGHT = {
  "arch-aarch64": 12, "limactl": 10, "lifecycle": 14, "mounts-9p": 7, "docker": 5, "docker-rootful": 5,
  "mounts-sshfs": 3, "snapshot": 4, "images": 3, "library": 3, "mounts-virtiofs": 3, "security": 3,
  "portfwd": 1, "faults": 1, "memory": 1, "network": 5, "fields": 5, "image-trust": 1, "agent-death": 3, "watch": 2, "mcp": 3, "pool": 2,
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

const testArgv = (files) => ["--test", "--test-concurrency=1", "--enable-source-maps", ...files];

/** One `node --test FILE` (or FILES); resolves with its exit status and its whole output (stdout and stderr). */
function runFile(file, env) {
  return runCommand(process.execPath, testArgv([file].flat()), env);
}

/** A command with its output kept; resolves with its exit status and its whole output. */
function runCommand(cmd, args, env = process.env, cwd = process.cwd()) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    child.stdout.on("data", (b) => chunks.push(b));
    child.stderr.on("data", (b) => chunks.push(b));
    child.on("close", (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks) }));
  });
}

/** The files, `jobs` at a time in the given order; returns the worst exit status. */
async function runFiles(files, jobs, env) {
  const queue = [...files];
  const summary = [];
  const failed = [];
  const lane = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const t0 = Date.now();
      console.error(`# run-tests: started ${file}`);
      const r = await runFile(file, env);
      const s = Math.round((Date.now() - t0) / 1000);
      process.stdout.write(r.output);
      const line = `# run-tests: ${r.status === 0 ? "passed" : "FAILED"} ${file} in ${s} s`;
      console.log(line);
      summary.push(line);
      if (r.status !== 0) failed.push(file);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, lane));
  console.log(summary.join("\n"));
  if (failed.length > 0) console.log(`# run-tests: ${failed.length} end-to-end file(s) failed: ${failed.join(" ")}`);
  return failed.length > 0 ? 1 : 0;
}

async function runSuite(suite) {
  const files = filesOf(suite);
  if (files.length === 0) return undefined;
  if (suite !== "e2e") return spawnSync(process.execPath, testArgv(files), { stdio: "inherit" }).status ?? 1;
  // The end-to-end files share one directory of booted snapshots for the run (test/e2e/harness.ts:
  // the base guest boots cold once, later VMs resume from it); it goes when the run ends.
  const snapshots = mkdtempSync(join(tmpdir(), "tslima-e2e-snapshots-"));
  try {
    return await runFiles(files, Number(process.env.TSLIMA_E2E_JOBS || 2), { ...process.env, TSLIMA_E2E_SNAPSHOTS: snapshots });
  } finally {
    rmSync(snapshots, { recursive: true, force: true });
  }
}

/** The unit suite in one `node --test`, its output printed whole when it ends (beside e2e files). */
async function runUnitBeside() {
  const files = filesOf("unit");
  if (files.length === 0) return undefined;
  const t0 = Date.now();
  console.error("# run-tests: started lint, then the unit suite");
  const lint = await runCommand("npm", ["run", "--silent", "lint"], process.env, root);
  process.stdout.write(lint.output);
  console.log(`# run-tests: lint ${lint.status === 0 ? "passed" : "FAILED"} in ${Math.round((Date.now() - t0) / 1000)} s`);
  const r = await runFile(files, process.env);
  process.stdout.write(r.output);
  console.log(`# run-tests: unit suite ${r.status === 0 ? "passed" : "FAILED"} in ${Math.round((Date.now() - t0) / 1000)} s`);
  return lint.status !== 0 ? lint.status : r.status;
}

const results = suites.length > 1 ? await Promise.all([runUnitBeside(), runSuite("e2e")]) : [await runSuite(suites[0])];
let ran = 0;
let status = 0;
for (const s of results) {
  if (s === undefined) continue;
  ran++;
  if (s !== 0) status = s;
}
if (ran === 0) {
  console.error(`no test files found for ${suites.join(", ")}${pattern ? ` matching ${pattern}` : ""} under dist/test (run npm run build first)`);
  process.exit(1);
}
process.exit(status);
