import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultStartTimeoutMs, emulationNotice, isEmulated, qemuInstallHint, runnableArches } from "../../../src/qemu/index.js";

test("a guest is emulated exactly when its arch is not the host's", () => {
  assert.equal(isEmulated("aarch64", "x86_64"), true);
  assert.equal(isEmulated("x86_64", "aarch64"), true);
  assert.equal(isEmulated("x86_64", "x86_64"), false);
  assert.equal(isEmulated("aarch64", "aarch64"), false);
});

test("runnableArches: the host's arch first, then every arch whose qemu-system binary is found", () => {
  const on = new Map([
    ["qemu-system-x86_64", "/usr/bin/qemu-system-x86_64"],
    ["qemu-system-aarch64", "/usr/bin/qemu-system-aarch64"],
    ["qemu-system-arm", "/usr/bin/qemu-system-arm"],
  ]);
  const asked: string[] = [];
  const found = runnableArches("x86_64", (b) => (asked.push(b), on.get(b)));
  assert.deepEqual(found, [
    { arch: "x86_64", binary: "/usr/bin/qemu-system-x86_64", emulated: false },
    { arch: "aarch64", binary: "/usr/bin/qemu-system-aarch64", emulated: true },
    { arch: "armv7l", binary: "/usr/bin/qemu-system-arm", emulated: true },
  ]);
  assert.ok(asked.includes("qemu-system-ppc64") && asked.includes("qemu-system-riscv64") && asked.includes("qemu-system-s390x"));
  assert.deepEqual(runnableArches("aarch64", () => undefined), []);
  assert.deepEqual(
    runnableArches("aarch64", (b) => (b === "qemu-system-aarch64" ? "/b" : undefined)),
    [{ arch: "aarch64", binary: "/b", emulated: false }],
  );
});

test("the emulation notice is one line naming both arches and the cost", () => {
  const n = emulationNotice("aarch64", "x86_64");
  assert.match(n, /aarch64.*x86_64.*emulated/);
  assert.match(n, /slower/);
  assert.ok(!n.includes("\n"));
});

test("an emulated guest gets a longer default start timeout", () => {
  assert.ok(defaultStartTimeoutMs(true) > defaultStartTimeoutMs(false));
  assert.equal(defaultStartTimeoutMs(false), 10 * 60_000);
});

test("a missing qemu-system-aarch64 names the Debian package qemu-system-arm", () => {
  assert.match(qemuInstallHint("aarch64", "Linux"), /apt-get install qemu-system-arm\b/);
  assert.match(qemuInstallHint("x86_64", "Linux"), /apt-get install qemu-system-x86\b/);
  assert.match(qemuInstallHint("aarch64", "Darwin"), /brew install qemu/);
});
