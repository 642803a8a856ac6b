import { test } from "node:test";
import assert from "node:assert/strict";
import { audioPlan, defaultAudioBackend, parseAudioBackends } from "../../../src/qemu/audio.js";
import { audioFindings } from "../../../src/config/audio.js";
import { qemuArgv } from "../../../src/qemu/index.js";
import { linuxPaths, sampleConfig, samplePlan } from "./sample.js";
import { assertGolden } from "./golden.js";

const withAudio = (audio: Record<string, unknown>) => sampleConfig({ extra: { audio } });
const qemu = (audioBackends?: string[], version = "7.2.22") => ({ ...samplePlan().qemu, version, ...(audioBackends ? { audioBackends } : {}) });
const HDA = ["-device", "ich9-intel-hda", "-device", "hda-output,audiodev=snd0"];

test("golden: Linux x86_64, tcg, UEFI, audio.device alsa (Intel HDA)", () => {
  const plan = samplePlan();
  plan.qemu = { ...plan.qemu, accel: "tcg", audioBackends: ["none", "alsa", "wav"] };
  assertGolden("linux-x86_64-tcg-uefi-audio-alsa", qemuArgv(withAudio({ device: "alsa" }), linuxPaths, plan));
});

test("no sound device for an unset, empty or none audio.device (Lima's default)", () => {
  for (const audio of [{}, { device: "" }, { device: "none", interface: "virtio" }]) assert.deepEqual(audioPlan(withAudio(audio), qemu(), "Linux", linuxPaths), { args: [] });
});

test("default is Lima's backend per host OS: pa on Linux, coreaudio on macOS", () => {
  assert.equal(defaultAudioBackend("Linux"), "pa");
  assert.equal(defaultAudioBackend("Darwin"), "coreaudio");
  assert.deepEqual(audioPlan(withAudio({ device: "default" }), qemu(["none", "pa"]), "Linux", linuxPaths).args, ["-audiodev", "pa,id=snd0", ...HDA]);
});

test("a backend this QEMU lacks: no sound device and a warning naming what it has", () => {
  const p = audioPlan(withAudio({ device: "default" }), qemu(["none", "alsa", "wav"]), "Linux", linuxPaths);
  assert.deepEqual(p.args, []);
  assert.match(p.warning ?? "", /audio\.device default \(pa\): .* has no "pa" audio backend \(it has alsa, wav\); the guest gets no sound device/);
});

test("virtio-sound from QEMU 8.2, Intel HDA with a warning before; wav writes into the instance directory", () => {
  assert.deepEqual(audioPlan(withAudio({ device: "alsa", interface: "virtio" }), qemu(undefined, "8.2.0"), "Linux", linuxPaths).args, ["-audiodev", "alsa,id=snd0", "-device", "virtio-sound-pci,audiodev=snd0"]);
  const old = audioPlan(withAudio({ device: "alsa", interface: "virtio" }), qemu(undefined, "7.2.22"), "Linux", linuxPaths);
  assert.deepEqual(old.args, ["-audiodev", "alsa,id=snd0", ...HDA]);
  assert.match(old.warning ?? "", /QEMU 8\.2/);
  assert.equal(audioPlan(withAudio({ device: "wav" }), qemu(), "Linux", linuxPaths).args[1], `wav,id=snd0,path=${linuxPaths.dir}/audio.wav`);
});

test("parseAudioBackends: the names under the header, not QEMU's module complaints", () => {
  assert.deepEqual(parseAudioBackends("Available audio drivers:\nnone\nalsa\ndbus\nwav\n"), ["none", "alsa", "dbus", "wav"]);
});

test("audioFindings: Lima's interfaces only; a device that is no backend name", () => {
  assert.deepEqual(audioFindings(withAudio({ device: "pa", interface: "hda" })), []);
  assert.deepEqual(audioFindings(withAudio({ interface: "ac97" })).map((f) => f.path.join(".")), ["audio.interface"]);
  assert.deepEqual(audioFindings(withAudio({ device: "pa,id=x" })).map((f) => f.path.join(".")), ["audio.device"]);
});
