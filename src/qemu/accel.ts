import { constants, openSync, closeSync, readFileSync } from "node:fs";
import { runProgramSync } from "../proc/run.js";
import type { Arch, OS } from "../config/types.js";
import type { Accel } from "./types.js";
import { emulationNotice } from "./emulation.js";

/** What the accelerator decision depends on, gathered by probeAccelFacts(). */
export interface AccelFacts {
  os: OS;
  hostArch: Arch;
  guestArch: Arch;
  /** Linux: /dev/kvm state. */
  kvmDevice?: "missing" | "no-access" | "ok";
  /** Linux x86_64: whether /proc/cpuinfo lists vmx or svm (undefined when it could not be read). */
  cpuVirtFlags?: boolean;
  /** macOS: sysctl kern.hv_support == 1. */
  hvSupport?: boolean;
}

export interface AccelChoice {
  accel: Accel;
  /** One line: why there is no hardware acceleration and what that costs. */
  warning?: string;
}

const COST = "boot and guest CPU are roughly 5-10x slower under TCG emulation";

function tcg(reason: string): AccelChoice {
  return { accel: "tcg", warning: `using TCG (no hardware acceleration): ${reason}; ${COST}` };
}

/** The accelerator to use, from probed facts. Pure. */
export function chooseAccel(f: AccelFacts): AccelChoice {
  if (f.hostArch !== f.guestArch) {
    return { accel: "tcg", warning: emulationNotice(f.guestArch, f.hostArch) };
  }
  if (f.os === "Darwin") {
    if (f.hvSupport === true) return { accel: "hvf" };
    return tcg("Hypervisor.framework is not available (sysctl kern.hv_support is not 1)");
  }
  if (f.os !== "Linux") return tcg(`no accelerator is supported on ${f.os}`);
  switch (f.kvmDevice) {
    case undefined:
    case "missing":
      return tcg("/dev/kvm does not exist (KVM module not loaded, or no virtualization in this VM?)");
    case "no-access":
      return tcg("/dev/kvm cannot be opened read-write (add the user to the kvm group)");
    case "ok":
      break;
  }
  if (f.hostArch === "x86_64" && f.cpuVirtFlags !== true) {
    return tcg("/dev/kvm is present but the CPU does not advertise vmx/svm (nested virtualization off?)");
  }
  return { accel: "kvm" };
}

/** Whether /proc/cpuinfo text lists the vmx (Intel) or svm (AMD) flag. */
export function cpuinfoHasVirt(cpuinfo: string): boolean {
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
}

function kvmDeviceState(): "missing" | "no-access" | "ok" {
  try {
    const fd = openSync("/dev/kvm", constants.O_RDWR);
    closeSync(fd);
    return "ok";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "no-access";
  }
}

/** Reads the facts chooseAccel() needs. Executor: opens /dev/kvm, reads /proc/cpuinfo, runs sysctl. */
export function probeAccelFacts(os: OS, hostArch: Arch, guestArch: Arch): AccelFacts {
  const facts: AccelFacts = { os, hostArch, guestArch };
  if (os === "Linux") {
    facts.kvmDevice = kvmDeviceState();
    try {
      facts.cpuVirtFlags = cpuinfoHasVirt(readFileSync("/proc/cpuinfo", "utf8"));
    } catch {
      // left undefined
    }
  } else if (os === "Darwin") {
    const r = runProgramSync("sysctl", ["-n", "kern.hv_support"], { timeoutMs: 5000 });
    facts.hvSupport = r.code === 0 && r.stdout.trim() === "1";
  }
  return facts;
}
