import type { Config } from "./types.js";
import type { Finding } from "./validate-common.js";
import { oneOf } from "./validate-common.js";

/** Lima's audio.interface values for QEMU ("" = hda). */
export const AUDIO_INTERFACES = ["", "hda", "virtio"];

/** audio.device and audio.interface as the config has them ("" when unset). Pure. */
export function audioOf(config: Config): { device: string; interface: string } {
  const a = (config.extra.audio ?? {}) as { device?: unknown; interface?: unknown };
  return { device: typeof a.device === "string" ? a.device : "", interface: typeof a.interface === "string" ? a.interface : "" };
}

/** Whether the guest gets a sound device: audio.device set to a backend (Lima: "" and "none" give none). Pure. */
export const wantsAudio = (config: Config): boolean => !["", "none"].includes(audioOf(config).device);

/** Lima's checks: audio.interface one of its values; a device name QEMU can take as an option value. Pure. */
export function audioFindings(config: Config): Finding[] {
  const a = audioOf(config);
  const out: Finding[] = [];
  if (!AUDIO_INTERFACES.includes(a.interface)) out.push({ path: ["audio", "interface"], message: `unknown audio.interface "${a.interface}": must be one of ${oneOf(AUDIO_INTERFACES.filter((x) => x !== ""))}` });
  if (a.device !== "" && !/^[a-z][a-z0-9]*$/.test(a.device)) out.push({ path: ["audio", "device"], message: `"${a.device}" is not a QEMU audio backend name (e.g. "default", "pa", "alsa", "none")` });
  return out;
}
