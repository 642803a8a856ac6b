import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("unprotect")
    .description("unprotect instances (undo protect)")
    .argument("<names...>", "instance names")
    .action(async (names: string[]) => {
      const { setProtected } = await import("../index.js");
      for (const name of names) {
        setProtected(name, false);
        process.stderr.write(`unprotected instance ${name}\n`);
      }
    });
}
