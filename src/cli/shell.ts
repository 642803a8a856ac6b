import type { Command } from "commander";
import { shell } from "../instance/shell.js";

export function register(program: Command): void {
  // Everything after NAME belongs to the guest command (`tslima shell vm sh -c 'exit 7'`).
  program.enablePositionalOptions();
  program
    .command("shell")
    .description("run a command (or a login shell) in an instance")
    .argument("<name>", "instance name")
    .argument("[command...]", "command and arguments (default: a login shell)")
    .option("--workdir <dir>", "guest directory to run in (default: the current directory when it is mounted, else home)")
    .passThroughOptions()
    .action(async (name: string, command: string[], flags: { workdir?: string }) => {
      process.exitCode = await shell(name, command, flags.workdir !== undefined ? { workdir: flags.workdir } : {});
    });
}
