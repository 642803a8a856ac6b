import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { classifyStatus, inspectStatus } from "../../../src/store/status.js";
import { cmdlineMentions, isOurProcess } from "../../../src/store/pidfile.js";
import { instancePaths } from "../../../src/store/paths.js";

test("both alive = Running, neither = Stopped, one = Broken with the reason", () => {
  assert.deepEqual(classifyStatus({ haPidFile: 10, haAlive: true, qemuPidFile: 11, qemuAlive: true }), { status: "Running", haPid: 10, qemuPid: 11 });
  assert.deepEqual(classifyStatus({ haAlive: false, qemuAlive: false }), { status: "Stopped" });
  const stale = classifyStatus({ haPidFile: 10, haAlive: false, qemuPidFile: 11, qemuAlive: false });
  assert.equal(stale.status, "Stopped");
  assert.match(stale.reason ?? "", /stale ha\.pid and qemu\.pid/);
  const noQemu = classifyStatus({ haPidFile: 10, haAlive: true, qemuPidFile: 11, qemuAlive: false });
  assert.equal(noQemu.status, "Broken");
  assert.match(noQemu.reason ?? "", /qemu \(pid 11\) is not running/);
  const noAgent = classifyStatus({ haPidFile: 10, haAlive: false, qemuPidFile: 11, qemuAlive: true });
  assert.equal(noAgent.status, "Broken");
  assert.equal(noAgent.qemuPid, 11);
  assert.match(noAgent.reason ?? "", /host agent \(pid 10\) is not running/);
});

test("a command line belongs to the instance when it mentions the directory", () => {
  assert.ok(cmdlineMentions(["qemu-system-x86_64", "-pidfile", "/h/vm/qemu.pid"], "/h/vm"));
  assert.ok(cmdlineMentions(["node", "main.js", "/h/vm"], "/h/vm/"));
  assert.ok(!cmdlineMentions(["node", "main.js", "/h/vm2"], "/h/vm"));
  assert.ok(!cmdlineMentions(["sleep", "100"], "/h/vm"));
});

test("inspectStatus: a live pid that is not ours (recycled) does not count", async (t) => {
  const home = mkdtempSync(join(tmpdir(), "tslima-status-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const paths = instancePaths(home, "vm");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(paths.dir);
  // "ours": its argv mentions the instance dir. "foreign": a live process with an unrelated argv.
  const foreign = spawn("sleep", ["30"], { stdio: "ignore" });
  const ours = spawn("sh", ["-c", "sleep 30", paths.dir], { stdio: "ignore" });
  t.after(() => {
    foreign.kill("SIGKILL");
    ours.kill("SIGKILL");
  });
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(paths.haPid, `${ours.pid}\n`);
  writeFileSync(paths.qemuPid, `${foreign.pid}\n`);
  assert.ok(isOurProcess(ours.pid!, paths.dir));
  assert.ok(!isOurProcess(foreign.pid!, paths.dir));
  const st = inspectStatus(paths);
  assert.equal(st.status, "Broken");
  assert.equal(st.haPid, ours.pid);
  writeFileSync(paths.qemuPid, `${ours.pid}\n`);
  assert.equal(inspectStatus(paths).status, "Running");
  assert.equal(inspectStatus(instancePaths(home, "none")).status, "Stopped");
});
