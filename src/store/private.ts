/**
 * Everything tslima keeps is its user's alone: TSLIMA_HOME, `_config`, `_disks`, `_snapshots`,
 * `_cache` and every instance directory are 0700, every file in them 0600 (a frozen file of a
 * booted snapshot 0400), whatever the umask. Disks, saved VM states and snapshots hold the guest's
 * disk and RAM, so its secrets. The modes are set with chmod after creation (a mode given to
 * mkdir or open is only a maximum under the umask). A TSLIMA_HOME or instance directory that
 * another user owns, or that group or others may write, is refused: whoever can write in it can
 * swap ssh.config (whose ProxyCommand ssh runs) or a disk. Root is exempt from the owner rule only:
 * the library's `user` option runs the agent as another user, in a home that user owns.
 */
import { chmodSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { TslimaError } from "../errors.js";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** A booted snapshot's files: never written again, hard-linked into the instances made from it. */
export const FROZEN_FILE_MODE = 0o400;

/**
 * Creates `dir` and its missing parents, each 0700; one that exists keeps its mode. Returns
 * whether `dir` was created.
 */
export function makePrivateDir(dir: string): boolean {
  const made = mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (made === undefined) return false;
  const first = resolve(made);
  for (let d = resolve(dir); ; d = dirname(d)) {
    chmodSync(d, PRIVATE_DIR_MODE);
    if (d === first || dirname(d) === d) break;
  }
  return true;
}

/** A new directory `prefix` + random characters in `parent` (created 0700 if missing), mode 0700. */
export function makePrivateTempDir(parent: string, prefix: string): string {
  makePrivateDir(parent);
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, PRIVATE_DIR_MODE);
  return dir;
}

/** Makes a file tslima created (a disk qemu-img wrote, a copy) owner-only: 0600. */
export function makePrivateFile(path: string): void {
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** What is wrong with a directory of this owner and mode for the user `euid`, or undefined. Pure. */
export function privacyProblem(st: { uid: number; mode: number }, euid: number | undefined): string | undefined {
  if (euid !== undefined && euid !== 0 && st.uid !== euid) return `it is owned by uid ${st.uid}, not by you (uid ${euid})`;
  if ((st.mode & 0o022) !== 0) return `it is writable by ${(st.mode & 0o020) !== 0 ? "its group" : "others"} (mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`;
  return undefined;
}

/**
 * Refuses (UNSAFE_DIRECTORY) a TSLIMA_HOME or instance directory another user owns or group or
 * others may write; a missing one passes (the caller creates it, or reports it missing).
 */
export function requirePrivateDir(dir: string, what: "TSLIMA_HOME" | "instance directory"): void {
  let st: { uid: number; mode: number };
  try {
    st = statSync(dir);
  } catch {
    return;
  }
  const problem = privacyProblem(st, process.geteuid?.());
  if (problem === undefined) return;
  const owned = problem.startsWith("it is owned");
  throw new TslimaError("UNSAFE_DIRECTORY", `the ${what} ${dir} is not private: ${problem}`, {
    hint: owned
      ? `use a TSLIMA_HOME of your own (set TSLIMA_HOME), or have its owner hand it over: chown -R ${process.geteuid?.() ?? "$(id -u)"} ${dir}`
      : `chmod 700 ${dir}`,
  });
}

/**
 * TSLIMA_HOME, ready to be written in: created 0700 when missing, refused when it is not private
 * (see requirePrivateDir).
 */
export function ensurePrivateHome(home: string): void {
  if (!makePrivateDir(home)) requirePrivateDir(home, "TSLIMA_HOME");
}
