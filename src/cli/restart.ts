import type { Command } from "commander";
import { stopInstance } from "../instance/stop.js";
import { startInstance } from "../instance/start.js";
import { parseDuration } from "./output.js";
import { progressPrinter, withInterrupt } from "./start.js";

export function register(program: Command): void {
  program
    .command("restart")
    .description("stop and start an instance")
    .argument("[name]", "instance name", "default")
    .option("-f, --force", "kill instead of powering off")
    .option("--timeout <duration>", "give up starting after this long", "10m")
    .action(async (name: string, flags: { force?: boolean; timeout: string }) => {
      const say = (m: string) => void process.stderr.write(`${m}\n`);
      await stopInstance(name, { force: flags.force === true, onMessage: say });
      await withInterrupt((signal) =>
        startInstance(name, { timeoutMs: parseDuration(flags.timeout), onEvent: progressPrinter(), onMessage: say, signal }),
      );
    });
}
