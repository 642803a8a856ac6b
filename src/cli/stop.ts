import type { Command } from "commander";
import { parseDuration } from "./duration.js";

export interface StopFlags {
  force?: boolean;
  timeout: string;
}

/** A command on one instance with -f/--force and --timeout: what stop and restart share. */
export function stopLikeCommand(program: Command, name: string, description: string, help: { force: string; timeout: string; timeoutDefault: string }): Command {
  return program
    .command(name)
    .description(description)
    .argument("[name]", "instance name", "default")
    .option("-f, --force", help.force)
    .option("--timeout <duration>", help.timeout, help.timeoutDefault);
}

const HELP = {
  force: "kill the VM and the host agent at once, and clean stale files",
  timeout: "how long the guest gets to power off",
  timeoutDefault: "2m",
};

async function stop(name: string, flags: StopFlags): Promise<void> {
  const { stopInstance } = await import("../index.js");
  await stopInstance(name, { force: flags.force === true, timeoutMs: parseDuration(flags.timeout), onMessage: (m) => void process.stderr.write(`${m}\n`) });
}

export function register(program: Command): void {
  stopLikeCommand(program, "stop", "stop an instance (ACPI power-off, killed after the timeout)", HELP).action(stop);
}
