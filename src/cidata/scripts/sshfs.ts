import { GUEST_LIB } from "../context.js";
import { SSHFS_ALLOW } from "../../mounts/sshfs-helper.js";
import { MOUNTS_SSHFS_HELPER_SH } from "../../guest/embedded.js";
import { fillPlaceholders } from "../../proc/quote.js";

/** Where the guest's sshfs is (Debian, Ubuntu, Fedora, Alpine): the helper runs it by this path only. */
export const SSHFS_BIN = "/usr/bin/sshfs";

/**
 * sshfs reads SFTP from its stdin/stdout ("passive" mode, called "slave" before sshfs 3.7, so the
 * helper picks whichever the guest's sshfs knows). The user can plant links in directories they can
 * write, so before root creates, chowns, mounts or unmounts the mount point, every directory above
 * it must be root's, no link, and writable by root only or sticky (/tmp); the mount point itself
 * must be no link, is chowned with -h, and stays root's in a sticky directory. The program:
 * src/guest/mounts/sshfs-helper.sh.
 */
export const SSHFS_HELPER_SH = fillPlaceholders(MOUNTS_SSHFS_HELPER_SH, { GUEST_LIB, ALLOW: SSHFS_ALLOW, SSHFS: SSHFS_BIN });
