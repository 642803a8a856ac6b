import { test } from "node:test";
import assert from "node:assert/strict";
import { StartDeadline } from "../../../src/instance/start-deadline.js";
import type { AgentEvent, Step } from "../../../src/store/events.js";

const step = (s: Step): AgentEvent => ({ time: "", status: {}, kind: "step", step: s, message: s });

test("the start's timeout does not count the image's resolution (a download or a build at start)", () => {
  const d = new StartDeadline(600_000, 0);
  d.see(step("ssh-config"), 1_000);
  d.see(step("resolve-image"), 2_000);
  assert.equal(d.expired(2_000 + 3_600_000), false, "an hour-long build does not time out the start");
  d.see(step("prepare-disk"), 2_000 + 700_000); // a 700 s build
  assert.equal(d.expired(2_000 + 700_000 + 597_999), false);
  assert.equal(d.expired(2_000 + 700_000 + 598_000), true, "the rest counts: 2 s before and 598 s after make 600 s");
});

test("without an image to resolve (an existing disk), the timeout counts from the launch", () => {
  const d = new StartDeadline(10_000, 0);
  d.see(step("prepare-disk"), 100);
  d.see({ time: "", status: {}, kind: "warning", warning: "w" }, 200);
  assert.equal(d.expired(9_999), false);
  assert.equal(d.expired(10_000), true);
});
