import type { Command } from "commander";
import { parseDuration } from "./duration.js";
import { progressPrinter } from "./start.js";

export function register(program: Command): void {
  program
    .command("suspend")
    .description("save a running instance's VM state to disk and stop it; `start` resumes it")
    .argument("[name]", "instance name", "default")
    .option("--timeout <duration>", "give up waiting after this long", "10m")
    .action(async (name: string, flags: { timeout: string }) => {
      const { suspendInstance } = await import("../internal.js");
      const r = await suspendInstance(name, {
        timeoutMs: parseDuration(flags.timeout),
        onEvent: progressPrinter(),
        onMessage: (m) => void process.stderr.write(`${m}\n`),
      });
      if (!r.alreadySuspended) {
        process.stdout.write(`Instance ${name} is suspended (${(r.stateBytes / 1048576).toFixed(0)} MiB of state). Run \`tslima start ${name}\` to resume it.\n`);
      }
    });
}
