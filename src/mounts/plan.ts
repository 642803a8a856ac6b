import type { Config, HostFacts, MountType } from "../config/types.js";
import type { InstancePaths } from "../store/paths.js";
import type { MountContext, MountDriver } from "./driver.js";
import { NinePMount } from "./ninep.js";
import { ReverseSshfsMount } from "./sshfs.js";
import type { MountPlan } from "./types.js";
import { VirtiofsMount } from "./virtiofs.js";
import type { VirtiofsdInfo } from "./virtiofsd.js";

export const MOUNT_DRIVERS: Record<MountType, MountDriver> = {
  "9p": NinePMount,
  virtiofs: VirtiofsMount,
  "reverse-sshfs": ReverseSshfsMount,
};

export interface MountPlanOptions {
  virtiofsd?: VirtiofsdInfo;
  /** Guest RAM in bytes. */
  memoryBytes: number;
  /** Host facts when known (OS, uid, home for `~`). */
  host?: Pick<HostFacts, "os" | "uid" | "home">;
  sftpServer?: string;
  /** Serve reverse-sshfs unconfined (TSLIMA_SSHFS_UNCONFINED=1). */
  sftpUnconfined?: boolean;
}

/**
 * What every configured mount turns into (pure): QEMU arguments, host daemons, guest fstab lines and
 * the check to run after boot. Mount type = config.mountType for all mounts, as in Lima. The config
 * must be filled and validated (config/validate-mounts.ts holds the rules for paths and options);
 * what depends on the host (virtiofsd) is checked by the driver.
 */
export function mountPlan(config: Config, paths: InstancePaths, opts: MountPlanOptions): MountPlan {
  const ctx: MountContext = { config, paths, memoryBytes: opts.memoryBytes };
  if (opts.virtiofsd) ctx.virtiofsd = opts.virtiofsd;
  if (opts.host) ctx.host = opts.host;
  if (opts.sftpServer) ctx.sftpServer = opts.sftpServer;
  if (opts.sftpUnconfined) ctx.sftpUnconfined = true;
  const driver = MOUNT_DRIVERS[config.mountType];
  // paths, duplicates, mountTypesUnsupported and the 9p options were checked by config validation
  const mounts = config.mounts.map((mount, i) => driver.plan(mount, i, ctx));
  return { mounts, qemuArgs: mounts.length > 0 ? driver.sharedQemuArgs(ctx) : [] };
}
