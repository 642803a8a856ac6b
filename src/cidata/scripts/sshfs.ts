import { GUEST_LIB } from "../context.js";
import { SSHFS_ALLOW } from "../../mounts/sshfs-helper.js";

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
