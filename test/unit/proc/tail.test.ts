/** Bounded output (issue 24): a child's (a guest's) output is kept as its tail with a note of the cut; lines without end are not held. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runProgram } from "../../../src/proc/run.js";
import { runCollect } from "../../../src/ssh/exec.js";
import { cutNotice, LineSplitter, TailBuffer } from "../../../src/proc/tail.js";

test("TailBuffer keeps the last max bytes, however they arrive, and says how many were cut", () => {
  const t = new TailBuffer(10);
  for (const c of ["abc", "defgh", "ijklmnop"]) t.push(Buffer.from(c));
  assert.equal(t.cut, 6);
  assert.equal(t.text(), `${cutNotice(6)}ghijklmnop`);
  t.push(Buffer.from("0123456789ABCDEF"));
  assert.equal(t.text(), `${cutNotice(22)}6789ABCDEF`);
  const whole = new TailBuffer(10);
  whole.push(Buffer.from("short"));
  assert.equal(whole.text(), "short", "nothing cut, no note");
});

test("TailBuffer drops a UTF-8 character split by the cut whole", () => {
  const t = new TailBuffer(4);
  t.push(Buffer.from("xé€")); // é is 2 bytes, € 3: the last 4 bytes are é's second byte and €
  assert.equal(t.text(), `${cutNotice(3)}€`);
});

test("runProgram keeps the tail of an output over maxOutputBytes, with the note; a 3 MB stdout and stderr", async () => {
  const r = await runProgram("sh", ["-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo END; head -c 3000000 /dev/zero | tr '\\0' b >&2; echo ERR >&2"], { maxOutputBytes: 1000, timeoutMs: 30_000 });
  assert.equal(r.code, 0);
  assert.ok(r.stdout.startsWith(cutNotice(3000004 - 1000)), r.stdout.slice(0, 80));
  assert.ok(r.stdout.endsWith("aaaaEND\n"));
  assert.equal(r.stdout.length, cutNotice(3000004 - 1000).length + 1000);
  assert.ok(r.stderr.endsWith("bbbbERR\n") && r.stderr.length < 1100);
  const small = await runCollect("sh", ["-c", "echo hi"], undefined, 10_000, undefined, 1000);
  assert.equal(small.stdout, "hi\n", "output under the bound is whole");
});

test("LineSplitter: complete lines only; a line over max is dropped and counted, also when it never ends", () => {
  const s = new LineSplitter(5);
  assert.deepEqual(s.push("ab\ncd"), ["ab"]);
  assert.deepEqual(s.push("e\n"), ["cde"]);
  assert.deepEqual(s.push("toolong"), []);
  assert.deepEqual(s.push("still going"), [], "the unfinished line is not held");
  assert.deepEqual(s.push(" end\nok\n"), ["ok"], "the rest of the long line is dropped too");
  assert.deepEqual(s.push("123456\nfine\n"), ["fine"]);
  assert.equal(s.overlong, 2);
});
