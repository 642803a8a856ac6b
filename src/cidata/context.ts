import type { HostFacts } from "../config/types.js";
import type { MountPlan } from "../mounts/types.js";

import type { GuestNic } from "./user-networks.js";

/** containerd's archive to put on the cidata disk: its host path and digest (hostagent/containerd.ts found it). */
export interface ContainerdArchiveFile {
  path: string;
  /** `sha256:HEX` (or the sha512 given in lima.yaml): the guest installs again when it changes. */
  digest: string;
}

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
  /** containerd.system/user: the nerdctl-full archive the agent fetched (cidata/containerd.ts). */
  containerdArchive?: ContainerdArchiveFile;
}

export { GUEST_LIB, HOST_IP, PROVISION_LOG, READY_FILE, guestHostname } from "../config/guest.js";
