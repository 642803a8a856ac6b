import { test } from "node:test";
import assert from "node:assert/strict";
import { applyYqEdit, yqEdits, yqFormat, type YqEdit } from "../../../src/hostagent/yq-edit.js";
import { readinessSteps } from "../../../src/hostagent/readiness-plan.js";
import { mountPlan } from "../../../src/mounts/index.js";
import { testConfig } from "../support/config.js";
import { testPaths } from "../mounts/testconfig.js";

const edit = (over: Partial<YqEdit>): YqEdit => ({ index: 0, path: "/etc/x.yaml", expression: ".a = 1", format: "auto", owner: "root:root", permissions: "644", ...over });

test("yqEdits: the mode yq steps with their index and Lima's defaults", () => {
  const config = testConfig({
    provision: [
      { mode: "system", script: "#!/bin/sh" },
      { mode: "yq", path: "/etc/docker/daemon.json", expression: '.debug = true', format: "auto", owner: "root:root", permissions: "644" },
      { mode: "yq", path: "/home/u/c.yaml", expression: ".x = 2", owner: "u:u", permissions: "600" },
    ],
  });
  assert.deepEqual(yqEdits(config), [
    { index: 1, path: "/etc/docker/daemon.json", expression: ".debug = true", format: "auto", owner: "root:root", permissions: "644" },
    { index: 2, path: "/home/u/c.yaml", expression: ".x = 2", format: "auto", owner: "u:u", permissions: "600" },
  ]);
});

test("yqFormat: auto by extension (unknown is YAML, as Lima), explicit yaml/json; other yq formats refused", () => {
  assert.deepEqual(yqFormat("auto", "/etc/a.json"), { format: "json" });
  assert.deepEqual(yqFormat("auto", "/etc/a.YML"), { format: "yaml" });
  assert.deepEqual(yqFormat("auto", "/etc/noext"), { format: "yaml" });
  assert.deepEqual(yqFormat("json", "/etc/a.conf"), { format: "json" });
  assert.match((yqFormat("auto", "/etc/a.toml") as { error: string }).error, /format toml is not supported/);
  assert.match((yqFormat("xml", "/etc/a.json") as { error: string }).error, /format xml/);
});

test("applyYqEdit: edits an existing file keeping its comments, creates a new one from null", () => {
  assert.deepEqual(applyYqEdit(edit({ expression: ".b.c = \"x\"" }), "# keep me\na: 1 # one\n"), { content: "# keep me\na: 1 # one\nb:\n  c: x\n" });
  assert.deepEqual(applyYqEdit(edit({}), null), { content: "a: 1\n" });
  assert.deepEqual(applyYqEdit(edit({}), "\n"), { content: "a: 1\n" }, "an empty file is a new one");
  assert.deepEqual(applyYqEdit(edit({ path: "/etc/d.json", expression: '.features.buildkit = true' }), '{"debug": false}\n'), { content: '{\n  "debug": false,\n  "features": {\n    "buildkit": true\n  }\n}\n' });
});

test("applyYqEdit: a bad expression, a bad input or a refused operation is an error naming the step's file", () => {
  assert.match((applyYqEdit(edit({ expression: ".a = " }), null) as { error: string }).error, /on \/etc\/x\.yaml: /);
  assert.match((applyYqEdit(edit({ path: "/etc/d.json" }), "{not json") as { error: string }).error, /bad file/);
  assert.match((applyYqEdit(edit({ expression: '.a = env("HOME")' }), null) as { error: string }).error, /env/);
});

test("readiness: the yq step comes after the boot runner (ready file) and before the provisioning report", () => {
  const config = testConfig({ provision: [{ mode: "yq", path: "/etc/a.json", expression: ".a = 1", format: "auto", owner: "root:root", permissions: "644" }] });
  const kinds = readinessSteps(config, mountPlan(config, testPaths, { memoryBytes: 1 })).map((s) => s.kind);
  assert.deepEqual(kinds.slice(kinds.indexOf("ready-file"), kinds.indexOf("provision-report") + 1), ["ready-file", "host-resolver", "yq", "provision-report"]);
  const none = testConfig();
  assert.equal(readinessSteps(none, mountPlan(none, testPaths, { memoryBytes: 1 })).some((s) => s.kind === "yq"), false);
});
