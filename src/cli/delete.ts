import type { Command } from "commander";

export function register(program: Command): void {
  program
    .command("delete")
    .aliases(["remove", "rm"])
    .description("delete instances (a running one only with -f)")
    .argument("<names...>", "instance names")
    .option("-f, --force", "stop running instances first")
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { deleteInstance } = await import("../internal.js");
      for (const name of names) {
        await deleteInstance(name, { force: flags.force === true, onMessage: (m) => void process.stderr.write(`${m}\n`) });
        process.stderr.write(`deleted instance ${name}\n`);
      }
    });
}
