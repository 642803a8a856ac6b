import type { Mount } from "../config/types.js";
import type { MountContext, MountDriver } from "./driver.js";
import type { PlannedMount } from "./types.js";

const DEFAULT_SFTP_SERVER = "/usr/lib/openssh/sftp-server";

/**
 * Guest side of reverse-sshfs: sshfs reads SFTP from its stdin/stdout ("passive" mode, called
 * "slave" before sshfs 3.7, so the script picks whichever the guest's sshfs knows).
 * $1 = host path, $2 = mount point, $3 = extra -o options.
 */
const GUEST_SSHFS = [
  'mode=slave; sshfs -h 2>&1 | grep -q passive && mode=passive',
  'exec sshfs ":$1" "$2" -o "$mode" -o allow_other -o "$3"',
].join("; ");

function sshfsOptions(mount: Mount): string {
  const o = [mount.sshfs.cache ? "dir_cache=yes" : "dir_cache=no"];
  if (mount.sshfs.followSymlinks) o.push("follow_symlinks");
  if (!mount.writable) o.push("ro");
  return o.join(",");
}

/**
 * reverse-sshfs: no QEMU device and no fstab line; the host agent, once SSH works, runs the guest
 * command over ssh with its stdin/stdout joined to the host's sftp-server (`-R` for read-only
 * mounts, so the host refuses writes too). Arguments are argv: whoever sends them through ssh must
 * shell-quote each one.
 */
export const ReverseSshfsMount: MountDriver = {
  type: "reverse-sshfs",
  sharedQemuArgs: () => [],
  plan(mount: Mount, _index: number, ctx: MountContext): PlannedMount {
    const user = ctx.config.user.name;
    const access = mount.writable ? "rw" : "ro";
    return {
      mount,
      type: "reverse-sshfs",
      tag: "",
      qemuArgs: [],
      daemons: [],
      expect: { mountPoint: mount.mountPoint, fstype: "fuse.sshfs", options: [access] },
      sshfs: {
        // a previous sshfs that lost its connection leaves a dead FUSE mount behind: detach it first
        guestPrepare: ["sudo", "sh", "-c", 'umount -l "$1" 2>/dev/null; mkdir -p "$1" && chown "$2" "$1"', "tslima-mkdir", mount.mountPoint, user],
        guestCommand: ["sudo", "sh", "-c", GUEST_SSHFS, "tslima-sshfs", mount.location, mount.mountPoint, sshfsOptions(mount)],
        hostCommand: [ctx.sftpServer ?? DEFAULT_SFTP_SERVER, ...(mount.writable ? [] : ["-R"])],
        guestUnmount: ["sudo", "umount", "-l", mount.mountPoint],
      },
      createLocation: mount.writable,
    };
  },
};
