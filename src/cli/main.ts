import { readFileSync } from "node:fs";
import { isTslimaError } from "../errors.js";

export const version: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Runs the CLI and returns the process exit code. The one place where errors become text. */
export async function main(argv: string[]): Promise<number> {
  // `tslima --version` answers before commander (most of the start-up of a command) is loaded.
  if (argv.length === 1 && (argv[0] === "-v" || argv[0] === "--version")) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  // `tslima shell NAME ...` in its plain forms: no commander either (see shell-argv.ts)
  if (argv[0] === "shell") {
    const { parseShellArgs } = await import("./shell-argv.js");
    const fast = parseShellArgs(argv.slice(1));
    if (fast !== undefined) {
      try {
        const { shell } = await import("../shell.js");
        return await shell(fast.name, fast.command, fast.workdir !== undefined ? { workdir: fast.workdir } : {});
      } catch (e) {
        return reportError(e);
      }
    }
  }
  const [{ Command, CommanderError }, { registerCommands }] = await Promise.all([import("commander"), import("./commands.js")]);
  const program = new Command("tslima")
    .description("Linux virtual machines on QEMU, configured with Lima's YAML")
    .version(version, "-v, --version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.showHelpAfterError("(run `tslima --help` for usage)");
  // Program options only before the command: everything after `shell NAME` belongs to the guest command.
  program.enablePositionalOptions();
  try {
    await registerCommands(program, argv);
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode;
    }
    return reportError(e);
  }
}

/** An error as the CLI prints it: code, message and hint for a TslimaError (exit 1), else a bug (exit 2). */
function reportError(e: unknown): number {
  if (isTslimaError(e)) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    process.stderr.write(`code: ${e.code}\n`);
    if (process.env.TSLIMA_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`internal error: ${err?.message ?? String(e)}\n`);
  if (err?.stack) process.stderr.write(`${err.stack}\n`);
  return 2;
}
