import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENTITY_SCRIPT, RESUME_SSH_TIMEOUT_MS, reidentifyStep, resumeSteps, withReidentify } from "../../../src/hostagent/readiness-plan.js";
import { REMOUNT_SCRIPT } from "../../../src/mounts/suspend.js";
import { sshfsAllowKey } from "../../../src/mounts/sshfs-helper.js";
import type { MountPlan, PlannedMount } from "../../../src/mounts/types.js";
import { REIDENTIFY_SCRIPT } from "../../../src/hostagent/reidentify.js";

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

test("the first resume of an instance made from a booted snapshot gives the guest its own identity, before its mounts; a failure fails the start", () => {
  const plan: MountPlan = { qemuArgs: [], mounts: [mount("/mnt/a", "9p")] };
  const steps = resumeSteps(plan, "lima-a", true);
  assert.deepEqual(steps.map((s) => s.kind), ["ssh", "clock", "reidentify", "remount", "mounts"]);
  const step = steps[2]!;
  assert.ok(step.kind === "reidentify" && step.script === REIDENTIFY_SCRIPT);
  assert.equal(step.fatal, true, "a guest left with the snapshot's identity is no instance of its own");
  assert.deepEqual(reidentifyStep(), step, "the same step ends a cold boot made before that resume completed");
  assert.ok(!resumeSteps(plan, "lima-a", false).some((s) => s.kind === "reidentify"), "an instance of its own: a plain resume");
});


test("a resume's ssh step gives up after RESUME_SSH_TIMEOUT_MS (its sshd runs already); a boot's waits for the start's timeout", () => {
  const ssh = resumeSteps({ qemuArgs: [], mounts: [] }, "lima-x")[0];
  assert.equal(ssh?.kind === "ssh" ? ssh.timeoutMs : undefined, RESUME_SSH_TIMEOUT_MS);
  assert.ok(RESUME_SSH_TIMEOUT_MS <= 180_000, "minutes less than a start's 10-minute timeout");
});

test("a cold boot that must still reidentify does it before the closing sync", () => {
  const sync = { kind: "sync", description: "sync", hint: "", fatal: false, script: "sync", announce: { step: "sync-disks", message: "" } } as const;
  const ssh = resumeSteps({ qemuArgs: [], mounts: [] }, "lima-x")[0]!;
  assert.deepEqual(withReidentify([ssh, sync]).map((s) => s.kind), ["ssh", "reidentify", "sync"]);
  assert.deepEqual(withReidentify([ssh]).map((s) => s.kind), ["ssh", "reidentify"]);
});
