/**
 * audio.device: wav (a backend every QEMU build has, writing audio.wav in the instance directory):
 * the guest has Lima's sound device, an ICH9 Intel HDA controller on its PCI bus (the test image
 * leaves out the kernel's sound drivers, so the check is the device, not ALSA).
 */
import assert from "node:assert/strict";
import type { FieldFragment } from "./fragment.js";

export const fragment: FieldFragment = {
  title: "audio.device wav (an Intel HDA controller in the guest)",
  yaml: () => "audio:\n  device: wav\n",
  async check(ctx) {
    const devices = await ctx.sh('for d in /sys/bus/pci/devices/*; do echo "$(cat $d/vendor):$(cat $d/device):$(cat $d/class)"; done');
    assert.match(devices, /^0x8086:0x293e:0x0403/m, devices);
  },
};
