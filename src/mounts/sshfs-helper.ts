import { createHash } from "node:crypto";
import { GUEST_LIB } from "../config/guest.js";

/**
 * The guest side of reverse-sshfs. The host agent runs it over ssh as the instance user with
 * `sudo -n`; a sudoers rule lets the user run this one program without a password even when
 * `user.passwordlessSudo` is false. It only acts on the mounts of this instance: the hash of its
 * arguments must be listed in SSHFS_ALLOW, which cloud-init writes from the config.
 */
export const SSHFS_HELPER = `${GUEST_LIB}/sshfs-helper`;
export const SSHFS_ALLOW = `${GUEST_LIB}/sshfs.allow`;

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

