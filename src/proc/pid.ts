import { readFileSync } from "node:fs";
import { poll } from "./wait.js";

/**
 * Whether a process with this pid runs (EPERM: it runs but belongs to someone else). A zombie does
 * not: it has exited and waits for its parent to reap it, which may never happen when it was
 * orphaned (a QEMU whose host agent died) and the init that adopted it does not reap (containers).
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  return !isZombie(pid);
}

/** Linux: the state in /proc/PID/stat is Z (zombie) or X (dead). Elsewhere, or unreadable: false. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}

/** Waits until `pid` is gone, up to `ms`; true when it is gone. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  return (await poll(() => (isAlive(pid) ? undefined : true), { timeoutMs: ms, intervalMs: 200 })) ?? false;
}

/** Sends a signal; false when the process is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns when the process is gone (or after the SIGKILL). */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!signalProcess(pid, "SIGTERM")) return;
  if (await waitGone(pid, graceMs)) return;
  if (!signalProcess(pid, "SIGKILL")) return;
  await waitGone(pid, 5000);
}
