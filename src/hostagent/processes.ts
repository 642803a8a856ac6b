import type { ChildProcess } from "node:child_process";
import { exitOf, startChild, type Exit } from "../proc/child.js";

/** A supervised child: its exit as a promise, and the last lines it wrote to stderr. */
export interface Supervised {
  /** A spawned child, or (hostagent/attach.ts) a QEMU adopted from an agent that died. */
  child: Pick<ChildProcess, "pid" | "exitCode">;
  name: string;
  exited: Promise<Exit>;
  stderrTail(): string[];
}

/**
 * Spawns a child the agent supervises. Its stderr is copied to the agent's stderr (ha.stderr.log)
 * and the last lines are kept for error messages.
 */
export function supervise(name: string, command: string, args: string[], opts: { stdio?: "ignore" | "pipe" } = {}): Supervised {
  const child = startChild(command, args, { stdio: [opts.stdio ?? "ignore", opts.stdio ?? "ignore", "pipe"] });
  const tail: string[] = [];
  let partial = "";
  child.stderr?.on("data", (b: Buffer) => {
    process.stderr.write(b);
    const lines = (partial + b.toString("utf8")).split("\n");
    partial = (lines.pop() ?? "").slice(-4096); // a line without end is kept as its tail
    tail.push(...lines.filter((l) => l.trim() !== ""));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  });
  child.once("error", (e) => tail.push(`${command}: ${e.message}`));
  const exited = exitOf(child);
  return { child, name, exited, stderrTail: () => (partial.trim() ? [...tail, partial] : [...tail]) };
}
