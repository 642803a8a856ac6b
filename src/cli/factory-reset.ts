import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("factory-reset")
    .description("drop an instance's disks and state, keeping lima.yaml (a running instance is killed first)")
    .argument("[name]", "instance name", "default")
    .action(async (name: string) => {
      const { factoryReset } = await import("../internal.js");
      await factoryReset(name);
      process.stderr.write(`instance ${name} has been factory reset\n`);
    });
}
