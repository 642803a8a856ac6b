import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "../store/pidfile.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A supervised child: its exit as a promise, and the last lines it wrote to stderr. */
export interface Supervised {
  child: ChildProcess;
  name: string;
  exited: Promise<Exit>;
  stderrTail(): string[];
}

/**
 * Spawns a child the agent supervises. Its stderr is copied to the agent's stderr (ha.stderr.log)
 * and the last lines are kept for error messages.
 */
export function supervise(name: string, command: string, args: string[], opts: { stdio?: "ignore" | "pipe" } = {}): Supervised {
  const child = spawn(command, args, { stdio: [opts.stdio ?? "ignore", opts.stdio ?? "ignore", "pipe"] });
  const tail: string[] = [];
  let partial = "";
  child.stderr?.on("data", (b: Buffer) => {
    process.stderr.write(b);
    const lines = (partial + b.toString("utf8")).split("\n");
    partial = lines.pop() ?? "";
    tail.push(...lines.filter((l) => l.trim() !== ""));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("error", (e) => {
      tail.push(`${command}: ${e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, name, exited, stderrTail: () => (partial.trim() ? [...tail, partial] : [...tail]) };
}

export function describeExit(e: Exit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Waits until `pid` is gone, up to `ms`; true when it is gone. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(200);
  }
  return !isAlive(pid);
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns when the process is gone (or after the SIGKILL). */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (await waitGone(pid, graceMs)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  await waitGone(pid, 5000);
}

/** Resolves after `ms`, or rejects early when the signal aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    // aborted: the caller checks the signal
  }
}
