import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSY_SCRIPT, describeBusy, parseBusy, parseUnmount, asRoot, unsuspendableMounts, UNMOUNT_SCRIPT, REMOUNT_SCRIPT } from "../../../src/mounts/suspend.js";
import type { PlannedMount } from "../../../src/mounts/types.js";

test("parseBusy: one holder per process and mount point, ways joined; junk lines ignored", () => {
  const out = ["812\t/mnt/x\tworking directory\tsleep 600 ", "812\t/mnt/x\topen file\tsleep 600 ", "812\t/mnt/x\topen file\tsleep 600 ", "90\t/mnt/y z\tmapped file\tpython3 -m http.server", "garbage", ""].join("\n");
  const holders = parseBusy(out);
  assert.deepEqual(holders, [
    { pid: 812, mountPoint: "/mnt/x", how: "working directory, open file", command: "sleep 600" },
    { pid: 90, mountPoint: "/mnt/y z", how: "mapped file", command: "python3 -m http.server" },
  ]);
  assert.equal(describeBusy(holders), "pid 812 (sleep 600) holds /mnt/x (working directory, open file); pid 90 (python3 -m http.server) holds /mnt/y z (mapped file)");
});

test("parseUnmount: the unmounted ones, and the first failure", () => {
  assert.deepEqual(parseUnmount("unmounted\t/a\nunmounted\t/b c\n"), { unmounted: ["/a", "/b c"] });
  assert.deepEqual(parseUnmount("unmounted\t/a\nfailed\t/b\tumount: /b: target is busy. \n"), { unmounted: ["/a"], failed: { mountPoint: "/b", message: "umount: /b: target is busy." } });
});

test("virtiofs is the mount type a saved state cannot have", () => {
  const m = (type: PlannedMount["type"]) => ({ type }) as PlannedMount;
  assert.deepEqual(unsuspendableMounts([m("9p"), m("virtiofs"), m("reverse-sshfs")]).map((x) => x.type), ["virtiofs"]);
});

test("asRoot passes the mount points as arguments, never inside the script", () => {
  assert.deepEqual(asRoot(REMOUNT_SCRIPT, "tslima-remount", ["/mnt/a b", "/x'y"]), ["sudo", "-n", "sh", "-c", REMOUNT_SCRIPT, "tslima-remount", "/mnt/a b", "/x'y"]);
});

test("the guest scripts are valid sh; BUSY_SCRIPT finds a process whose cwd is under a directory (here, on the host)", { skip: process.platform !== "linux" }, async () => {
  for (const s of [BUSY_SCRIPT, UNMOUNT_SCRIPT, REMOUNT_SCRIPT]) assert.equal(spawnSync("sh", ["-n", "-c", s]).status, 0);
  const dir = mkdtempSync(join(tmpdir(), "tslima-busy [x]-"));
  mkdirSync(join(dir, "sub"));
  const { spawn } = await import("node:child_process");
  const child = spawn("sleep", ["30"], { cwd: join(dir, "sub"), stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 200));
    const r = spawnSync("sh", ["-c", BUSY_SCRIPT, "tslima-busy", dir], { encoding: "utf8" });
    const holders = parseBusy(r.stdout).filter((h) => h.pid === child.pid);
    assert.equal(holders.length, 1, r.stdout + r.stderr);
    assert.match(holders[0]!.how, /working directory/);
    assert.match(holders[0]!.command, /^sleep 30/);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
