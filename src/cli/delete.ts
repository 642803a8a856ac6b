import type { Command } from "commander";
import { deleteInstance } from "../index.js";

export function register(program: Command): void {
  program
    .command("delete")
    .alias("rm")
    .description("delete instances (a running one only with -f)")
    .argument("<names...>", "instance names")
    .option("-f, --force", "stop running instances first")
    .action(async (names: string[], flags: { force?: boolean }) => {
      for (const name of names) {
        await deleteInstance(name, { force: flags.force === true });
        process.stderr.write(`deleted instance ${name}\n`);
      }
    });
}
