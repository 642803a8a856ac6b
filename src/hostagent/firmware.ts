import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Config } from "../config/types.js";
import { fetchFile } from "../images/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";

/** Lima's name of the instance's copy of a firmware.images entry. */
export const USER_FIRMWARE = "qemu-efi-code.fd";

/**
 * firmware.images as Lima's QEMU driver: the instance's `qemu-efi-code.fd` when it has one (made by
 * an earlier start: kept, as Lima), else the first entry of the config's arch for vmType qemu (or
 * unset) that can be had (a local path or a cached, digest-checked download; `.gz` is
 * uncompressed), copied in 0600. An entry that fails is a warning and the next is tried; undefined
 * when none is asked for or none could be had (QEMU's own firmware is used). Executor.
 */
export async function userFirmware(config: Config, paths: InstancePaths, home: string, warn: (m: string) => void): Promise<string | undefined> {
  const images = (config.firmware.images ?? []).filter((f) => f.arch === config.arch && (f.vmType === undefined || f.vmType === "qemu"));
  if (images.length === 0) return undefined;
  const target = join(paths.dir, USER_FIRMWARE);
  if (existsSync(target)) return target;
  for (const f of images) {
    try {
      const file = await fetchFile(f.location, f.digest, { tslimaHome: home });
      const data = readFileSync(file);
      writeFileAtomic(target, /\.gz$/i.test(f.location) ? gunzipSync(data) : data, 0o600);
      return target;
    } catch (e) {
      warn(`firmware.images: ${f.location}: ${(e as Error).message}; trying the next (else QEMU's own firmware)`);
    }
  }
  return undefined;
}
