import { TslimaError } from "../errors.js";
import type { Config, Image } from "./types.js";

/**
 * The `images[]` entries a boot may use: those for the configured arch, in their order (Lima tries
 * them one after the other). None is IMAGE_NONE_FOR_ARCH. Pure: the one place of this rule.
 */
export function imageCandidates(config: Pick<Config, "arch" | "images">): Image[] {
  const candidates = config.images.filter((i) => i.arch === config.arch);
  if (candidates.length === 0) {
    throw new TslimaError("IMAGE_NONE_FOR_ARCH", `images[] lists no image for arch ${config.arch}`, {
      hint: `add an entry with \`arch: ${config.arch}\` to images[] in lima.yaml, e.g. \`location: build:debian-12\``,
    });
  }
  return candidates;
}
