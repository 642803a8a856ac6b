import type { HostFacts } from "../config/types.js";
import type { MountPlan } from "../mounts/types.js";

import type { GuestNic } from "./user-networks.js";

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
  /** hostResolver: the port of the host agent's DNS server, which the guest's resolver asks (cidata/host-resolver.ts). */
  hostResolverPort?: number;
  /** The NICs of Lima user-v2 networks (cidata/user-networks.ts). */
  networks?: GuestNic[];
  /** The host agent's proxy variables (cidata/proxy-env.ts `hostProxyEnv`), for `propagateProxyEnv`. */
  hostProxyEnv?: Record<string, string>;
  /** The texts of caCerts.files, read on the host when the instance starts (hostagent/ca-files.ts). */
  caCertFiles?: string[];
}

export { GUEST_LIB, HOST_IP, PROVISION_LOG, READY_FILE, guestHostname } from "../config/guest.js";
