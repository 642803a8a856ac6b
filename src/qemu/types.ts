import type { Config, HostFacts } from "../config/types.js";
import type { ResolvedImage } from "../images/types.js";
import type { MountPlan } from "../mounts/types.js";
import type { AttachedDisk } from "../disks/plan.js";

export type Accel = "kvm" | "hvf" | "tcg";

/** UEFI firmware: the read-only code image and the template of the per-instance variable store. */
export interface Firmware {
  code: string;
  vars: string;
  /** A firmware.images code image (Lima's way): QEMU gets it alone, with no variable store (`vars` unused). */
  codeOnly?: true;
}

/** What probeQemu() found on the host for one guest architecture. */
export interface QemuFacts {
  /** Absolute path of qemu-system-<arch>. */
  binary: string;
  /** e.g. "7.2.22". */
  version: string;
  accel: Accel;
  /** One line saying why no hardware accelerator is used and what it costs; set when accel is tcg. */
  accelWarning?: string;
  firmware?: Firmware;
  /** The audio backends of `-audiodev help`, probed only when audio.device asks for sound (audio.ts). */
  audioBackends?: string[];
}

/** Everything qemuArgv() needs besides the config and the instance paths. */
export interface QemuPlan {
  host: HostFacts;
  qemu: QemuFacts;
  sshPort: number;
  image: ResolvedImage;
  mounts: MountPlan;
  /** Lima's additional disks attached to this boot, in config order (disks/plan.ts). */
  disks?: AttachedDisk[];
  /** The instance's VM generation id (a UUID): a vmgenid device on x86_64 (see argv.ts). */
  vmgenid?: string;
  /** NICs on Lima user-v2 networks: QEMU listens on `socket` for the network's switch (argv.ts). */
  networks?: QemuNic[];
}

/** A NIC on a user-v2 network. */
export interface QemuNic {
  /** The unix socket QEMU listens on (`-netdev stream,server=on`); the switch daemon connects to it. */
  socket: string;
  mac: string;
  /** PCI slot on bus 0: the guest names the NIC by it (cidata/user-networks.ts). */
  slot: number;
}

export type { Config };
