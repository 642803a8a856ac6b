import { createHash } from "node:crypto";

/**
 * Whether cloud-init runs in full on a boot, or is switched off because nothing it would apply has
 * changed (issue 11, "a lighter cold boot"). Pure.
 *
 * - `full`: cloud-init's four stages run as on the first boot (per-instance modules only when the
 *   instance-id, i.e. the cidata, changed; tslima's runner from scripts-per-boot).
 * - `light`: the kernel gets `cloud-init=disabled` (honoured by cloud-init's systemd generator, so
 *   none of its units start and sshd does not wait for them); the guest's tslima-boot.service, which
 *   cloud-init installed on an earlier full boot of the same cidata, does the per-boot work instead:
 *   mode "boot" scripts, then the runner (hosts entries, mounts, data, provisioning, the ready file).
 */
export type CloudInitRun = "full" | "light";

/** The kernel command line switch cloud-init's generator reads (ds-identify is not consulted at all). */
export const CLOUD_INIT_DISABLED = "cloud-init=disabled";

export interface BootModeInput {
  /** cidataDigest() of the cidata this boot attaches. */
  cidata: string;
  /** The digest recorded when the previous boot reached READY (undefined: none, or that boot failed). */
  lastReady: string | undefined;
  /** The disk was (re)made for this boot: its guest has never run cloud-init. */
  freshDisk: boolean;
  /** The image is booted with QEMU's -kernel (there is a command line to switch cloud-init off with). */
  directKernelBoot: boolean;
}

export interface BootMode {
  cloudInit: CloudInitRun;
  /** One line for the agent's log: why. */
  reason: string;
}

/** The identity of a cidata image: sha256 of its bytes (the ISO writer is deterministic). */
export function cidataDigest(iso: Uint8Array): string {
  return `sha256:${createHash("sha256").update(iso).digest("hex")}`;
}

/** Decides how cloud-init runs on this boot; see CloudInitRun. */
export function bootMode(i: BootModeInput): BootMode {
  if (i.freshDisk) return { cloudInit: "full", reason: "first boot of the disk" };
  // UEFI/BIOS boots of official images get no kernel command line from tslima: cloud-init runs each boot.
  if (!i.directKernelBoot) return { cloudInit: "full", reason: "firmware boot: no kernel command line to switch cloud-init off" };
  if (i.lastReady === undefined) return { cloudInit: "full", reason: "no earlier boot of this disk reached READY with a recorded cidata" };
  if (i.lastReady !== i.cidata) return { cloudInit: "full", reason: "the cidata changed since the last boot that reached READY" };
  return { cloudInit: "light", reason: "the cidata is unchanged since the last boot that reached READY" };
}

/** The kernel command line for this boot: the image's own, plus the switch on a light boot. */
export function kernelCmdline(base: string | undefined, run: CloudInitRun): string | undefined {
  if (run === "full") return base;
  const words = (base ?? "").split(/\s+/).filter((w) => w !== "" && !w.startsWith("cloud-init="));
  return [...words, CLOUD_INIT_DISABLED].join(" ");
}

/** The marker file's text (one line) and its reading; anything unreadable counts as no marker. */
export function readyMarkerText(cidata: string): string {
  return `${cidata}\n`;
}

export function parseReadyMarker(text: string | undefined): string | undefined {
  const line = text?.split("\n", 1)[0]?.trim();
  return line !== undefined && /^sha256:[0-9a-f]{64}$/.test(line) ? line : undefined;
}
