import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startMountDaemons } from "../../../src/hostagent/daemons.js";
import { terminate } from "../../../src/proc/pid.js";

/** The signals a process ignores, from /proc/PID/status (SigIgn, a hex mask; bit n-1 is signal n). */
function ignored(pid: number): bigint {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("SigIgn:"));
  return BigInt(`0x${line?.split(/\s+/)[1] ?? "0"}`);
}

test("a mount daemon runs with SIGPIPE ignored: its stderr pipe's reader (the agent) may die, the daemon must not", { skip: process.platform !== "linux" }, async () => {
  const [d] = await startMountDaemons([{ location: "/tmp", command: "sleep", args: ["30"] }], new AbortController().signal, () => () => undefined);
  const pid = d!.child.pid!;
  try {
    // after the exec: the daemon itself, not the shell
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean), ["sleep", "30"]);
    assert.equal((ignored(pid) >> 12n) & 1n, 1n, "SIGPIPE (13) is ignored");
  } finally {
    await terminate(pid, 2000);
  }
});
