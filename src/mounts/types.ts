import type { Mount } from "../config/types.js";

/** A host daemon a mount needs while the VM runs (virtiofsd, sftp-server), started by the host agent. */
export interface MountDaemon {
  command: string;
  args: string[];
  /** Unix socket the daemon listens on, when it has one; the host agent waits for it before QEMU starts. */
  socket?: string;
}

/** What one configured mount turns into. Pure data, produced by mountPlan(). */
export interface PlannedMount {
  mount: Mount;
  /** 9p / virtiofs tag; empty for reverse-sshfs. */
  tag: string;
  /** QEMU arguments for this mount (e.g. -virtfs ..., or -chardev/-device for vhost-user-fs). */
  qemuArgs: string[];
  /** Host daemons to start before QEMU (virtiofsd). */
  daemons: MountDaemon[];
  /** cloud-init `mounts:` entry: [device/tag, mountPoint, fstype, options, dump, pass]; absent for sshfs. */
  fstab?: [string, string, string, string, string, string];
  /** What the guest must show in /proc/mounts for this mount to count as mounted (checked after boot). */
  expect: { mountPoint: string; fstype: string; options: string[] };
}

export interface MountPlan {
  mounts: PlannedMount[];
  /** QEMU arguments needed once for all mounts (e.g. the shared memory backend for virtiofs). */
  qemuArgs: string[];
}
