/**
 * audio.device: wav (a backend every QEMU build has, writing audio.wav in the instance directory):
 * the guest sees Lima's sound device, an Intel HDA controller with an output codec.
 */
import assert from "node:assert/strict";
import type { FieldFragment } from "./fragment.js";

export const fragment: FieldFragment = {
  title: "audio.device wav (Intel HDA in the guest)",
  yaml: () => "audio:\n  device: wav\n",
  async check(ctx) {
    assert.match(await ctx.sh("cat /proc/asound/cards"), /HDA-Intel|HDA Intel/);
  },
};
