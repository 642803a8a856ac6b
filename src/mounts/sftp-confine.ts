import { join } from "node:path";
import type { InstancePaths } from "../store/paths.js";

/**
 * The environment variable that lets reverse-sshfs serve a mount with a plain, unconfined
 * sftp-server (guest root can then read and write every file the host user can): "1" to opt out.
 */
export const SFTP_UNCONFINED_ENV = "TSLIMA_SSHFS_UNCONFINED";

/** bubblewrap, which puts the host's sftp-server in a mount namespace of its own (found on PATH). */
export const BWRAP = "bwrap";

/**
 * The one-line passwd file the confined sftp-server sees as /etc/passwd (it needs an entry for its
 * uid at startup; the host's own file stays out of reach). Written by the host agent.
 */
export function sftpPasswdFile(paths: Pick<InstancePaths, "dir">): string {
  return join(paths.dir, "sftp-passwd");
}

/** The text of sftpPasswdFile for the agent's user: name and ids only, no home, no shell. */
export function sftpPasswdText(user: { name: string; uid: number; gid: number }): string {
  return `${user.name.replace(/[:\n]/g, "_")}:x:${user.uid}:${user.gid}::/:/usr/sbin/nologin\n`;
}

/** What one reverse-sshfs mount's SFTP server is made of. */
export interface SftpServerSpec {
  /** OpenSSH's sftp-server binary. */
  sftpServer: string;
  /** The mount's host directory (absolute): the only user data the server sees. */
  location: string;
  writable: boolean;
  /** The passwd file bound at /etc/passwd (sftpPasswdFile). */
  passwd: string;
  /** The server runs as root: it keeps only the capabilities file access needs. */
  root: boolean;
  /** TSLIMA_SSHFS_UNCONFINED=1: run sftp-server as is, seeing the whole host. */
  unconfined?: boolean;
}

// the capabilities a root sftp-server uses on files (chown, modes, others' files); everything else is dropped
const ROOT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID"];

/**
 * argv of a mount's host SFTP server (pure). sftp-server itself starts in the location (`-d`) and,
 * for a read-only mount, refuses every write (`-R`). Confined (the default), it runs under bwrap in
 * new namespaces whose file system is an empty read-only root holding only: /usr, /lib*, the
 * loader cache and sftp-server's binary (read-only, to run it), the one-line passwd file, /dev/null
 * (sftp-server opens it at startup), and the location at its own path (read-only for a read-only
 * mount). No /proc, no other device, no /etc, /tmp or home:
 * an SFTP path outside the location (absolute, `..`, or a symlink's target) names nothing there.
 */
export function sftpServerArgv(s: SftpServerSpec): string[] {
  // sftp-server expands % in -d (%d home, %u user): a literal one is %%
  const server = [s.sftpServer, "-d", s.location.replace(/%/g, "%%"), ...(s.writable ? [] : ["-R"])];
  if (s.unconfined) return server;
  const underUsr = s.sftpServer.startsWith("/usr/");
  return [
    BWRAP,
    // every namespace; root's server keeps the host's users (no user namespace: chown works as before)
    "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
    ...(s.root ? [] : ["--unshare-user"]),
    "--die-with-parent",
    "--new-session",
    ...(s.root ? ["--cap-drop", "ALL", ...ROOT_CAPS.flatMap((c) => ["--cap-add", c])] : []),
    "--ro-bind", "/usr", "/usr",
    ...["/lib", "/lib64", "/lib32", "/etc/ld.so.cache"].flatMap((p) => ["--ro-bind-try", p, p]),
    ...(underUsr ? [] : ["--ro-bind", s.sftpServer, s.sftpServer]),
    "--ro-bind", s.passwd, "/etc/passwd",
    "--dev-bind", "/dev/null", "/dev/null",
    s.writable ? "--bind" : "--ro-bind", s.location, s.location,
    // the empty root read-only too (after the binds made their mount points): nothing to fill with writes
    ...(s.location === "/" ? [] : ["--remount-ro", "/"]),
    "--chdir", s.location,
    "--",
    ...server,
  ];
}
