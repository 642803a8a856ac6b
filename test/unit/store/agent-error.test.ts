import { test } from "node:test";
import assert from "node:assert/strict";
import { TslimaError } from "../../../src/errors.js";
import { toAgentError } from "../../../src/store/agent-error.js";
import { formatEvent, outcomeOf } from "../../../src/store/events.js";
import { parseEvent } from "../../../src/store/event-parse.js";
import { instancePaths } from "../../../src/store/paths.js";
import { startFailure } from "../../../src/instance/start.js";

const paths = instancePaths("/home/u/.tslima", "vm");

/** What the agent writes for a failure, read back as `start` reads it. */
function crossed(thrown: unknown, logTail: string[] = []) {
  const error = toAgentError(thrown, logTail);
  const event = parseEvent(formatEvent({ status: { errors: [error.message] }, kind: "failed", message: "failed", error }));
  assert.ok(event);
  const outcome = outcomeOf(event);
  assert.equal(outcome?.kind, "failed");
  return startFailure(paths, outcome);
}

test("an agent error reaches start with its own code, hint and log tail", () => {
  const thrown = new TslimaError("MOUNT_LOCATION", "mounts[0] (/src -> /mnt/src): the location does not exist", { hint: "create /src" });
  const e = crossed(thrown, ["--- serial.log (tail) ---", "login:"]);
  assert.equal(e.code, "ERR_TSLIMA_MOUNT_LOCATION");
  assert.equal(e.message, "starting vm failed: mounts[0] (/src -> /mnt/src): the location does not exist\n--- serial.log (tail) ---\nlogin:");
  assert.equal(e.hint, `create /src\n      logs: ${paths.haStderrLog} and ${paths.serialLog}`);
});

test("an unexpected error in the agent arrives as INTERNAL", () => {
  const e = crossed(new RangeError("boom"));
  assert.equal(e.code, "ERR_TSLIMA_INTERNAL");
  assert.match(e.message, /failed: boom$/);
});

test("a code outside the closed list is not trusted", () => {
  const line = JSON.stringify({ time: "t", status: { errors: ["x"] }, error: { code: "MADE_UP", message: "x", hint: "h" } });
  const read = parseEvent(line);
  assert.deepEqual(read?.kind === "failed" ? read.error : undefined, { code: "INTERNAL", message: "x", hint: "h" });
  const broken = parseEvent(JSON.stringify({ time: "t", status: { errors: ["x"] }, kind: "failed", error: { message: 1 } }));
  assert.equal(broken?.kind, "other", "an error that is no error: the line is kept, its status still counts");
});

test("an agent that says nothing but status.errors is START_FAILED", () => {
  const event = parseEvent(JSON.stringify({ time: "t", status: { errors: ["gone"] } }));
  assert.ok(event);
  const e = startFailure(paths, outcomeOf(event)!);
  assert.equal(e.code, "ERR_TSLIMA_START_FAILED");
  assert.equal(e.hint, `logs: ${paths.haStderrLog} and ${paths.serialLog}`);
});
