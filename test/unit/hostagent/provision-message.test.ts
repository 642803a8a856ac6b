import { test } from "node:test";
import assert from "node:assert/strict";
import { describeProvisionFailures } from "../../../src/hostagent/guest.js";
import { instanceMessage } from "../../../src/cli/start.js";
import { fillDefaults } from "../../../src/config/index.js";
import { linuxHost } from "../config/support.js";

test("provisioning failures from the guest runner's JSON lines", () => {
  const log = '{"mode":"system","index":1,"exit":100,"what":"system script 1"}\n\n{"mode":"data","index":0,"exit":1,"what":"write /etc/x"}\nnot json\n{"mode":"containerd","index":0,"exit":5,"what":"install containerd (containerd.user): see the guest journal"}\n';
  assert.deepEqual(describeProvisionFailures(log), [
    "provision[1] (system) failed with exit code 100: system script 1",
    "provision[0] (data) failed with exit code 1: write /etc/x",
    "not json",
    "containerd failed with exit code 5: install containerd (containerd.user): see the guest journal",
  ]);
  assert.deepEqual(describeProvisionFailures(""), []);
});

test("message: filled with the instance's host-side template variables, shown with a header", () => {
  const { config } = fillDefaults({ images: [{ location: "build:debian-12" }], message: 'host=unix://{{.Dir}}/sock/docker.sock ctx=tslima-{{.Name}}\n' }, linuxHost, "dev", { instanceDir: "/h/.tslima/dev" });
  assert.equal(config.message, "host=unix:///h/.tslima/dev/sock/docker.sock ctx=tslima-dev\n");
  assert.equal(instanceMessage("dev", () => config.message), 'Message from the instance "dev":\nhost=unix:///h/.tslima/dev/sock/docker.sock ctx=tslima-dev\n');
  assert.equal(instanceMessage("dev", () => ""), "");
  assert.equal(instanceMessage("dev", () => { throw new Error("no lima.yaml"); }), "");
});
