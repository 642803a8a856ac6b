import { lstatSync, mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";

/**
 * The host side of a `hostSocket` forward is a path the user named, so tslima treats it with care:
 * it only ever removes a *stale socket* there (a unix socket nobody accepts connections on, left by
 * a previous run), never a regular file, directory, link or a socket that is in use.
 */

/** The rule every refusal names, so a user can tell why the path was left alone. */
export const HOST_SOCKET_RULE = "tslima only replaces a stale unix socket at a hostSocket path, never another file";

/** True when something accepts connections on the unix socket at `path` (within `timeoutMs`). */
function socketInUse(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** What is at `path`: "none", "socket", or something else named for a message ("a regular file"). */
function kindAt(path: string): string {
  try {
    const st = lstatSync(path);
    if (st.isSocket()) return "socket";
    if (st.isSymbolicLink()) return "a symbolic link";
    if (st.isDirectory()) return "a directory";
    if (st.isFile()) return "a regular file";
    return "a special file";
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "none";
    throw e;
  }
}

/**
 * Makes `path` ready for ssh to listen on (-L): its directory exists, and a stale socket there is
 * removed. Resolves with the reason when the path must not be touched (it exists and is not a
 * socket, or a live socket), else undefined.
 */
export async function prepareListenSocket(path: string): Promise<string | undefined> {
  mkdirSync(dirname(path), { recursive: true });
  const kind = kindAt(path);
  if (kind === "none") return undefined;
  if (kind !== "socket") return `${path} exists and is ${kind}; left intact (${HOST_SOCKET_RULE})`;
  if (await socketInUse(path)) return `${path} is a unix socket in use by another program; left intact (${HOST_SOCKET_RULE})`;
  rmSync(path, { force: true });
  return undefined;
}

/** After a -L forward is cancelled: removes the socket ssh left at `path`, and nothing else. */
export function removeListenSocket(path: string): void {
  if (kindAt(path) === "socket") rmSync(path, { force: true });
}
