import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { isAlive } from "../proc/pid.js";
import { poll } from "../proc/wait.js";
import { readPidFile } from "./pidfile.js";

/** A held pid-file lock (an instance's, an image build's); release() removes the file if we still own it. */
export interface InstanceLock {
  path: string;
  release(): void;
}

function youngerThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < ms;
  } catch {
    return false;
  }
}

/**
 * Tries once to take the lock: O_EXCL create with our pid inside. A lock whose owner is dead (or
 * that holds no pid, e.g. written by a process killed mid-write and older than a second) is stale
 * and taken over. Returns the owner's pid when someone else holds it.
 */
export function tryLock(path: string, pid: number = process.pid): InstanceLock | { heldBy: number } {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      return {
        path,
        release: () => {
          if (readPidFile(path) === pid) rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readPidFile(path);
    if (owner === undefined && youngerThan(path, 2000)) return { heldBy: 0 }; // being written right now
    if (owner !== undefined && owner !== pid && isAlive(owner)) return { heldBy: owner };
    if (owner === pid) return { heldBy: owner };
    // Stale: remove it and try again. Another taker may win the race; the O_EXCL create decides.
    rmSync(path, { force: true });
  }
  throw new TslimaError("LOCK", `could not take the lock ${path}`, { hint: `remove ${path} if no tslima process runs` });
}

/**
 * Takes the lock, waiting while another live process holds it (up to `timeoutMs`). `onWait` is
 * called once with the holder's pid, so the caller can say what it waits for.
 */
export async function acquireLock(
  path: string,
  opts: { timeoutMs: number; onWait?: (holder: number) => void; pollMs?: number; signal?: AbortSignal },
): Promise<InstanceLock> {
  let holder = 0;
  const lock = await poll(
    (_d, n) => {
      const r = tryLock(path);
      if ("release" in r) return r;
      holder = r.heldBy;
      if (n === 1) opts.onWait?.(holder);
      return undefined;
    },
    { timeoutMs: opts.timeoutMs, intervalMs: opts.pollMs ?? 250, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  if (lock !== undefined) return lock;
  throw new TslimaError("LOCKED", `another tslima process (pid ${holder}) is working on this instance`, {
    hint: `wait for it to finish, or stop it (kill ${holder})`,
  });
}
