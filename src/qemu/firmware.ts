import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFileAtomic } from "../store/atomic.js";
import { dirname, join } from "node:path";
import type { Arch } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import { TslimaError } from "../errors.js";
import type { Firmware } from "./types.js";

/** One QEMU firmware descriptor file (docs/interop/firmware.json), as read from disk. */
export interface FirmwareDescriptor {
  /** File name; descriptors are ranked by it ("50-..." before "60-..."). */
  name: string;
  json: unknown;
}

interface DescriptorShape {
  "interface-types"?: unknown;
  mapping?: { device?: unknown; mode?: unknown; executable?: { filename?: unknown; format?: unknown }; "nvram-template"?: { filename?: unknown; format?: unknown } };
  targets?: { architecture?: unknown; machines?: unknown }[];
  features?: unknown;
}

/** Features that need set-up tslima does not do (SMM, enrolled Secure Boot keys, confidential VMs). */
const UNWANTED_FEATURES = ["requires-smm", "secure-boot", "enrolled-keys", "amd-sev-es", "amd-sev-snp", "intel-tdx"];

function machineGlobMatches(glob: string, machine: string): boolean {
  const re = new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(machine);
}

/** The machine name a descriptor has to list for tslima's machine type of that arch. */
function machineFor(arch: Arch): string {
  return arch === "aarch64" ? "virt-7.2" : "pc-q35-7.2";
}

/**
 * The first usable plain-UEFI flash firmware among the descriptors, by file name order. Pure:
 * `exists` says whether a file is there.
 */
export function selectFirmware(descriptors: FirmwareDescriptor[], arch: Arch, exists: (path: string) => boolean): Firmware | undefined {
  const sorted = [...descriptors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of sorted) {
    if (typeof d.json !== "object" || d.json === null) continue;
    const j = d.json as DescriptorShape;
    const types = Array.isArray(j["interface-types"]) ? j["interface-types"] : [];
    if (!types.includes("uefi")) continue;
    const m = j.mapping;
    if (m?.device !== "flash" || (m.mode !== undefined && m.mode !== "split")) continue;
    const code = m.executable?.filename;
    const vars = m["nvram-template"]?.filename;
    if (typeof code !== "string" || typeof vars !== "string") continue;
    if ((m.executable?.format ?? "raw") !== "raw" || (m["nvram-template"]?.format ?? "raw") !== "raw") continue;
    const features = Array.isArray(j.features) ? j.features : [];
    if (features.some((f) => UNWANTED_FEATURES.includes(String(f)))) continue;
    const targetOk = (j.targets ?? []).some(
      (t) =>
        t.architecture === arch &&
        Array.isArray(t.machines) &&
        t.machines.some((g) => typeof g === "string" && machineGlobMatches(g, machineFor(arch))),
    );
    if (!targetOk) continue;
    if (exists(code) && exists(vars)) return { code, vars };
  }
  return undefined;
}

/** Well-known firmware file pairs, tried when no descriptor matches. `shareDirs` are QEMU data dirs. */
export function knownFirmwarePairs(arch: Arch, shareDirs: string[]): Firmware[] {
  const brew = shareDirs.flatMap((d) =>
    arch === "aarch64"
      ? [{ code: join(d, "edk2-aarch64-code.fd"), vars: join(d, "edk2-arm-vars.fd") }]
      : [{ code: join(d, "edk2-x86_64-code.fd"), vars: join(d, "edk2-i386-vars.fd") }],
  );
  const debian =
    arch === "aarch64"
      ? [{ code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd" }]
      : [
          { code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd" },
          { code: "/usr/share/OVMF/OVMF_CODE.fd", vars: "/usr/share/OVMF/OVMF_VARS.fd" },
          { code: "/usr/share/edk2/ovmf/OVMF_CODE.fd", vars: "/usr/share/edk2/ovmf/OVMF_VARS.fd" },
        ];
  return [...debian, ...brew];
}

/** QEMU data directories for a binary: <prefix>/share/qemu next to it, then the system's. */
export function qemuShareDirs(binary: string): string[] {
  const dirs = [join(dirname(dirname(binary)), "share", "qemu"), "/usr/share/qemu", "/usr/local/share/qemu", "/opt/homebrew/share/qemu"];
  return [...new Set(dirs)];
}

function readDescriptors(dirs: string[]): FirmwareDescriptor[] {
  const seen = new Map<string, FirmwareDescriptor>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith(".json"));
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue; // an earlier directory overrides a later one of the same name
      try {
        seen.set(name, { name, json: JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown });
      } catch {
        // unreadable or invalid descriptor: skipped
      }
    }
  }
  return [...seen.values()];
}

/** Finds UEFI firmware for `arch`: QEMU's firmware descriptors first, then well-known paths. Executor. */
export function findFirmware(arch: Arch, binary: string, home: string): Firmware | undefined {
  const share = qemuShareDirs(binary);
  const descriptorDirs = [join(home, ".config", "qemu", "firmware"), "/etc/qemu/firmware", ...share.map((d) => join(d, "firmware"))];
  const fromDescriptors = selectFirmware(readDescriptors(descriptorDirs), arch, existsSync);
  if (fromDescriptors) return fromDescriptors;
  return knownFirmwarePairs(arch, share).find((p) => existsSync(p.code) && existsSync(p.vars));
}

/** Creates the instance's UEFI variable store from the template, once (kept across restarts). */
export function ensureEfiVars(paths: InstancePaths, firmware: Firmware): void {
  if (existsSync(paths.efiVars)) return;
  if (!existsSync(firmware.vars)) {
    throw new TslimaError("FIRMWARE_MISSING", `UEFI variable store template ${firmware.vars} does not exist`, {
      hint: "reinstall the firmware package (Debian: ovmf or qemu-efi-aarch64; macOS: brew reinstall qemu)",
    });
  }
  copyFileAtomic(firmware.vars, paths.efiVars);
}
