import type { Command } from "commander";

/** `protect` / `unprotect NAME...`: sets or clears Lima's protection mark. */
export function protectionCommand(program: Command, name: "protect" | "unprotect", description: string): void {
  program
    .command(name)
    .description(description)
    .argument("<names...>", "instance names")
    .action(async (names: string[]) => {
      const { setProtected } = await import("../internal.js");
      for (const n of names) {
        setProtected(n, name === "protect");
        process.stderr.write(`${name}ed instance ${n}\n`);
      }
    });
}

export function register(program: Command): void {
  protectionCommand(program, "protect", "protect instances: delete, rename and factory-reset refuse them until unprotect");
}
