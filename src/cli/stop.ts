import type { Command } from "commander";
import { stopInstance } from "../instance/stop.js";
import { parseDuration } from "./output.js";

export function register(program: Command): void {
  program
    .command("stop")
    .description("stop an instance (ACPI power-off, killed after the timeout)")
    .argument("[name]", "instance name", "default")
    .option("-f, --force", "kill the VM and the host agent at once, and clean stale files")
    .option("--timeout <duration>", "how long the guest gets to power off", "2m")
    .action(async (name: string, flags: { force?: boolean; timeout: string }) => {
      await stopInstance(name, {
        force: flags.force === true,
        timeoutMs: parseDuration(flags.timeout),
        onMessage: (m) => void process.stderr.write(`${m}\n`),
      });
    });
}
