import type { Command } from "commander";
import { isTslimaError, TslimaError } from "../errors.js";
import type { ShellArgs } from "./shell-argv.js";
import type { SyncOptions } from "../shell.js";
import { LIMA_ERROR } from "./messages.js";

/**
 * Runs `shell` with its parsed flags (both from commander and from main.ts's fast path). Under the
 * name limactl, a missing or stopped instance fails with Lima's words (see limaShellError).
 */
export async function runShell(a: ShellArgs, prog = "tslima"): Promise<number> {
  try {
    return await shellOnce(a);
  } catch (e) {
    // Lima 2.x on a terminal: a stopped instance is started when the user says so (not with --start given)
    if (a.start === undefined && isStopped(e, a.name) && (await askToStart())) return runShell({ ...a, start: true }, prog);
    throw prog === "limactl" ? (limaShellError(e, a.name) ?? e) : e;
  }
}

function isStopped(e: unknown, name: string): boolean {
  return isTslimaError(e) && e.kind === "NOT_RUNNING" && e.message.startsWith(`instance ${name} is Stopped`);
}

/** Asks on the terminal whether to start the instance (yes by default); false without a terminal or with --tty=false. */
async function askToStart(): Promise<boolean> {
  if (process.stdin.isTTY !== true || process.env.TSLIMA_TTY === "false") return false;
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question("Do you want to start the instance now? [Y/n] ")).trim().toLowerCase();
    return answer === "" || answer === "y" || answer === "yes";
  } finally {
    rl.close();
  }
}

async function shellOnce(a: ShellArgs): Promise<number> {
  const { shell } = await import("../shell.js");
  const start = a.start === true ? { onEvent: (await import("./start.js")).progressPrinter(), onMessage: (m: string) => void process.stderr.write(`${m}\n`) } : undefined;
  return shell(a.name, a.command, {
    ...(a.workdir !== undefined ? { workdir: a.workdir } : {}),
    ...(a.shell !== undefined ? { shell: a.shell } : {}),
    ...(start !== undefined ? { start } : {}),
    ...(a.preserveEnv === true ? { preserveEnv: true } : {}),
    ...(a.reconnect === true ? { reconnect: true } : {}),
    ...(a.sync !== undefined ? { sync: syncOption(a.sync) } : {}),
  });
}

/**
 * `--sync DIR`: Lima's global `--tty=false` / `--yes` (TSLIMA_TTY=false) copies the changes back
 * without asking; else the library asks on a terminal and copies back without one, as Lima does.
 */
function syncOption(dir: string): SyncOptions {
  return {
    dir,
    ...(process.env.TSLIMA_TTY === "false" ? { apply: "yes" as const } : {}),
    onMessage: (m: string) => void process.stderr.write(`${m}\n`),
  };
}

/**
 * Lima's text for the two errors scripts match on (`instance \`x\` does not exist`, `instance \`x\`
 * is stopped`), each naming the limactl command that fixes it, so without a hint; undefined for
 * any other error, which keeps tslima's. The code stays. Pure.
 */
export function limaShellError(e: unknown, name: string): TslimaError | undefined {
  if (!isTslimaError(e)) return undefined;
  if (e.kind === "UNKNOWN_INSTANCE") return new TslimaError(e.code, LIMA_ERROR.shellMissing(name));
  if (isStopped(e, name)) return new TslimaError(e.code, LIMA_ERROR.shellStopped(name));
  return undefined;
}

export function register(program: Command): void {
  // Only `shell --help` gets here: main.ts parses every other form of shell (shell-argv.ts).
  program
    .command("shell")
    .description("run a command (or a login shell) in an instance")
    .argument("<name>", "instance name")
    .argument("[command...]", "command and arguments (default: a login shell); flags after NAME are the command's")
    .option("--instance <name>", "the instance, instead of the first argument (then every argument is the command)")
    .option("--workdir <dir>", "guest directory to run in (default: the current directory when it is mounted, else home)")
    .option("--shell <shell>", "guest shell that runs the command, e.g. /bin/bash (default: the user's $SHELL)")
    .option("--start", "start the instance first if it is not running")
    .option("--preserve-env", "pass the host's environment variables (LIMA_SHELLENV_ALLOW / LIMA_SHELLENV_BLOCK select them)")
    .option("--reconnect", "end the instance's ssh connection (ControlMaster) first and open a new one")
    .option("--sync <dir>", "copy the host directory DIR into the guest, run there, then copy the changes back (asked on a terminal; -y/--tty=false: without asking)")
    .passThroughOptions()
    .action(async (name: string, command: string[], flags: Omit<ShellArgs, "name" | "command">) => {
      const argv = command[0] === "--" ? command.slice(1) : command;
      process.exitCode = await runShell({ ...flags, name, command: argv });
    });
}
