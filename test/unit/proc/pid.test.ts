import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive, waitGone } from "../../../src/proc/pid.js";

test("isAlive: this process runs; a zombie (exited, its parent never reaps it) does not, though kill -0 still succeeds", { skip: process.platform !== "linux" }, async () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-1), false);
  // the shell execs into a sleep that never waits for the short sleep: that one stays a zombie
  const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
  const [chunk] = (await once(parent.stdout, "data")) as [Buffer];
  const zombie = Number(chunk.toString().trim());
  try {
    await sleep(600);
    assert.doesNotThrow(() => process.kill(zombie, 0), "the zombie still has its pid");
    assert.equal(isAlive(zombie), false);
    assert.equal(await waitGone(zombie, 1000), true);
    assert.equal(isAlive(parent.pid!), true);
  } finally {
    parent.kill("SIGKILL");
  }
});
