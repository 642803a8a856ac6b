import { test } from "node:test";
import assert from "node:assert/strict";
import { shellResult } from "../../../src/mcp/shell-result.js";
import { goFileMode } from "../../../src/mcp/file-mode.js";
import { cutNotice } from "../../../src/proc/tail.js";

const done = { stdout: "", stderr: "", timedOut: false, signal: null };

test("run_shell_command results have Lima's fields and Go's error words", () => {
  assert.deepEqual(shellResult({ ...done, exitCode: 0, stdout: "hi\n" }, 600, "lima"), { stdout: "hi\n", stderr: "", exit_code: 0 });
  assert.deepEqual(shellResult({ ...done, exitCode: 13, stderr: "NO\n" }, 600, "lima"), { stdout: "", stderr: "NO\n", error: "exit status 13", exit_code: 13 });
  assert.deepEqual(Object.keys(shellResult({ ...done, exitCode: 1 }, 600, "lima")), ["stdout", "stderr", "error", "exit_code"]);
  assert.equal(shellResult({ ...done, exitCode: 255, signal: "SIGKILL" }, 600, "lima").error, "signal: SIGKILL");
});

test("a timeout and a cut output are said (tslima's fields only under tslima)", () => {
  const t = shellResult({ ...done, exitCode: 124 }, 5, "tslima");
  assert.equal(t.timed_out, true);
  assert.match(t.error ?? "", /timed out after 5 s/);
  assert.equal(shellResult({ ...done, exitCode: 124 }, 5, "lima").timed_out, undefined);
  const cut = shellResult({ ...done, exitCode: 0, stdout: `${cutNotice(4096)}tail` }, 5, "tslima");
  assert.equal(cut.truncated, true);
  assert.equal(shellResult({ ...done, exitCode: 0, stdout: "whole" }, 5, "tslima").truncated, undefined);
});

test("list_directory modes are Go's fs.FileMode", () => {
  assert.equal(goFileMode(0o040755), 2147484141);
  assert.equal(goFileMode(0o100644), 0o644);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o041777), 2 ** 31 + 2 ** 20 + 0o777);
});
