import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatTimings, PhaseClock } from "../../../src/hostagent/timings.js";
import { readHostResolverPort, writeHostResolverPort } from "../../../src/hostagent/guest-net.js";
import { HOST_RESOLVER_PORT_FILE } from "../../../src/hostagent/host-resolver-plan.js";
import { progressPrinter } from "../../../src/cli/start.js";

test("formatTimings: each phase in order, the total, and the part no phase covers", () => {
  assert.equal(
    formatTimings([["agent startup", 412.4], ["ssh", 2345], ["clock", 999.6]], 4100),
    "timings: agent startup 412 ms, ssh 2.35 s, clock 1.00 s; total 4.10 s (other 343 ms)",
  );
  // overlapping phases never make the rest negative
  assert.equal(formatTimings([["a", 800], ["b", 800]], 1000), "timings: a 800 ms, b 800 ms; total 1.00 s (other 0 ms)");
});

test("PhaseClock: the agent's startup first, a timed phase also when it throws", async () => {
  const clock = new PhaseClock(120);
  assert.equal(await clock.time("one", () => Promise.resolve(7)), 7);
  await assert.rejects(clock.time("two", () => Promise.reject(new Error("no"))), /no/);
  clock.add("three", 1500);
  assert.match(clock.summary(5000), /^timings: agent startup 120 ms, one \d+ ms, two \d+ ms, three 1\.50 s; total 5\.00 s \(other \d\.\d\d s\)$/);
});

test("the host resolver's port file: written 0600, read back; anything not a port reads as none", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-hr-port-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(readHostResolverPort(dir), undefined);
  writeHostResolverPort(dir, 47940);
  assert.equal(readHostResolverPort(dir), 47940);
  assert.equal(statSync(join(dir, HOST_RESOLVER_PORT_FILE)).mode & 0o777, 0o600);
  for (const bad of ["0\n", "70000\n", "53x\n", "\n"]) {
    writeFileSync(join(dir, HOST_RESOLVER_PORT_FILE), bad);
    assert.equal(readHostResolverPort(dir), undefined, JSON.stringify(bad));
  }
});

test("start's progress lines are timed when the agent wrote each event, not when the CLI read it", () => {
  let out = "";
  const print = progressPrinter((s) => (out += s));
  print({ time: new Date(Date.now() + 2500).toISOString(), status: {}, kind: "step", step: "wait-ssh", message: "Waiting for SSH" });
  assert.match(out, /^\[ +2\.[45]s\] Waiting for SSH\n$/);
});
