import type { HostFacts } from "../config/types.js";
import type { MountPlan } from "../mounts/types.js";

/** What cidataFiles() needs besides the Config. Pure data. */
export interface CidataContext {
  instanceName: string;
  /** Public keys (OpenSSH one-line format) allowed to log in as the user. */
  sshPublicKeys: string[];
  mounts: MountPlan;
  sshPort: number;
  hostFacts: HostFacts;
  /** MAC of the guest's user-mode NIC, when the QEMU planner fixes one: the network config matches it. */
  macAddress?: string;
  /** The guest's ed25519 ssh host key, generated on the host and pinned there (see ssh/hostkey.ts). */
  hostKey?: { privateKey: string; publicKey: string };
}

/** Where the guest side of tslima lives (installed by write_files). */
export const GUEST_LIB = "/usr/local/libexec/tslima";
/** Created by the guest when boot-time work is done (mounts attempted, provisioning finished). */
export const READY_FILE = "/run/tslima-ready";
/** JSON lines, one per failed provisioning step; absent when all succeeded. */
export const PROVISION_LOG = "/run/tslima-provision.log";
/** The host as seen from the guest on QEMU's user-mode network 192.168.5.0/24 (Lima's layout). */
export const HOST_IP = "192.168.5.2";

/** Lima's hostname for an instance: "lima-" + name, with "." and "_" made "-". */
export function guestHostname(instanceName: string): string {
  return `lima-${instanceName.replace(/[._]/g, "-")}`;
}
