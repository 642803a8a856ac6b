import { test } from "node:test";
import assert from "node:assert/strict";
import { resumeSteps } from "../../../src/hostagent/readiness-plan.js";
import { REMOUNT_SCRIPT } from "../../../src/mounts/suspend.js";
import type { MountPlan, PlannedMount } from "../../../src/mounts/types.js";
import { suspendOutcome } from "../../../src/instance/suspend.js";

const mount = (mountPoint: string, kind: "9p" | "reverse-sshfs"): PlannedMount =>
  ({
    type: kind,
    expect: { mountPoint, fstype: kind === "9p" ? "9p" : "fuse.sshfs", options: [] },
    ...(kind === "9p" ? { fstab: ["tag", mountPoint, "9p", "rw", "0", "0"] } : { sshfs: {} }),
  }) as unknown as PlannedMount;

test("a resume waits for ssh, sets the clock, mounts the fstab mounts again, reconnects sshfs, checks all mounts", () => {
  const plan: MountPlan = { qemuArgs: [], mounts: [mount("/mnt/a", "9p"), mount("/mnt/s", "reverse-sshfs")] };
  const steps = resumeSteps(plan);
  assert.deepEqual(steps.map((s) => s.kind), ["ssh", "clock", "remount", "reverse-sshfs", "mounts"]);
  const remount = steps[2]!;
  assert.ok(remount.kind === "remount" && remount.script === REMOUNT_SCRIPT);
  assert.deepEqual(remount.kind === "remount" ? remount.mountPoints : [], ["/mnt/a"]);
  assert.equal(steps[1]!.fatal, false, "a clock that cannot be set is a warning");
  assert.deepEqual(resumeSteps({ qemuArgs: [], mounts: [] }).map((s) => s.kind), ["ssh", "clock"]);
});

test("suspendOutcome: saved and failed end the wait, so does the agent exiting", () => {
  assert.equal(suspendOutcome({ time: "", status: {}, suspend: "requested" }), undefined);
  assert.equal(suspendOutcome({ time: "", status: {}, suspend: "saved", stateBytes: 5 }), "saved");
  assert.equal(suspendOutcome({ time: "", status: {}, suspend: "failed" }), "failed");
  assert.equal(suspendOutcome({ time: "", status: { exiting: true } }), "exited");
});
