import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { processError, runProgram, runProgramSync } from "../../../src/proc/run.js";
import { shellStatus } from "../../../src/proc/child.js";

const node = process.execPath;

/** Gone, or a zombie nobody reaped yet (an orphan in a container whose pid 1 does not reap). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

test("runProgram collects output, the exit code and how long it ran", async () => {
  const r = await runProgram(node, ["-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"], { input: "" });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, "out");
  assert.equal(r.stderr, "err");
  assert.equal(r.timedOut, false);
  assert.ok(r.durationMs >= 0);
  assert.equal(shellStatus(r), 3);
});

test("input reaches stdin", async () => {
  const r = await runProgram(node, ["-e", "process.stdin.pipe(process.stdout)"], { input: "hello" });
  assert.equal(r.stdout, "hello");
});

test("a timeout sends SIGTERM, then SIGKILL to a program that ignores it", async () => {
  // sh sets its trap within milliseconds of starting (node would need up to seconds on a loaded
  // machine, and a TERM before its handler exists ends it at once)
  const script = "trap 'echo got TERM >&2' TERM; echo up; while :; do sleep 0.05; done";
  const r = await runProgram("sh", ["-c", script], { timeoutMs: 2000, killGraceMs: 500 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, "SIGKILL");
  assert.match(r.stderr, /got TERM/);
  assert.equal(shellStatus(r), 137);
  const e = processError("QEMU_IMG", "cannot do it", r, "try again");
  assert.match(e.message, /timed out after \ds and was killed:\n {2}got TERM/);
  assert.equal(e.code, "ERR_TSLIMA_QEMU_IMG");
  assert.equal(e.hint, "try again");
});

test("aborting ends the program and says so", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const r = await runProgram(node, ["-e", "setInterval(() => {}, 1000)"], { signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.equal(r.signal, "SIGTERM");
});

test("a program that does not exist is a spawn error, not an exception", async () => {
  const r = await runProgram("/nonexistent/tslima-no-such-program", []);
  assert.equal(r.spawnError?.code, "ENOENT");
  assert.match(processError("QEMU_MISSING", "no qemu", r, "install it").message, /could not be started/);
  const s = runProgramSync("/nonexistent/tslima-no-such-program", []);
  assert.equal(s.spawnError?.code, "ENOENT");
});

test("children die with the parent", async () => {
  // A parent that starts a long-running child through startChild and exits at once.
  const runner = new URL("../../../src/proc/child.js", import.meta.url).href;
  const script = `import(${JSON.stringify(runner)}).then(({ startChild }) => { const c = startChild(${JSON.stringify(node)}, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }); console.log(c.pid); setTimeout(() => process.exit(0), 200); })`;
  const r = await runProgram(node, ["-e", script], { timeoutMs: 10_000 });
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 0, r.stderr);
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(gone(pid), true);
});
