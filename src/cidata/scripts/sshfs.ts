import { createHash } from "node:crypto";
import { GUEST_LIB } from "../context.js";

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

/**
 * sshfs reads SFTP from its stdin/stdout ("passive" mode, called "slave" before sshfs 3.7, so the
 * helper picks whichever the guest's sshfs knows).
 */
export const SSHFS_HELPER_SH = `#!/bin/sh
# tslima reverse-sshfs helper: prepare|mount|umount LOCATION MOUNTPOINT OPTIONS. Written by tslima; do not edit.
set -u
[ $# -eq 4 ] || { echo "usage: $0 prepare|mount|umount LOCATION MOUNTPOINT OPTIONS" >&2; exit 2; }
key=$(printf '%s\\n%s\\n%s\\n' "$2" "$3" "$4" | sha256sum | cut -d' ' -f1)
if ! grep -qx "$key" ${SSHFS_ALLOW} 2>/dev/null; then
  echo "tslima: $3 is not a reverse-sshfs mount of this instance" >&2
  exit 1
fi
. ${GUEST_LIB}/env.sh
case $1 in
prepare) umount -l "$3" 2>/dev/null; mkdir -p "$3" && chown "$TSLIMA_USER" "$3" ;;
mount)
  mode=slave; sshfs -h 2>&1 | grep -q passive && mode=passive
  exec sshfs ":$2" "$3" -o "$mode" -o allow_other -o "$4" ;;
umount) exec umount -l "$3" ;;
*) echo "tslima: unknown action $1" >&2; exit 2 ;;
esac
`;
