import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENTITY_SCRIPT, RESUME_SSH_TIMEOUT_MS, resumeSteps } from "../../../src/hostagent/readiness-plan.js";
import { REMOUNT_SCRIPT } from "../../../src/mounts/suspend.js";
import { sshfsAllowKey } from "../../../src/mounts/sshfs-helper.js";
import type { MountPlan, PlannedMount } from "../../../src/mounts/types.js";
import { requestOutcome } from "../../../src/instance/agent-request.js";

const mount = (mountPoint: string, kind: "9p" | "reverse-sshfs"): PlannedMount =>
  ({
    type: kind,
    expect: { mountPoint, fstype: kind === "9p" ? "9p" : "fuse.sshfs", options: [] },
    ...(kind === "9p" ? { fstab: ["tag", mountPoint, "9p", "rw", "0", "0"] } : { sshfs: { target: { location: `/host${mountPoint}`, mountPoint, options: "dir_cache=no" } } }),
  }) as unknown as PlannedMount;

test("a resume waits for ssh, sets the clock, mounts the fstab mounts again, reconnects sshfs (its helper allowing them), checks all mounts", () => {
  const plan: MountPlan = { qemuArgs: [], mounts: [mount("/mnt/a", "9p"), mount("/mnt/s", "reverse-sshfs")] };
  const steps = resumeSteps(plan, "lima-clone");
  assert.deepEqual(steps.map((s) => s.kind), ["ssh", "clock", "remount", "sshfs-helper", "reverse-sshfs", "mounts"]);
  const ssh = steps[0];
  assert.equal(ssh?.kind === "ssh" && ssh.denialIsFinal, true, "a resumed guest's refusal of the key is final");
  const helper = steps[3]!;
  assert.deepEqual(helper.kind === "sshfs-helper" ? helper.keys : [], [sshfsAllowKey({ location: "/host/mnt/s", mountPoint: "/mnt/s", options: "dir_cache=no" })]);
  const remount = steps[2]!;
  assert.ok(remount.kind === "remount" && remount.script === REMOUNT_SCRIPT);
  assert.deepEqual(remount.kind === "remount" ? remount.mountPoints : [], ["/mnt/a"]);
  assert.equal(steps[1]!.fatal, false, "a clock that cannot be set is a warning");
  const clock = steps[1]!;
  assert.ok(clock.kind === "clock" && clock.hostname === "lima-clone" && clock.script === IDENTITY_SCRIPT);
  assert.deepEqual(resumeSteps({ qemuArgs: [], mounts: [] }, "lima-x").map((s) => s.kind), ["ssh", "clock"]);
});

test("requestOutcome: saved and failed end the wait, so does the agent exiting; a suspend's events do not end a snapshot's wait", () => {
  assert.equal(requestOutcome({ time: "", status: {}, suspend: "requested" }, "suspend"), undefined);
  assert.equal(requestOutcome({ time: "", status: {}, suspend: "saved", stateBytes: 5 }, "suspend"), "saved");
  assert.equal(requestOutcome({ time: "", status: {}, suspend: "failed" }, "suspend"), "failed");
  assert.equal(requestOutcome({ time: "", status: { exiting: true } }, "suspend"), "exited");
  assert.equal(requestOutcome({ time: "", status: {}, snapshot: "saved" }, "snapshot"), "saved");
  assert.equal(requestOutcome({ time: "", status: {}, snapshot: "failed" }, "snapshot"), "failed");
  assert.equal(requestOutcome({ time: "", status: {}, suspend: "saved" }, "snapshot"), undefined);
  assert.equal(requestOutcome({ time: "", status: {}, snapshot: "saved" }, "suspend"), undefined);
});

test("a resume's ssh step gives up after RESUME_SSH_TIMEOUT_MS (its sshd runs already); a boot's waits for the start's timeout", () => {
  const ssh = resumeSteps({ qemuArgs: [], mounts: [] }, "lima-x")[0];
  assert.equal(ssh?.kind === "ssh" ? ssh.timeoutMs : undefined, RESUME_SSH_TIMEOUT_MS);
  assert.ok(RESUME_SSH_TIMEOUT_MS <= 180_000, "minutes less than a start's 10-minute timeout");
});
