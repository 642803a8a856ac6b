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

/** Where a child's stderr lines go: the agent's log (ha.stderr.log), each line prefixed with the child's name. */
export type ChildLog = (line: string) => void;

/** Longest stderr line kept or logged whole; the rest of a longer one is dropped. */
const MAX_LINE = 4096;

/** Keeps the last 40 stderr lines of a child and hands each complete one to `log`. */
export function stderrLines(log: ChildLog): { push(b: Buffer): void; tail(): string[]; add(line: string): void } {
  const tail: string[] = [];
  let partial = "";
  const add = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  return {
    push(b) {
      const lines = (partial + b.toString("utf8")).split("\n");
      partial = (lines.pop() ?? "").slice(-MAX_LINE); // a line without end is kept as its tail
      for (const l of lines) {
        if (l.trim() === "") continue;
        const line = l.slice(0, MAX_LINE);
        log(line);
        add(line);
      }
    },
    tail: () => (partial.trim() ? [...tail, partial] : [...tail]),
    add,
  };
}

/**
 * Spawns a child the agent supervises. Its stderr lines go to `log` (the agent's log, prefixed with
 * `name`) and the last ones are kept for error messages.
 */
export function supervise(name: string, command: string, args: string[], log: ChildLog, opts: { stdio?: "ignore" | "pipe" } = {}): Supervised {
  const child = startChild(command, args, { stdio: [opts.stdio ?? "ignore", opts.stdio ?? "ignore", "pipe"] });
  const lines = stderrLines(log);
  child.stderr?.on("data", (b: Buffer) => lines.push(b));
  child.once("error", (e) => lines.add(`${command}: ${e.message}`));
  const exited = exitOf(child);
  return { child, name, exited, stderrTail: () => lines.tail() };
}
