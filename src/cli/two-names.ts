import type { Command } from "commander";
import { info } from "./log.js";
import type { Said } from "./messages.js";
import { parseDuration } from "./duration.js";
import { progressPrinter, withInterrupt } from "./start.js";

/** `clone`/`rename OLD NEW [--start]`: `act` makes NEW from OLD; with --start NEW is started then. */
export function twoNamesCommand(program: Command, name: string, description: string, done: (from: string, to: string) => Said, act: (from: string, to: string) => Promise<unknown>): void {
  program
    .command(name)
    .description(description)
    .argument("<old>", "the instance")
    .argument("<new>", "the new instance name")
    .option("--start", "start the new instance afterwards")
    .option("--timeout <duration>", "with --start: give up after this long", "10m")
    .action(async (from: string, to: string, flags: { start?: boolean; timeout: string }) => {
      await act(from, to);
      info(done(from, to));
      if (flags.start) await startAfter(to, flags.timeout);
    });
}

/** `--start` of edit/clone/rename: starts the instance with start's progress lines. */
export async function startAfter(name: string, timeout: string): Promise<void> {
  const { startInstance } = await import("../internal.js");
  const say = (m: string) => void process.stderr.write(`${m}\n`);
  await withInterrupt((signal) => startInstance(name, { timeoutMs: parseDuration(timeout), onEvent: progressPrinter(), onMessage: say, signal }));
}
