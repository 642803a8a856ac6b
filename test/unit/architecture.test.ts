import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ESLint } from "eslint";
import { runProgram } from "../../src/proc/run.js";
import { fixturesDir, repoRoot } from "../helpers.js";

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

async function cruise(cwd: string, dir: string): Promise<Violation[]> {
  const bin = join(repoRoot, "node_modules", ".bin", "depcruise");
  const r = await runProgram(bin, [dir, "--config", join(repoRoot, ".dependency-cruiser.mjs"), "--output-type", "json"], { cwd, timeoutMs: 60_000 });
  assert.equal(r.spawnError, undefined);
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return out.summary.violations;
}

test("the layer rules report each kind of violation in a fixture tree, and nothing it does right", async () => {
  const found = await cruise(join(fixturesDir, "layers"), "src");
  const seen = found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  assert.deepEqual(seen, [
    "cli-uses-the-library: src/cli/start.ts -> src/proc/run.ts",
    "declared-folders-only: src/extra/thing.ts -> src/proc/run.ts",
    "layer-qemu: src/qemu/img.ts -> src/shell.ts",
    "layer-store: src/store/paths.ts -> src/instance/start.ts",
    "no-circular: src/proc/a.ts -> src/proc/b.ts",
    "planners-are-pure: src/qemu/argv.ts -> fs",
    "pure-imports-pure: src/qemu/options.ts -> src/proc/run.ts",
    "spawn-only-in-proc: src/qemu/img.ts -> child_process",
  ]);
});

test("the project's own source keeps to the layer rules", async () => {
  assert.deepEqual(await cruise(repoRoot, "src"), []);
});

test("pure code that reads process.env or opens sockets fails eslint; impure code may", async () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const lint = async (code: string, ...path: string[]) =>
    (await eslint.lintText(code, { filePath: join(repoRoot, "src", ...path) }))[0]?.messages.map((m) => m.ruleId);
  const env = "export const home = process.env.HOME;\n";
  // a pure file of a mixed folder, a file of a pure folder, and that folder's declared exception
  assert.deepEqual(await lint(env, "qemu", "argv.ts"), ["no-restricted-properties"]);
  assert.deepEqual(await lint(env, "config", "sizes.ts"), ["no-restricted-properties"]);
  assert.deepEqual(await lint(env, "config", "pipeline.ts"), []);
  assert.deepEqual(await lint(env, "qemu", "probe.ts"), []);
  const net = 'import { createServer, isIP } from "node:net";\nexport const n = [createServer, isIP];\n';
  assert.deepEqual(await lint(net, "lang", "yq.ts"), ["no-restricted-imports"]);
  assert.deepEqual(await lint('import { isIP } from "node:net";\nexport const n = isIP;\n', "lang", "yq.ts"), []);
});
