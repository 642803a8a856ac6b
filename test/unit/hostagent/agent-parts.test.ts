import { test } from "node:test";
import assert from "node:assert/strict";
import { OnClose } from "../../../src/hostagent/on-close.js";
import { Reporter } from "../../../src/hostagent/agent-io.js";
import { stderrLines } from "../../../src/hostagent/processes.js";
import { TslimaError } from "../../../src/errors.js";

test("the on-close list runs newest first, once; a cleanup that fails is logged and the others still run", async () => {
  const log: string[] = [];
  const ran: string[] = [];
  const c = new OnClose((m) => log.push(m));
  c.add("disks", () => void ran.push("disks"));
  c.add("qemu", () => {
    throw new Error("gone already");
  });
  c.add("forwards", async () => {
    await Promise.resolve();
    ran.push("forwards");
  });
  await c.closeAll();
  assert.deepEqual(ran, ["forwards", "disks"]);
  assert.deepEqual(log, ["closing qemu: gone already"]);
  await c.closeAll();
  assert.deepEqual(ran, ["forwards", "disks"], "closed once");
});

test("a child's stderr reaches the agent's log line by line under its name; its last lines are kept for errors", () => {
  const log: string[] = [];
  const r = new Reporter({ emit: () => undefined, log: (m) => log.push(m) });
  const lines = stderrLines(r.childLog("qemu"));
  lines.push(Buffer.from("qemu-system-x86_64: warning: one\nhalf"));
  lines.push(Buffer.from(" a line\n\n"));
  assert.deepEqual(log, ["qemu: qemu-system-x86_64: warning: one", "qemu: half a line"]);
  lines.push(Buffer.from("no end yet"));
  assert.deepEqual(lines.tail(), ["qemu-system-x86_64: warning: one", "half a line", "no end yet"]);
  for (let i = 0; i < 50; i++) lines.push(Buffer.from(`line ${i}\n`));
  assert.equal(lines.tail().length, 40, "a bounded tail");
  lines.push(Buffer.from(`${"x".repeat(10_000)}\n`));
  assert.equal(log.at(-1)?.length, "qemu: ".length + 4096, "an overlong line is cut");
});

test("the agent logs the stack of an internal error, not of a TslimaError", () => {
  const log: string[] = [];
  const r = new Reporter({ emit: () => undefined, log: (m) => log.push(m) });
  r.logError("suspend failed", new TslimaError("SUSPEND_BUSY", "a mount is in use", { hint: "end it" }));
  assert.deepEqual(log, ["suspend failed: a mount is in use\nhint: end it"]);
  log.length = 0;
  r.logError("error", new TypeError("x is undefined"));
  assert.equal(log[0], "error: x is undefined");
  assert.match(log[1] ?? "", /^TypeError: x is undefined\n\s+at /);
});

test("every event carries a copy of the agent's status at that moment", () => {
  const events: unknown[] = [];
  const r = new Reporter({ emit: (e) => events.push(e), log: () => undefined });
  r.step("wait-ssh", "Waiting for SSH");
  r.status.ready = true;
  r.warn("w");
  assert.deepEqual(events, [
    { status: { running: false }, kind: "step", step: "wait-ssh", message: "Waiting for SSH" },
    { status: { running: false, ready: true }, kind: "warning", warning: "w" },
  ]);
});
