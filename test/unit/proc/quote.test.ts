import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { shellJoin, shellQuote } from "../../../src/proc/quote.js";
import { isTslimaError } from "../../../src/errors.js";

const NASTY: string[] = [
  "plain",
  "",
  "two words",
  "it's",
  "'",
  "''",
  '"double"',
  "$HOME",
  "${HOME}",
  "$(id -u)",
  "`id -u`",
  "back\\slash",
  "trailing\\",
  "line1\nline2",
  "\n",
  "tab\there",
  "glob*?[a]",
  "~",
  "~root",
  "a;b&&c||d|e",
  "<in >out 2>&1",
  "#comment",
  "!bang",
  "{a,b}",
  "-n",
  "--",
  "ünïcødé ✓ 日本語",
  "emoji 🐧",
  "x=1",
  "%s %d",
  "\u00a0nbsp",
];

/** Runs `printf '%s\0' <quoted args>` in a real shell and splits the output back into an argv. */
function roundTrip(shell: string, args: string[]): string[] {
  const r = spawnSync(shell, ["-c", `printf '%s\\0' ${shellJoin(args)}`], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const parts = r.stdout.split("\0");
  parts.pop();
  return parts;
}

test("bare words stay bare, everything else is single-quoted", () => {
  assert.equal(shellQuote("abc-1.2_x/y:z@h%+=,"), "abc-1.2_x/y:z@h%+=,");
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("a b"), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote("$x"), "'$x'");
  assert.equal(shellQuote("~"), "'~'");
  assert.equal(shellQuote("a\nb"), "'a\nb'");
  assert.equal(shellQuote("safe", { always: true }), "'safe'");
  assert.equal(shellQuote("", { always: true }), "''");
});

for (const shell of ["sh", "bash"]) {
  test(`every nasty argument survives a real ${shell} unchanged, one by one and all together`, () => {
    for (const a of NASTY) assert.deepEqual(roundTrip(shell, [a]), [a], JSON.stringify(a));
    assert.deepEqual(roundTrip(shell, NASTY), NASTY);
  });

  test(`quoting twice (a command line inside -c) survives ${shell}`, () => {
    const inner = shellJoin(["printf", "%s\\0", ...NASTY]);
    const r = spawnSync(shell, ["-c", `${shell} -c ${shellQuote(inner)}`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\0").slice(0, -1), NASTY);
  });
}

test("NUL cannot be quoted and is refused", () => {
  assert.throws(() => shellQuote("a\0b"), (e: unknown) => isTslimaError(e) && /NUL/.test(e.message));
});
