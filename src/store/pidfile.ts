import { readFileSync, rmSync } from "node:fs";
import { isAlive } from "../proc/pid.js";

/** Reads a pid file; undefined when it is missing or does not hold a positive integer. */
export function readPidFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The NUL-separated command line of a process (Linux /proc), or undefined where unavailable. */
export function processCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((s) => s !== "");
  } catch {
    return undefined;
  }
}

/** Whether a command line belongs to the instance: mentions its directory. Pure. */
export function cmdlineMentions(cmdline: string[], instanceDir: string): boolean {
  const dir = instanceDir.replace(/\/+$/, "");
  return cmdline.some((arg) => arg === dir || arg.includes(`${dir}/`) || arg.endsWith(dir));
}

/**
 * Whether `pid` is alive and really ours: its command line mentions the instance directory, so a
 * recycled pid does not count. Without /proc (macOS), being alive is all that can be checked.
 * `alsoAccept` lets a caller accept another marker (the agent run in the foreground by the CLI).
 */
export function isOurProcess(pid: number, instanceDir: string, alsoAccept?: (cmdline: string[]) => boolean): boolean {
  if (!isAlive(pid)) return false;
  if (process.platform !== "linux") return true;
  const cmdline = processCmdline(pid);
  if (cmdline === undefined) return false; // vanished meanwhile
  return cmdlineMentions(cmdline, instanceDir) || (alsoAccept?.(cmdline) ?? false);
}

export function removeQuietly(...paths: string[]): void {
  for (const p of paths) rmSync(p, { force: true, recursive: false });
}
