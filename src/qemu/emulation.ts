import type { Arch } from "../config/types.js";
import { qemuArchName } from "./options.js";
import { ARCHES } from "../config/validate.js";

/**
 * Guests of another CPU architecture than the host's. QEMU runs them with TCG translating every guest
 * instruction (no accelerator can run foreign code), so they are much slower than a native guest.
 * Everything here is pure.
 */

/** Whether a `guest` guest on a `host` machine is emulated (instruction translation, not virtualization). */
export function isEmulated(guest: Arch, host: Arch): boolean {
  return guest !== host;
}

/**
 * How much slower an emulated guest is. Every instruction is translated, as for any guest under TCG:
 * the cost is that of TCG against hardware virtualization (the 5-10x of accel.ts), not more than a
 * native guest under TCG. Measured on this project's x86_64 test host (no KVM, loaded, 1 vCPU; kernel
 * boot to its root mount): the arm64 kernel on cortex-a76 7-17 s, the amd64 kernel on `max` 30 s.
 */
export const EMULATION_COST = "roughly 5-10x slower than a native guest under KVM/HVF (about as fast as a native guest under TCG)";

/** Pure: the one line `start` prints for an emulated guest. */
export function emulationNotice(guest: Arch, host: Arch): string {
  return `the guest is ${guest} but the host is ${host}: it is emulated (TCG, multi-threaded), ${EMULATION_COST}`;
}

/** How long `start` waits for a guest to be ready unless told: a native guest 10 minutes, an emulated one 30. */
export function defaultStartTimeoutMs(emulated: boolean): number {
  return (emulated ? 30 : 10) * 60_000;
}

/** One architecture this host can run: the qemu-system binary found for it, and whether it is emulated. */
export interface RunnableArch {
  arch: Arch;
  binary: string;
  emulated: boolean;
}

/** The architectures whose qemu-system-* binary `find` locates (by name on PATH), native first. */
export function runnableArches(host: Arch, find: (binary: string) => string | undefined): RunnableArch[] {
  const out: RunnableArch[] = [];
  for (const arch of [host, ...(ARCHES as Arch[]).filter((a) => a !== host)]) {
    const binary = find(`qemu-system-${qemuArchName(arch)}`);
    if (binary !== undefined) out.push({ arch, binary, emulated: isEmulated(arch, host) });
  }
  return out;
}
