import { createHash } from "node:crypto";
import { GUEST_LIB } from "../config/guest.js";
import { MOUNTS_SSHFS_HELPER_CHECK_SH, MOUNTS_SSHFS_HELPER_INSTALL_SH } from "../guest/embedded.js";
import { fillPlaceholders } from "../proc/quote.js";

/**
 * The guest side of reverse-sshfs. The host agent runs it over ssh as the instance user with
 * `sudo -n`; a sudoers rule lets the user run this one program without a password even when
 * `user.passwordlessSudo` is false. It only acts on the mounts of this instance: the hash of its
 * arguments must be listed in SSHFS_ALLOW, which cloud-init writes from the config.
 */
export const SSHFS_HELPER = `${GUEST_LIB}/sshfs-helper`;
export const SSHFS_ALLOW = `${GUEST_LIB}/sshfs.allow`;
/**
 * The sudoers file that lets the user run the helper without a password (user.passwordlessSudo:
 * false). Read after cloud-init's 90-cloud-init-users, so for the helper its NOPASSWD rule is the
 * last match and wins.
 */
export const SSHFS_SUDOERS = "/etc/sudoers.d/95-tslima-sshfs";

/** The line of SSHFS_SUDOERS for `user` (a name validate() accepted: no sudoers syntax in it). */
export function sshfsSudoersLine(user: string): string {
  return `${user} ALL=(root) NOPASSWD: ${SSHFS_HELPER}\n`;
}

/** One reverse-sshfs mount as the helper sees it: host path, guest mount point, sshfs -o options. */
export interface SshfsTarget {
  location: string;
  mountPoint: string;
  options: string;
}

/** The allow-list line of a mount: sha256 of "LOCATION\nMOUNTPOINT\nOPTIONS\n", as the helper computes it. */
export function sshfsAllowKey(t: SshfsTarget): string {
  return createHash("sha256").update(`${t.location}\n${t.mountPoint}\n${t.options}\n`).digest("hex");
}

/** The helper's argv for one action (prepare: unmount a dead mount, create the mount point). */
export function sshfsHelperArgv(action: "prepare" | "mount" | "umount", t: SshfsTarget): string[] {
  return ["sudo", "-n", SSHFS_HELPER, action, t.location, t.mountPoint, t.options];
}


/**
 * Whether the guest has this helper (its sha256 is the first argument: an older helper is replaced)
 * and allows every key given after it (run as the user; the allow list is world-readable): exit 0
 * when nothing needs installing.
 */
export const SSHFS_HELPER_CHECK = fillPlaceholders(MOUNTS_SSHFS_HELPER_CHECK_SH, { HELPER: SSHFS_HELPER, ALLOW: SSHFS_ALLOW });

/**
 * Installs the helper (its text on stdin) and adds the keys given as arguments to the allow list,
 * as root. A resumed guest needs it when it was booted without these mounts: an instance made from
 * a booted snapshot, which gets its own mounts through reverse-sshfs.
 */
export const SSHFS_HELPER_INSTALL = fillPlaceholders(MOUNTS_SSHFS_HELPER_INSTALL_SH, { HELPER: SSHFS_HELPER, ALLOW: SSHFS_ALLOW });
