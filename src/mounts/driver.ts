import type { Config, HostFacts, Mount, MountType } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import type { PlannedMount } from "./types.js";
import type { VirtiofsdInfo } from "./virtiofsd.js";

/** Everything a mount driver may look at. Pure data. */
export interface MountContext {
  config: Config;
  paths: InstancePaths;
  /** Guest RAM in bytes (the shared memory backend for virtiofs must cover all of it). */
  memoryBytes: number;
  virtiofsd?: VirtiofsdInfo;
  /** Host facts, when known: OS checks (virtiofs on Linux only), uid (C virtiofsd needs root), home for `~`. */
  host?: Pick<HostFacts, "os" | "uid" | "home">;
  /** The OpenSSH sftp-server binary on the host (reverse-sshfs), default /usr/lib/openssh/sftp-server. */
  sftpServer?: string;
  /** TSLIMA_SSHFS_UNCONFINED=1: reverse-sshfs runs sftp-server without its bwrap confinement. */
  sftpUnconfined?: boolean;
}

/** The small interface every mount type implements: one file per type. */
export interface MountDriver {
  readonly type: MountType;
  /** QEMU arguments needed once when at least one mount of this type exists. */
  sharedQemuArgs(ctx: MountContext): string[];
  /** One mount, `index` = its position among config.mounts (names sockets and QEMU ids). */
  plan(mount: Mount, index: number, ctx: MountContext): PlannedMount;
}

/** QEMU's option parser treats "," as a separator; a literal comma in a value is written ",,". */
export function qemuOptValue(value: string): string {
  return value.replace(/,/g, ",,");
}
