import type { Arch, HostFacts, OS } from "../config/types.js";
import { TslimaError } from "../errors.js";
import { chooseAccel, probeAccelFacts } from "./accel.js";
import { processError, runProgram } from "../proc/run.js";
import { findFirmware } from "./firmware.js";
import { whichSync } from "../proc/which.js";
import { qemuArchName } from "./options.js";
import type { QemuFacts } from "./types.js";
import { parseAudioBackends } from "./audio.js";

/** What to install to get qemu-system-<arch>. Pure. */
export function qemuInstallHint(arch: Arch, os: OS): string {
  if (os === "Darwin") return "install QEMU: brew install qemu";
  const pkg = arch === "x86_64" ? "qemu-system-x86" : arch === "aarch64" || arch === "armv7l" ? "qemu-system-arm" : "qemu-system";
  return `install QEMU: apt-get install ${pkg} (Debian/Ubuntu), or your distribution's qemu package`;
}

/** "QEMU emulator version 7.2.22 (Debian ...)" -> "7.2.22". Pure. */
export function parseQemuVersion(text: string): string | undefined {
  return /QEMU emulator version (\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

/**
 * Finds qemu-system-<arch> (or the binary named by $QEMU_SYSTEM_<ARCH>, as Lima allows), its version,
 * the accelerator to use and UEFI firmware. Executor.
 */
export async function probeQemu(arch: Arch, host: HostFacts): Promise<QemuFacts> {
  const name = `qemu-system-${qemuArchName(arch)}`;
  const envName = `QEMU_SYSTEM_${qemuArchName(arch).toUpperCase()}`;
  const fromEnv = process.env[envName];
  const binary = fromEnv !== undefined && fromEnv !== "" ? fromEnv : whichSync(name);
  if (binary === undefined) {
    throw new TslimaError("QEMU_MISSING", `${name} was not found on PATH`, { hint: qemuInstallHint(arch, host.os) });
  }
  const r = await runProgram(binary, ["--version"], { timeoutMs: 20_000 });
  const version = r.code === 0 ? parseQemuVersion(r.stdout) : undefined;
  if (version === undefined) {
    throw processError("QEMU_BROKEN", `${binary} does not report its version`, r, qemuInstallHint(arch, host.os));
  }
  const choice = chooseAccel(probeAccelFacts(host.os, host.arch, arch));
  const facts: QemuFacts = { binary, version, accel: choice.accel };
  if (choice.warning !== undefined) facts.accelWarning = choice.warning;
  const firmware = findFirmware(arch, binary, host.home);
  if (firmware !== undefined) facts.firmware = firmware;
  return facts;
}

/** The audio backends this QEMU can load (`-audiodev help`); [] when it cannot tell. Executor. */
export async function probeAudioBackends(binary: string): Promise<string[]> {
  const r = await runProgram(binary, ["-audiodev", "help"], { timeoutMs: 20_000 });
  return r.code === 0 ? parseAudioBackends(r.stdout) : [];
}
