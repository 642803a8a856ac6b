import type { Config, HostFacts, Mount, MountType } from "../config/types.js";
import { TslimaError } from "../errors.js";
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
}

/** `~` and `~/x` against the host home; everything else (templates) is expanded by the config loader. */
function expandHome(p: string, home: string | undefined): string {
  if (home === undefined) return p;
  if (p === "~") return home;
  if (p.startsWith("~/")) return `${home.replace(/\/+$/, "")}/${p.slice(2)}`;
  return p;
}

function checkPaths(m: Mount, i: number): void {
  for (const [field, value] of [["location", m.location], ["mountPoint", m.mountPoint]] as const) {
    if (!value.startsWith("/")) {
      throw new TslimaError("CONFIG_MOUNT_PATH", `mounts[${i}].${field}: ${JSON.stringify(value)} is not an absolute path`, {
        hint: `write mounts[${i}].${field} in lima.yaml as an absolute path (or starting with ~)`,
      });
    }
    if (value.includes("\0")) {
      throw new TslimaError("CONFIG_MOUNT_PATH", `mounts[${i}].${field} contains a NUL byte`, {
        hint: `fix mounts[${i}].${field} in lima.yaml`,
      });
    }
  }
}

/**
 * What every configured mount turns into (pure): QEMU arguments, host daemons, guest fstab lines and
 * the check to run after boot. Mount type = config.mountType for all mounts, as in Lima.
 */
export function mountPlan(config: Config, paths: InstancePaths, opts: MountPlanOptions): MountPlan {
  const ctx: MountContext = { config, paths, memoryBytes: opts.memoryBytes };
  if (opts.virtiofsd) ctx.virtiofsd = opts.virtiofsd;
  if (opts.host) ctx.host = opts.host;
  if (opts.sftpServer) ctx.sftpServer = opts.sftpServer;
  const driver = MOUNT_DRIVERS[config.mountType];
  if (config.mounts.length > 0 && config.mountTypesUnsupported.includes(config.mountType)) {
    throw new TslimaError("CONFIG_MOUNT_TYPE", `mountType ${config.mountType} is listed in mountTypesUnsupported`, {
      hint: "choose another mountType in lima.yaml or with --mount-type",
    });
  }
  const mountPoints = new Set<string>();
  const mounts = config.mounts.map((raw, i) => {
    const location = expandHome(raw.location, opts.host?.home);
    const mount: Mount = { ...raw, location, mountPoint: expandHome(raw.mountPoint, opts.host?.home) };
    checkPaths(mount, i);
    if (mountPoints.has(mount.mountPoint)) {
      throw new TslimaError("CONFIG_MOUNT_DUPLICATE", `mounts[${i}].mountPoint ${mount.mountPoint} is used twice`, {
        hint: `give mounts[${i}] another mountPoint in lima.yaml`,
      });
    }
    mountPoints.add(mount.mountPoint);
    return driver.plan(mount, i, ctx);
  });
  return { mounts, qemuArgs: mounts.length > 0 ? driver.sharedQemuArgs(ctx) : [] };
}
