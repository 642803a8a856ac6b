import { formatSize, trySize } from "./sizes.js";
import type { Config, HostFacts } from "./types.js";
import type { Finding } from "./validate-common.js";

/**
 * cpus, memory and disk: well-formed, and within what the host can give (from the host facts passed
 * in, so a wrong value is a clear message at validation rather than a QEMU failure at start).
 * - memory beyond the host's total RAM can never be backed: an error;
 * - more vCPUs than host CPUs work (they share the CPUs) but only slow the guest down: a warning;
 * - a disk set larger than the free space: the image is sparse and grows as the guest writes, so a
 *   warning (not for the default size, which Lima and tslima use on small disks too).
 */
export function validateResources(config: Config, raw: Record<string, unknown>, host: HostFacts, out: Finding[]): void {
  const err = (path: string, message: string) => out.push({ path: [path], message });
  const warn = (path: string, message: string) => out.push({ path: [path], message, warning: true });
  if (!Number.isInteger(config.cpus) || config.cpus <= 0) err("cpus", `must be a positive integer, got ${config.cpus}`);
  else if (config.cpus > host.cpus) warn("cpus", `${config.cpus} is more than the host's ${host.cpus} CPUs; the guest's CPUs will share them`);
  for (const key of ["memory", "disk"] as const) {
    const n = trySize(config[key]);
    if (n === undefined) err(key, `must be a size such as "4GiB", "512MiB" or "100G", got "${config[key]}"`);
    else if (n === 0) err(key, "must be larger than 0");
    else if (key === "memory" && n > host.memoryBytes) {
      err(key, `"${config[key]}" is more than the host's memory (${formatSize(host.memoryBytes)}); give the guest at most ${formatSize(Math.floor(host.memoryBytes / 2))} (half, as the default does)`);
    } else if (key === "disk" && raw.disk !== undefined && raw.disk !== null && host.diskFreeBytes !== undefined && n > host.diskFreeBytes) {
      warn(key, `"${config[key]}" is more than the ${formatSize(host.diskFreeBytes)} free for instances; the disk image grows as the guest writes and the guest will fail to write once the host's disk is full`);
    }
  }
}
