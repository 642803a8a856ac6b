import type { Command } from "commander";
import { hostInfo } from "../index.js";

export function register(program: Command): void {
  program
    .command("info")
    .description("show version, home, templates and the accelerator as JSON")
    .action(async () => {
      process.stdout.write(`${JSON.stringify(await hostInfo(), null, 2)}\n`);
    });
}
