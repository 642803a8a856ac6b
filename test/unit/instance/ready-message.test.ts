import { test } from "node:test";
import assert from "node:assert/strict";
import { readyMessage } from "../../../src/instance/start.js";
import type { AgentEvent } from "../../../src/store/events.js";

const at = "2026-11-30T00:00:00.000Z";

test("the instance message is the READY event's, not that of a later event with the ready status (a port forward)", () => {
  const events: AgentEvent[] = [
    { time: at, status: { running: false }, kind: "step", step: "wait-ssh", message: "Waiting for SSH" },
    { time: at, status: { running: true, ready: true }, kind: "ready", message: "READY", instanceMessage: "docker context create ...\n" },
    { time: at, status: { running: true, ready: true }, kind: "message", message: "forwarding /var/run/docker.sock" },
  ];
  assert.equal(readyMessage(events), "docker context create ...\n");
  assert.equal(readyMessage(events.slice(0, 1)), "", "no READY yet: no message");
});
