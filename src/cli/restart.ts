import type { Command } from "commander";
import { parseDuration } from "./duration.js";
import { progressPrinter, withInterrupt } from "./start.js";
import { stopLikeCommand, type StopFlags } from "./stop.js";

export function register(program: Command): void {
  stopLikeCommand(program, "restart", "stop and start an instance", {
    force: "kill instead of powering off",
    timeout: "give up starting after this long",
    timeoutDefault: "10m",
  })
    .option("--progress", "show the guest's cloud-init output while it boots (as start --progress)")
    .action(async (name: string, flags: StopFlags & { progress?: boolean }) => {
      const { startInstance, stopInstance } = await import("../internal.js");
      const say = (m: string) => void process.stderr.write(`${m}\n`);
      await stopInstance(name, { force: flags.force === true, onMessage: say });
      await withInterrupt((signal) =>
        startInstance(name, { timeoutMs: parseDuration(flags.timeout), ...(flags.progress === true ? { progress: true } : {}), onEvent: progressPrinter(), onMessage: say, signal }),
      );
    });
}
