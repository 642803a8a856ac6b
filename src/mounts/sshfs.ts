import type { Mount } from "../config/types.js";
import { sshfsHelperArgv } from "./sshfs-helper.js";
import type { MountContext, MountDriver } from "./driver.js";
import type { PlannedMount } from "./types.js";
import { sftpPasswdFile, sftpServerArgv } from "./sftp-confine.js";

const DEFAULT_SFTP_SERVER = "/usr/lib/openssh/sftp-server";

function sshfsOptions(mount: Mount): string {
  const o = [mount.sshfs.cache ? "dir_cache=yes" : "dir_cache=no"];
  if (mount.sshfs.followSymlinks) o.push("follow_symlinks");
  if (!mount.writable) o.push("ro");
  return o.join(",");
}

/**
 * reverse-sshfs: no QEMU device and no fstab line; the host agent, once SSH works, runs the guest
 * helper (cidata/scripts/sshfs.ts) over ssh with its stdin/stdout joined to the host's sftp-server,
 * confined to the mount's location (sftp-confine.ts). Arguments are argv: whoever sends them through
 * ssh must shell-quote each one.
 */
export const ReverseSshfsMount: MountDriver = {
  type: "reverse-sshfs",
  sharedQemuArgs: () => [],
  plan(mount: Mount, _index: number, ctx: MountContext): PlannedMount {
    const target = { location: mount.location, mountPoint: mount.mountPoint, options: sshfsOptions(mount) };
    const access = mount.writable ? "rw" : "ro";
    return {
      mount,
      type: "reverse-sshfs",
      tag: "",
      qemuArgs: [],
      daemons: [],
      expect: { mountPoint: mount.mountPoint, fstype: "fuse.sshfs", options: [access] },
      sshfs: {
        target,
        // a previous sshfs that lost its connection leaves a dead FUSE mount behind: prepare detaches it first
        guestPrepare: sshfsHelperArgv("prepare", target),
        guestCommand: sshfsHelperArgv("mount", target),
        hostCommand: sftpServerArgv({
          sftpServer: ctx.sftpServer ?? DEFAULT_SFTP_SERVER,
          location: mount.location,
          writable: mount.writable,
          passwd: sftpPasswdFile(ctx.paths),
          root: ctx.host?.uid === 0,
          ...(ctx.sftpUnconfined ? { unconfined: true } : {}),
        }),
        guestUnmount: sshfsHelperArgv("umount", target),
      },
      createLocation: mount.writable,
    };
  },
};
