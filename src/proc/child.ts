import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { constants } from "node:os";

/** How a child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();
let hooked = false;

function killLive(): void {
  for (const c of live) c.kill("SIGKILL");
}

/**
 * The one place that spawns. A child is killed when this process exits (children die with their
 * parent) unless `detached` (the host agent, which must outlive the CLI). Use runProgram for a
 * command run to completion; this is for children that stream, inherit the terminal or live long.
 */
export function startChild(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, options);
  if (options.detached !== true) {
    live.add(child);
    const forget = () => live.delete(child);
    child.once("exit", forget);
    child.once("error", forget);
    if (!hooked) {
      hooked = true;
      process.on("exit", killLive);
    }
  }
  return child;
}

/** Resolves when the child has ended; a child that could not be started ends with code 127. */
export function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("error", () => resolve({ code: 127, signal: null }));
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

export function describeExit(e: Exit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** The status a shell reports for an exit: the code, or 128 + the signal's number. */
export function shellStatus(e: Exit): number {
  if (e.code !== null) return e.code;
  return 128 + (e.signal !== null ? constants.signals[e.signal] : 0);
}
