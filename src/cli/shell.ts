import type { Command } from "commander";

export function register(program: Command): void {
  // Everything after NAME belongs to the guest command (`tslima shell vm sh -c 'exit 7'`); main.ts
  // enables positional options for the program, which passThroughOptions needs.
  program
    .command("shell")
    .description("run a command (or a login shell) in an instance")
    .argument("<name>", "instance name")
    .argument("[command...]", "command and arguments (default: a login shell)")
    .option("--workdir <dir>", "guest directory to run in (default: the current directory when it is mounted, else home)")
    .passThroughOptions()
    .action(async (name: string, command: string[], flags: { workdir?: string }) => {
      // `tslima shell vm -- cmd --flag`: commander keeps the separator among the passed-through words.
      const argv = command[0] === "--" ? command.slice(1) : command;
      const { shell } = await import("../shell.js");
      process.exitCode = await shell(name, argv, flags.workdir !== undefined ? { workdir: flags.workdir } : {});
    });
}
