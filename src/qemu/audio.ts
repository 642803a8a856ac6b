import { audioOf, wantsAudio } from "../config/audio.js";
import type { Config } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import { qemuOptValue as optValue } from "../mounts/driver.js";
import { join } from "node:path";
import type { QemuFacts } from "./types.js";

/** Lima's audio backend for "default" per host OS. Pure. */
export function defaultAudioBackend(os: string): string {
  return os === "Darwin" ? "coreaudio" : os === "Linux" ? "pa" : "oss";
}

/** QEMU's version as numbers, for feature checks. Pure. */
const atLeast = (version: string, major: number, minor: number) => {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
};

export interface AudioPlan {
  args: string[];
  /** Why the guest gets less than asked (no such backend in this QEMU; virtio-sound before QEMU 8.2). */
  warning?: string;
}

/**
 * audio.device as Lima's QEMU driver: a backend ("default": Lima's per host OS, pa on Linux) as
 * audiodev snd0 with Intel HDA (or virtio-sound from QEMU 8.2); "wav" writes audio.wav in the
 * instance directory (QEMU's default would be its working directory). A backend this QEMU lacks
 * (`qemu.audioBackends`, probed when audio is asked for) gives no sound device and a warning. Pure.
 */
export function audioPlan(config: Config, qemu: QemuFacts, os: string, paths: InstancePaths): AudioPlan {
  if (!wantsAudio(config)) return { args: [] };
  const a = audioOf(config);
  const backend = a.device === "default" ? defaultAudioBackend(os) : a.device;
  if (qemu.audioBackends !== undefined && !qemu.audioBackends.includes(backend)) {
    const have = qemu.audioBackends.filter((b) => b !== "none");
    return {
      args: [],
      warning: `audio.device ${a.device}${backend !== a.device ? ` (${backend})` : ""}: ${qemu.binary} has no "${backend}" audio backend (it has ${have.join(", ") || "none"}); the guest gets no sound device`,
    };
  }
  const dev = backend === "wav" ? `wav,id=snd0,path=${optValue(join(paths.dir, "audio.wav"))}` : `${backend},id=snd0`;
  const hda = ["-device", "ich9-intel-hda", "-device", "hda-output,audiodev=snd0"];
  if (a.interface === "virtio") {
    if (atLeast(qemu.version, 8, 2)) return { args: ["-audiodev", dev, "-device", "virtio-sound-pci,audiodev=snd0"] };
    return { args: ["-audiodev", dev, ...hda], warning: `audio.interface virtio needs QEMU 8.2 or newer (this is ${qemu.version}): using Intel HDA` };
  }
  return { args: ["-audiodev", dev, ...hda] };
}

/** The backends in `qemu-system-* -audiodev help`'s output (modules QEMU cannot load are not listed). Pure. */
export function parseAudioBackends(stdout: string): string[] {
  const lines = stdout.split("\n").map((l) => l.trim());
  const at = lines.findIndex((l) => /^Available audio drivers:?$/i.test(l));
  return lines.slice(at + 1).filter((l) => /^[a-z][a-z0-9]*$/.test(l));
}
