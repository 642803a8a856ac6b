import { poll } from "./wait.js";

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
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
