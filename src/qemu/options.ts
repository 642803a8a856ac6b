import { createHash } from "node:crypto";
import { TslimaError } from "../errors.js";
import type { Arch, Config } from "../config/types.js";
import { parseSize } from "../config/sizes.js";
import type { Accel } from "./types.js";

/** `-m` value: whole MiB, at least 64. */
export function memoryMiB(memory: string): number {
  const mib = Math.floor(parseSize(memory, "memory") / 1024 ** 2);
  if (mib < 64) {
    throw new TslimaError("CONFIG_MEMORY", `memory: ${memory} is less than the 64MiB a Linux guest needs`, {
      hint: 'set memory to at least "512MiB" in lima.yaml or with --memory',
    });
  }
  return mib;
}

/**
 * A locally administered unicast MAC, stable for an instance name: Lima's 52:55:55 prefix followed by
 * the first three bytes of sha256(name).
 */
export function macAddress(instanceName: string): string {
  const h = createHash("sha256").update(instanceName).digest();
  const tail = [h[0], h[1], h[2]].map((b) => (b ?? 0).toString(16).padStart(2, "0"));
  return ["52", "55", "55", ...tail].join(":");
}

/** The MAC of lima.yaml's `networks[index]` when it sets none: stable for the instance's name (Lima's "#INDEX" suffix). */
export function networkMac(instanceName: string, index: number): string {
  return macAddress(`${instanceName}#${index}`);
}

function stringMap(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The CPU model: `vmOpts.qemu.cpuType.<arch>` (Lima 2) or the older top-level `cpuType.<arch>` when the
 * config sets one, else `host` under kvm/hvf and `max` (every feature TCG can emulate) under tcg,
 * except for an aarch64 guest under tcg: `cortex-a76` (ARMv8.2, LSE atomics). Measured here (kernel
 * boot to its root mount, 1 vCPU, loaded 2-core x86_64 host): `max` 75 s (its architected QARMA
 * pointer authentication is costly to emulate), `max,pauth-impdef=on` 23-45 s, cortex-a72 15-21 s,
 * cortex-a76 17 s.
 */
export function cpuModel(config: Pick<Config, "arch" | "extra">, accel: Accel): string {
  const fromVmOpts = stringMap(stringMap(stringMap(config.extra.vmOpts)?.qemu)?.cpuType)?.[config.arch];
  const fromTop = stringMap(config.extra.cpuType)?.[config.arch];
  for (const v of [fromVmOpts, fromTop]) {
    if (typeof v === "string" && v.trim() !== "") return v.trim();
  }
  if (accel !== "tcg") return "host";
  return config.arch === "aarch64" ? "cortex-a76" : "max";
}

/** QEMU's name for a guest architecture (qemu-system-<name>). */
export function qemuArchName(arch: Arch): string {
  switch (arch) {
    case "armv7l":
      return "arm";
    case "ppc64le":
      return "ppc64";
    default:
      return arch;
  }
}

/** Unix socket paths are limited to 107 bytes (sun_path); QEMU refuses longer ones. */
export const UNIX_PATH_MAX = 107;

export function checkSocketPath(path: string, what: string): void {
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
    throw new TslimaError(
      "SOCKET_PATH_TOO_LONG",
      `${what} ${path} is ${Buffer.byteLength(path)} bytes long; unix sockets allow at most ${UNIX_PATH_MAX}`,
      { hint: "set TSLIMA_HOME to a shorter directory, or use a shorter instance name" },
    );
  }
}
