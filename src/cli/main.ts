import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { isTslimaError } from "../index.js";
import { commands } from "./commands.js";

export const version: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Runs the CLI and returns the process exit code. The one place where errors become text. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command("tslima")
    .description("Linux virtual machines on QEMU, configured with Lima's YAML")
    .version(version, "-v, --version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.showHelpAfterError("(run `tslima --help` for usage)");
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode;
    }
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
}
