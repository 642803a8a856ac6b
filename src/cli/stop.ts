import type { Command } from "commander";
import { parseDuration } from "./duration.js";

export interface StopFlags {
  force?: boolean;
  timeout: string;
}

/** A command on one instance with -f/--force and --timeout: what stop and restart share. */
export function stopLikeCommand(program: Command, name: string, description: string, help: { force: string; timeout: string; timeoutDefault: string }, several = false): Command {
  return program
    .command(name)
    .description(description)
    .argument(several ? "[names...]" : "[name]", several ? "instance names (default: default)" : "instance name", several ? ["default"] : "default")
    .option("-f, --force", help.force)
    .option("--timeout <duration>", help.timeout, help.timeoutDefault);
}

const HELP = {
  force: "kill the VM and the host agent at once, and clean stale files",
  timeout: "how long the guest gets to power off",
  timeoutDefault: "2m",
};

/** Stops each named instance in turn (Lima's `stop INSTANCE...`); the first failure ends the command. */
async function stop(names: string[], flags: StopFlags): Promise<void> {
  const { stopInstance } = await import("../internal.js");
  for (const name of names) {
    await stopInstance(name, { force: flags.force === true, timeoutMs: parseDuration(flags.timeout), onMessage: (m) => void process.stderr.write(`${m}\n`) });
  }
}

export function register(program: Command): void {
  stopLikeCommand(program, "stop", "stop instances (ACPI power-off, killed after the timeout)", HELP, true).action(stop);
}
