import type { Mount, MountType } from "../config/types.js";
import type { SshfsTarget } from "./sshfs-helper.js";

/** A host daemon a mount needs while the VM runs (virtiofsd, sftp-server), started by the host agent. */
export interface MountDaemon {
  command: string;
  args: string[];
  /** Unix socket the daemon listens on, when it has one; the host agent waits for it before QEMU starts. */
  socket?: string;
}

/**
 * reverse-sshfs, as data: the host agent runs `hostCommand` (the SFTP server) on the host and
 * connects its stdin/stdout to `guestCommand`, which it runs in the guest over the SSH connection
 * (`ssh ... -- guestCommand`, stdin/stdout wired to the SFTP server).
 */
export interface ReverseSshfsPlan {
  /** What the guest helper mounts; cloud-init allows exactly these (see cidata/scripts/sshfs.ts). */
  target: SshfsTarget;
  /** argv to run in the guest (the helper, as root via sudo -n), e.g. ["sudo", "-n", HELPER, "mount", "/host/dir", "/mnt", "dir_cache=yes"]. */
  guestCommand: string[];
  /** argv of the host SFTP server whose stdio is connected to the guest sshfs (OpenSSH's sftp-server). */
  hostCommand: string[];
  /** argv to run in the guest before mounting (create the mount point, owned by the user). */
  guestPrepare: string[];
  /** argv to unmount in the guest. */
  guestUnmount: string[];
}

/** What one configured mount turns into. Pure data, produced by mountPlan(). */
export interface PlannedMount {
  mount: Mount;
  /** The mount type this mount uses (the config's mountType). */
  type: MountType;
  /** 9p / virtiofs tag; empty for reverse-sshfs. */
  tag: string;
  /** QEMU arguments for this mount (e.g. -virtfs ..., or -chardev/-device for vhost-user-fs). */
  qemuArgs: string[];
  /** Host daemons to start before QEMU (virtiofsd). */
  daemons: MountDaemon[];
  /** cloud-init `mounts:` entry: [device/tag, mountPoint, fstype, options, dump, pass]; absent for sshfs. */
  fstab?: [string, string, string, string, string, string];
  /**
   * What the guest must show in /proc/mounts for this mount to count as mounted (checked after boot).
   * `options` tokens: "a|b" = one of them present; "?k=v" = key k absent or equal to v; "!x" = x absent.
   * Use mountMatches() (src/mounts/verify.ts) to check a /proc/mounts text against it.
   */
  expect: { mountPoint: string; fstype: string; options: string[] };
  /** reverse-sshfs only: the commands the host agent runs. */
  sshfs?: ReverseSshfsPlan;
  /** Host-side preparation: create the location when missing (writable mounts); read-only ones must exist. */
  createLocation: boolean;
}

export interface MountPlan {
  mounts: PlannedMount[];
  /** QEMU arguments needed once for all mounts (e.g. the shared memory backend for virtiofs). */
  qemuArgs: string[];
}
