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
 * How much slower an emulated guest is, as measured on an x86_64 host running an aarch64 Debian guest
 * (scripts/bench/arch): its cold start to READY against an x86_64 guest's under TCG on the same machine.
 */
export const EMULATION_COST = "roughly 2-3x slower than a native guest under TCG, 20x or more than under KVM/HVF";

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
