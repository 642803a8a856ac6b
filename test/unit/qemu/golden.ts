import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import assert from "node:assert/strict";
import { fixturesDir } from "../../helpers.js";

/**
 * Compares an argv with test/fixtures/qemu/<name>.txt (one argument per line). With UPDATE_GOLDEN=1
 * the file is rewritten instead; review the diff before committing it.
 */
export function assertGolden(name: string, argv: string[]): void {
  const dir = join(fixturesDir, "qemu");
  const file = join(dir, `${name}.txt`);
  const text = `${argv.join("\n")}\n`;
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(file, "utf8");
  } catch {
    assert.fail(`golden file ${file} is missing; create it with UPDATE_GOLDEN=1`);
  }
  assert.equal(text, expected, `argv differs from ${file} (UPDATE_GOLDEN=1 rewrites it)`);
}
