import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { parseDocument } from "yaml";
import { runValidate } from "../../src/cli/validate.js";
import { cliPath, sharedDir, yamlFilesUnder } from "../helpers.js";
import { applyMutations, mutationArb, ODD_LOCATORS, type CaseFiles } from "./support/mutations.js";

/**
 * Property-based fuzzing of `tslima validate [--fill]` with mutated Lima templates (wrong types,
 * prototype-named keys, odd locators, deep nesting, huge maps and lists, aliases, go-templates,
 * duplicate keys, broken syntax), as the instance file, as TSLIMA_HOME/_config/override.yaml or as
 * the command's argument. For every case: exit status 0 or 1, every stderr line one
 * `FILE:LINE:COL: field: message` (or `FILE: OK`), at least one error when the status is 1, no stack
 * trace, YAML on stdout with --fill, and a bounded time.
 * Reproducible: TSLIMA_FUZZ_SEED (default below), TSLIMA_FUZZ_RUNS, and TSLIMA_FUZZ_PATH to replay
 * the failing path fast-check prints with the seed.
 */
const SEED = Number(process.env.TSLIMA_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.TSLIMA_FUZZ_RUNS ?? 2500);
const REPLAY = process.env.TSLIMA_FUZZ_PATH;
/** One case may take this long at most (a hang or a quadratic blow-up is far above it). */
const CASE_MS = 10_000;
const BINARY_CASES = 8;

const limaDir = join(sharedDir, "lima-templates");
const ISSUE = /^.+:\d+:\d+: .+?: .+$/;

/** Lima's templates by their name below limaDir (fast-check prints the name in a counterexample). */
const templates = new Map(yamlFilesUnder(limaDir).map((p) => [relative(limaDir, p), readFileSync(p, "utf8")]));

const caseArb = fc.record({
  template: fc.constantFrom(...templates.keys()),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
  fill: fc.boolean(),
  /** The mutated text as the instance file (most cases), as override.yaml, or an odd locator as the argument. */
  role: fc.constantFrom("instance", "instance", "instance", "instance", "override", "argument"),
  argument: fc.constantFrom(...ODD_LOCATORS),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface Workspace extends CaseFiles {
  home: string;
}

/** Writes the files of a case; returns the validate argument. */
function prepare(c: Case, ws: Workspace): string {
  const text = applyMutations(templates.get(c.template) ?? "", c.mutations, ws);
  const override = join(ws.home, "_config", "override.yaml");
  rmSync(override, { force: true });
  if (c.role === "override") {
    writeFileSync(override, text);
    writeFileSync(ws.self, 'images:\n- location: "build:debian-12"\n');
  } else {
    writeFileSync(ws.self, text);
  }
  if (c.role !== "argument") return ws.self;
  const special: Record<string, string> = { FIFO: ws.fifo, DIR: ws.dir, SELF: ws.self };
  return special[c.argument] ?? c.argument;
}

function check(r: Result, arg: string, fill: boolean, ms: number, what: string): void {
  const context = `${what}\n--- stderr:\n${r.stderr.slice(0, 2000)}`;
  assert.ok(r.status === 0 || r.status === 1, `exit status ${r.status}: ${context}`);
  assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, context);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) assert.ok(ISSUE.test(line) || line === `${arg}: OK`, `not FILE:LINE:COL: field: message: ${JSON.stringify(line)}\n${context}`);
  if (r.status === 1) assert.ok(lines.some((l) => !/: warning: /.test(l)), `exit 1 without an error line: ${context}`);
  if (r.status === 0 && fill) assert.deepEqual(parseDocument(r.stdout).errors, [], `--fill printed YAML that does not parse: ${context}`);
  assert.ok(ms < CASE_MS, `took ${Math.round(ms)} ms: ${context}`);
}

function workspace(): Workspace & { cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-fuzz-"));
  const home = join(dir, "home");
  mkdirSync(join(home, "_config"), { recursive: true });
  const fifo = join(dir, "fifo.yaml");
  execFileSync("mkfifo", [fifo]);
  return { dir, home, fifo, self: join(dir, "case.yaml"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs with TSLIMA_TEMPLATES_PATH at Lima's templates, so `base: template:_images/...` resolves. */
async function withTemplatesPath(fn: () => Promise<void>): Promise<void> {
  const saved = process.env.TSLIMA_TEMPLATES_PATH;
  process.env.TSLIMA_TEMPLATES_PATH = limaDir;
  try {
    await fn();
  } finally {
    if (saved === undefined) delete process.env.TSLIMA_TEMPLATES_PATH;
    else process.env.TSLIMA_TEMPLATES_PATH = saved;
  }
}

test(`validate survives ${RUNS} mutated Lima templates in-process (seed ${SEED})`, { timeout: 180_000 }, async (t) => {
  const ws = workspace();
  let slowest = 0;
  try {
    await withTemplatesPath(async () => {
      const property = fc.asyncProperty(caseArb, async (c) => {
        const arg = prepare(c, ws);
        const r: Result = { status: null, stdout: "", stderr: "" };
        const started = performance.now();
        try {
          r.status = await runValidate([arg], { fill: c.fill, home: ws.home }, { stdout: (s) => (r.stdout += s), stderr: (s) => (r.stderr += s) });
        } catch (e) {
          assert.fail(`internal error: ${(e as Error).stack ?? String(e)}\n--- case:\n${readFileSync(ws.self, "utf8").slice(0, 2000)}`);
        }
        const ms = performance.now() - started;
        slowest = Math.max(slowest, ms);
        check(r, arg, c.fill, ms, `case ${JSON.stringify(c).slice(0, 500)}`);
      });
      await fc.assert(property, { seed: SEED, numRuns: RUNS, includeErrorInReport: true, ...(REPLAY ? { path: REPLAY } : {}) });
    });
  } finally {
    ws.cleanup();
  }
  t.diagnostic(`seed ${SEED}, ${RUNS} cases, slowest ${Math.round(slowest)} ms (TSLIMA_FUZZ_SEED, TSLIMA_FUZZ_RUNS, TSLIMA_FUZZ_PATH)`);
});

test(`bin/tslima.js validate gives the same guarantees for ${BINARY_CASES} sampled cases, a FIFO as config and as base:`, { timeout: 120_000 }, () => {
  const ws = workspace();
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TSLIMA_HOME: ws.home, TSLIMA_TEMPLATES_PATH: limaDir };
    delete env.TSLIMA_DEBUG;
    const run = (arg: string, fill: boolean, what: string) => {
      const started = performance.now();
      const r = spawnSync(process.execPath, [cliPath, "validate", ...(fill ? ["--fill"] : []), arg], { encoding: "utf8", env, timeout: CASE_MS * 3 });
      check(r, arg, fill, (performance.now() - started) / 3, what);
      return r;
    };
    for (const c of fc.sample(caseArb, { seed: SEED, numRuns: BINARY_CASES })) run(prepare(c, ws), c.fill, `case ${JSON.stringify(c).slice(0, 500)}`);
    const fifo = run(ws.fifo, false, "a FIFO as the config");
    assert.equal(fifo.status, 1);
    assert.match(fifo.stderr, /FIFO \(named pipe\), not a regular file/);
    writeFileSync(ws.self, `base: ${ws.fifo}\nimages:\n- location: "build:debian-12"\n`);
    const base = run(ws.self, true, "a FIFO as base:");
    assert.equal(base.status, 1);
    assert.match(base.stderr, /case\.yaml:1:7: base: cannot read .*FIFO/);
  } finally {
    ws.cleanup();
  }
});
