import type { Command } from "commander";
import type { ShellArgs } from "./shell-argv.js";

/** Runs `shell` with its parsed flags (both from commander and from main.ts's fast path). */
export async function runShell(a: ShellArgs): Promise<number> {
  const { shell } = await import("../shell.js");
  const start = a.start === true ? { onEvent: (await import("./start.js")).progressPrinter(), onMessage: (m: string) => void process.stderr.write(`${m}\n`) } : undefined;
  return shell(a.name, a.command, {
    ...(a.workdir !== undefined ? { workdir: a.workdir } : {}),
    ...(a.shell !== undefined ? { shell: a.shell } : {}),
    ...(start !== undefined ? { start } : {}),
    ...(a.preserveEnv === true ? { preserveEnv: true } : {}),
    ...(a.reconnect === true ? { reconnect: true } : {}),
  });
}

export function register(program: Command): void {
  // Everything after NAME belongs to the guest command (`tslima shell vm sh -c 'exit 7'`); main.ts
  // enables positional options for the program, which passThroughOptions needs.
  program
    .command("shell")
    .description("run a command (or a login shell) in an instance")
    .argument("<name>", "instance name")
    .argument("[command...]", "command and arguments (default: a login shell)")
    .option("--workdir <dir>", "guest directory to run in (default: the current directory when it is mounted, else home)")
    .option("--shell <shell>", "guest shell that runs the command, e.g. /bin/bash (default: the user's $SHELL)")
    .option("--start", "start the instance first if it is not running")
    .option("--preserve-env", "pass the host's environment variables (LIMA_SHELLENV_ALLOW / LIMA_SHELLENV_BLOCK select them)")
    .option("--reconnect", "end the instance's ssh connection (ControlMaster) first and open a new one")
    .passThroughOptions()
    .action(async (name: string, command: string[], flags: Omit<ShellArgs, "name" | "command">) => {
      // `tslima shell vm -- cmd --flag`: commander keeps the separator among the passed-through words.
      const argv = command[0] === "--" ? command.slice(1) : command;
      process.exitCode = await runShell({ ...flags, name, command: argv });
    });
}
