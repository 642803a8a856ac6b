import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { CONTAINERD_SH_PATH, containerdPlan } from "../../../src/cidata/containerd.js";
import { cidataFiles } from "../../../src/cidata/files.js";
import { provisionPlan } from "../../../src/cidata/provision.js";
import { DEFAULT_CONTAINERD_ARCHIVES } from "../../../src/config/containerd.js";
import { testConfig } from "../mounts/testconfig.js";
import { sampleContext } from "./sample.js";

const archive = { path: "/cache/by-url-sha256/ab/data", digest: `sha256:${"1".repeat(64)}` };
const containerd = (system: boolean, user: boolean) => ({ system, user, archives: [...DEFAULT_CONTAINERD_ARCHIVES] });

test("nothing when containerd is not asked for, or no archive could be had", () => {
  const empty = { files: [], lines: [], cidata: {} };
  assert.deepEqual(containerdPlan(testConfig({ containerd: containerd(false, false) }), archive), empty);
  assert.deepEqual(containerdPlan(testConfig({ containerd: containerd(true, false) }), undefined), empty);
});

test("system mode: the installer, its runner line with the archive's digest, nerdctl-full.tgz on the cidata", () => {
  const p = containerdPlan(testConfig({ containerd: containerd(true, false) }), archive);
  assert.deepEqual(p.cidata, { "nerdctl-full.tgz": archive.path });
  assert.deepEqual(p.files.map((f) => [f.path, f.permissions]), [[CONTAINERD_SH_PATH, "0755"]]);
  assert.match(p.files[0]?.content ?? "", /^ARCHIVE=nerdctl-full\.tgz$/m);
  assert.equal(p.lines.length, 1);
  assert.match(p.lines[0] ?? "", new RegExp(`^${CONTAINERD_SH_PATH} 1 0 '${archive.digest}' 'alice' '/home/alice\\.linux' 1001 \\|\\| failure containerd 0 \\$\\? 'install containerd \\(containerd\\.system\\): see the guest journal'$`));
  // the line is valid sh, and the installer parses
  execFileSync("sh", ["-n", "-c", p.lines.join("\n")]);
  execFileSync("sh", ["-n", "-c", p.files[0]?.content ?? ""]);
});

test("user-data: the installer is written and runs before the provisioning scripts; the cidata changes with the archive", () => {
  const ctx = sampleContext();
  const config = testConfig({ containerd: containerd(true, true), provision: [{ mode: "system", script: "#!/bin/sh\ntrue\n" }] });
  const sample = (a: typeof archive | undefined) => cidataFiles(config, { ...ctx, ...(a ? { containerdArchive: a } : {}) });
  const user = sample(archive)["user-data"] ?? "";
  assert.ok(user.includes(`path: ${CONTAINERD_SH_PATH}`));
  const plan = provisionPlan(config, ctx.mounts, "192.168.5.2", containerdPlan(config, archive).lines).planSh;
  assert.ok(user.includes(plan.split("\n").find((l) => l.includes("containerd.sh")) ?? "none"));
  assert.ok(plan.indexOf("containerd.sh 1 1") >= 0 && plan.indexOf("containerd.sh 1 1") < plan.indexOf("script system 0"), plan);
  assert.notEqual(sample({ ...archive, digest: `sha256:${"2".repeat(64)}` })["user-data"], user, "another archive: another cidata (a full boot installs it)");
  assert.ok(!(sample(undefined)["user-data"] ?? "").includes("containerd.sh"));
});
