import { test } from "node:test";
import assert from "node:assert/strict";
import { qemuArgv, hardwareArgv } from "../../../src/qemu/index.js";
import { displayArgs, swtpmArgs, tpmArgs } from "../../../src/qemu/devices.js";
import { isTslimaError } from "../../../src/errors.js";
import { linuxPaths, sampleConfig, samplePlan } from "./sample.js";
import { assertGolden } from "./golden.js";

const vncTpm = (arch: "x86_64" | "aarch64" = "x86_64") =>
  sampleConfig({ arch, extra: { video: { display: "vnc", vnc: { display: "127.0.0.1:0,to=9" } }, tpm: true } });

test("golden: Linux x86_64, tcg, UEFI, VNC display and TPM", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, accel: "tcg" };
  assertGolden("linux-x86_64-tcg-uefi-vnc-tpm", qemuArgv(vncTpm(), linuxPaths, plan));
});

test("golden: emulated aarch64, tcg, UEFI, VNC display and TPM", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, binary: "/usr/bin/qemu-system-aarch64", accel: "tcg", firmware: { code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd" } };
  assertGolden("linux-x86_64-host-aarch64-tcg-uefi-vnc-tpm", qemuArgv(vncTpm("aarch64"), linuxPaths, plan));
});

test("no display (none, unset, Lima's default, a window toolkit): headless as before, no GPU", () => {
  for (const display of [undefined, "none", "", "default", "gtk", "sdl"]) {
    const args = displayArgs(sampleConfig({ extra: display === undefined ? {} : { video: { display } } }));
    assert.deepEqual(args, ["-display", "none", "-vga", "none"], String(display));
  }
});

test("vnc: loopback server with a password, a GPU per arch, keyboard and tablet", () => {
  const x86 = displayArgs(vncTpm());
  assert.deepEqual(x86.slice(0, 2), ["-display", "vnc=127.0.0.1:0,to=9,password=on"]);
  assert.ok(x86.includes("virtio-vga") && x86.includes("virtio-tablet-pci") && x86.includes("virtio-keyboard-pci"));
  assert.ok(displayArgs(vncTpm("aarch64")).includes("virtio-gpu-pci"));
  const unset = displayArgs(sampleConfig({ extra: { video: { display: "vnc" } } }));
  assert.equal(unset[1], "vnc=127.0.0.1:0,to=9,password=on", "Lima's default display");
});

test("vnc: a non-loopback address is rewritten to 127.0.0.1, other options dropped, password kept on", () => {
  const args = displayArgs(sampleConfig({ extra: { video: { display: "vnc", vnc: { display: "0.0.0.0:3,websocket=5700,password=off" } } } }));
  assert.equal(args[1], "vnc=127.0.0.1:3,password=on");
  const v6 = displayArgs(sampleConfig({ extra: { video: { display: "vnc", vnc: { display: "[::1]:2,to=4" } } } }));
  assert.equal(v6[1], "vnc=[::1]:2,to=4,password=on");
});

test("vnc: an unreadable display (unix socket, none) is a TslimaError naming video.vnc.display", () => {
  for (const display of ["unix:/tmp/vnc", "none", "127.0.0.1"]) {
    assert.throws(
      () => displayArgs(sampleConfig({ extra: { video: { display: "vnc", vnc: { display } } } })),
      (e: unknown) => isTslimaError(e) && /video\.vnc\.display/.test(e.message) && /video\.vnc\.display/.test(e.hint ?? ""),
    );
  }
});

test("tpm: swtpm's socket in the instance dir, tpm-crb on x86_64 and tpm-tis-device on aarch64; none without tpm: true", () => {
  assert.deepEqual(tpmArgs(vncTpm(), linuxPaths), [
    "-chardev", `socket,id=chrtpm,path=${linuxPaths.dir}/swtpm.sock`,
    "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
    "-device", "tpm-crb,tpmdev=tpm0",
  ]);
  assert.equal(tpmArgs(vncTpm("aarch64"), linuxPaths).at(-1), "tpm-tis-device,tpmdev=tpm0");
  assert.deepEqual(tpmArgs(sampleConfig({ extra: { tpm: false } }), linuxPaths), []);
  assert.deepEqual(swtpmArgs(linuxPaths), [
    "socket", "--tpmstate", `dir=${linuxPaths.dir}/swtpm`, "--ctrl", `type=unixio,path=${linuxPaths.dir}/swtpm.sock`, "--tpm2", "--terminate", "--log", "level=1",
  ]);
});

test("hardwareArgv: the swtpm socket of another instance's directory compares equal", () => {
  const argv = qemuArgv(vncTpm(), linuxPaths, samplePlan());
  const hw = hardwareArgv(argv, { dir: linuxPaths.dir, name: linuxPaths.name });
  assert.ok(hw.includes("socket,id=chrtpm,path=INSTANCE_DIR/swtpm.sock"));
});
