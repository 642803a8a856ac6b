import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("protect")
    .description("protect instances: delete refuses them until unprotect")
    .argument("<names...>", "instance names")
    .action(async (names: string[]) => {
      const { setProtected } = await import("../index.js");
      for (const name of names) {
        setProtected(name, true);
        process.stderr.write(`protected instance ${name}\n`);
      }
    });
}
