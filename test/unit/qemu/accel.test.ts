import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chooseAccel, cpuinfoHasVirt, probeAccelFacts, type AccelFacts } from "../../../src/qemu/index.js";

const linux: AccelFacts = { os: "Linux", hostArch: "x86_64", guestArch: "x86_64", kvmDevice: "ok", cpuVirtFlags: true };

test("kvm when /dev/kvm opens read-write and the CPU has vmx/svm", () => {
  assert.deepEqual(chooseAccel(linux), { accel: "kvm" });
});

test("tcg with a one-line reason and cost for every way kvm can be unusable", () => {
  const cases: [AccelFacts, RegExp][] = [
    [{ ...linux, cpuVirtFlags: false }, /\/dev\/kvm is present but the CPU does not advertise vmx\/svm/],
    [{ ...linux, cpuVirtFlags: undefined }, /does not advertise vmx\/svm/],
    [{ ...linux, kvmDevice: "missing" }, /\/dev\/kvm does not exist/],
    [{ ...linux, kvmDevice: undefined }, /\/dev\/kvm does not exist/],
    [{ ...linux, kvmDevice: "no-access" }, /cannot be opened read-write.*kvm group/],
    [{ os: "Darwin", hostArch: "aarch64", guestArch: "aarch64", hvSupport: false }, /kern\.hv_support/],
    [{ os: "Windows", hostArch: "x86_64", guestArch: "x86_64" }, /Windows/],
  ];
  for (const [facts, why] of cases) {
    const c = chooseAccel(facts);
    assert.equal(c.accel, "tcg", JSON.stringify(facts));
    assert.match(c.warning ?? "", why);
    assert.match(c.warning ?? "", /5-10x slower/);
    assert.ok(!(c.warning ?? "").includes("\n"), "one line");
  }
});

test("a guest of another arch is emulated under tcg even when kvm is usable, and the warning says how much slower", () => {
  const c = chooseAccel({ ...linux, guestArch: "aarch64" });
  assert.equal(c.accel, "tcg");
  assert.match(c.warning ?? "", /guest is aarch64 but the host is x86_64: it is emulated/);
  assert.match(c.warning ?? "", /slower than a native guest/);
  assert.equal(chooseAccel({ os: "Darwin", hostArch: "aarch64", guestArch: "x86_64", hvSupport: true }).accel, "tcg");
});

test("aarch64 Linux hosts need no vmx/svm flag, only a usable /dev/kvm", () => {
  assert.equal(chooseAccel({ os: "Linux", hostArch: "aarch64", guestArch: "aarch64", kvmDevice: "ok" }).accel, "kvm");
});

test("hvf on macOS when kern.hv_support is 1", () => {
  assert.deepEqual(chooseAccel({ os: "Darwin", hostArch: "aarch64", guestArch: "aarch64", hvSupport: true }), { accel: "hvf" });
});

test("cpuinfo flag detection", () => {
  assert.equal(cpuinfoHasVirt("processor : 0\nflags\t\t: fpu vme de pse vmx sse\n"), true);
  assert.equal(cpuinfoHasVirt("flags\t\t: fpu svm lm\n"), true);
  assert.equal(cpuinfoHasVirt("flags\t\t: fpu vmxnet lm\nvmx flags : foo\n"), false);
  assert.equal(cpuinfoHasVirt("flags\t\t: fpu sse2 hypervisor\n"), false);
});

// Honest on any machine: asserts tcg only where /proc/cpuinfo lacks vmx/svm (as on the build host).
let cpuinfo = "";
try {
  cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
} catch {
  // not Linux
}
test("the real probe chooses tcg on a Linux x86_64 host whose CPU lacks vmx/svm", { skip: process.platform !== "linux" || process.arch !== "x64" || cpuinfoHasVirt(cpuinfo) ? "host has vmx/svm or is not Linux x86_64" : false }, () => {
  const facts = probeAccelFacts("Linux", "x86_64", "x86_64");
  assert.equal(facts.cpuVirtFlags, false);
  const c = chooseAccel(facts);
  assert.equal(c.accel, "tcg");
  assert.ok(c.warning);
});
