/**
 * Opening the host agent's logs (ha.stdout.log, ha.stderr.log) from the process that starts it. With
 * the library's `user` option that process is root and the instance directory belongs to the
 * agent's user, who can plant a symlink (or a hard link) there in place of a log: following it would
 * let root truncate and hand over any file on the host. So a log is opened without following a
 * symlink (O_NOFOLLOW), must be a regular file with no other link before it is truncated, and is
 * handed to the user through its descriptor (fchown), never by name.
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, ftruncateSync, lstatSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { TslimaError } from "../errors.js";
import { PRIVATE_FILE_MODE } from "./private.js";

export interface AgentLogOptions {
  /** Empty it (a new boot); otherwise it is opened for appending. */
  truncate?: boolean;
  /** Give it to this user (the agent's, when it runs as another user). */
  owner?: { uid: number; gid: number };
}

function refused(path: string, why: string): TslimaError {
  return new TslimaError("UNSAFE_DIRECTORY", `the host agent's log ${path} ${why}; tslima does not write through it`, {
    hint: `remove it (rm ${path}); only tslima should create files in ${dirname(path)}`,
  });
}

/** The log's file descriptor, open for writing (the caller closes it). */
export function openAgentLog(path: string, o: AgentLogOptions = {}): number {
  if (lstatSync(dirname(path)).isSymbolicLink()) throw refused(path, "is in a directory that is a symlink");
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK, PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP") throw refused(path, "is a symlink");
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refused(path, "is not a regular file");
    if (st.nlink !== 1) throw refused(path, `has ${st.nlink} links (a hard link to another file)`);
    if (o.truncate === true) ftruncateSync(fd, 0);
    fchmodSync(fd, PRIVATE_FILE_MODE);
    if (o.owner !== undefined) fchownSync(fd, o.owner.uid, o.owner.gid);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
