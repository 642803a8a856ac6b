import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("info")
    .description("show version, home, templates, the accelerator and the guest architectures this host can run (emulated or native) as JSON")
    .action(async () => {
      const { hostInfo } = await import("../internal.js");
      process.stdout.write(`${JSON.stringify(await hostInfo(), null, 2)}\n`);
    });
}
