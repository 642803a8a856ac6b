import { configureLog, fatal, info, limaWords, reportError, warn } from "./log.js";
import { parseShellArgs, SHELL_VALUED_FLAGS } from "./shell-argv.js";
import { LIMA_COMPAT_VERSION, TSLIMA_VERSION } from "../version.js";

/**
 * What `--version` prints: tslima's version; under the name limactl, cobra's line for Lima's
 * (`limactl version 2.2.0+tslima.0.1.0`), which tools written for Lima parse (see src/version.ts).
 */
export function versionLine(prog: string): string {
  return prog === "limactl" ? `limactl version ${LIMA_COMPAT_VERSION}` : TSLIMA_VERSION;
}

/**
 * Runs the CLI and returns the process exit code. The one place where errors become text. `prog` is
 * the name it was called by: "tslima", or "limactl" (bin/limactl.js, the drop-in for Lima's).
 */
export async function main(rawArgv: string[], prog = "tslima"): Promise<number> {
  // `tslima --version` answers before commander (most of the start-up of a command) is loaded.
  if (rawArgv.length === 1 && (rawArgv[0] === "-v" || rawArgv[0] === "--version")) {
    process.stdout.write(`${versionLine(prog)}\n`);
    return 0;
  }
  // `shell`: parsed here, without commander (see shell-argv.ts); only `shell --help` goes on
  if (commandWord(rawArgv)?.name === "shell") {
    const code = await shellCommand(rawArgv, prog);
    if (code !== undefined) return code;
  }
  const [{ Command, CommanderError, Option }, { registerCommands, isCommandName }] = await Promise.all([import("commander"), import("./commands.js")]);
  // `limactl NAME ARGS...` with NAME no command of its own: the program limactl-NAME, as in Lima
  const word = commandWord(rawArgv);
  if (word !== undefined && !isCommandName(word.name)) {
    const { findPlugin, runPlugin } = await import("../plugins.js");
    const plugin = findPlugin(word.name);
    if (plugin !== undefined) {
      try {
        extractGlobals(rawArgv.slice(0, word.index));
        return await runPlugin(plugin, rawArgv.slice(word.index + 1));
      } catch (e) {
        if (!(e instanceof GlobalFlagError)) return reportError(e);
        await configureLog(prog, undefined);
        return fatal(e.message);
      }
    }
  }
  let argv: string[];
  try {
    const { globals, rest } = extractGlobals(rawArgv);
    // An unknown command fails as in Lima, also with --help or --version (commander would print
    // the general help and exit 0, and a script probing `limactl CMD --help` would take CMD for real).
    const first = rest.find((a) => !a.startsWith("-"));
    argv = first !== undefined && !isCommandName(first) ? [first] : rest;
    await applyGlobals(globals, prog, rest.find((a) => !a.startsWith("-")));
  } catch (e) {
    if (!(e instanceof GlobalFlagError)) throw e;
    await configureLog(prog, undefined);
    return fatal(e.message);
  }
  const program = new Command(prog)
    .description("Linux virtual machines on QEMU, configured with Lima's YAML")
    .version(versionLine(prog), "-v, --version")
    .exitOverride()
    // Lima's (cobra's) words, which scripts grep for: "unknown flag", `unknown command "x" for "limactl"`.
    .configureOutput({
      outputError: (str, write) => {
        const text = str
          .replace(/^error: unknown option '([^']*)'/, "error: unknown flag: $1")
          .replace(/^error: unknown command '(.*)'$/m, (_, name: string) => `error: unknown command ${JSON.stringify(name)} for ${JSON.stringify(prog)}`);
        const m = /^error: (.*)\n?([\s\S]*)$/.exec(text);
        const rest = m === null ? text : (m[2] ?? "");
        // Lima logs the error with cobra's suggestion in it; tslima prints commander's lines
        const guess = /^\(Did you mean (.*)\?\)/.exec(rest)?.[1];
        if (m !== null) fatal(`${m[1] ?? ""}${limaWords() && guess !== undefined ? `\n\nDid you mean this?\n\t${guess}\n` : ""}`);
        if (rest !== "" && !limaWords()) write(rest);
      },
    });
  // Lima's global flags: taken out of argv by extractGlobals (anywhere), listed here for --help.
  program
    .addOption(new Option("--debug", "debug mode (stack traces of errors)"))
    .addOption(new Option("--log-level <level>", "trace, debug, info, warn, error (debug and trace turn --debug on)"))
    .addOption(new Option("--log-format <format>", "text, or json: one JSON object per line on stderr (level, msg, time)"))
    .addOption(new Option("--tty [bool]", "--tty=false: never ask, never open an editor"))
    .addOption(new Option("-y, --yes", "same as --tty=false"));
  // the general help lists the plugins, as Lima's does (URL handlers, and names a command takes, left out)
  const first = argv.find((a) => !a.startsWith("-"));
  if (first === undefined || first === "help") {
    const { discoverPlugins } = await import("../plugins.js");
    program.addHelpText("after", () => pluginHelp(discoverPlugins().filter((p) => !isCommandName(p.name))));
  }
  // Lima (cobra with its usage silenced) says no more than the error
  if (!limaWords()) program.showHelpAfterError(`(run \`${prog} --help\` for usage)`);
  // Program options only before the command: everything after `shell NAME` belongs to the guest command.
  program.enablePositionalOptions();
  try {
    await reapSandboxes();
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

/** Deletes what an MCP server's `--from` sandbox left when its server was killed (src/sandboxes.ts). */
async function reapSandboxes(): Promise<void> {
  try {
    const { reapOrphanedSandboxes } = await import("../sandboxes.js");
    await reapOrphanedSandboxes(undefined, (m) => info(m));
  } catch (e) {
    warn(`could not delete an ended MCP sandbox: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `shell ...` (after any global flags): its exit code, or undefined for a help request. */
async function shellCommand(rawArgv: string[], prog: string): Promise<number | undefined> {
  let rest: string[];
  try {
    const extracted = extractGlobals(rawArgv);
    rest = extracted.rest;
    await applyGlobals(extracted.globals, prog);
  } catch (e) {
    if (!(e instanceof GlobalFlagError)) throw e;
    await configureLog(prog, undefined);
    return fatal(e.message);
  }
  const parsed = parseShellArgs(rest.slice(1), prog);
  if ("help" in parsed) return undefined;
  if ("usage" in parsed) return fatal(parsed.usage);
  if (parsed.warning) warn(parsed.warning);
  try {
    const { runShell } = await import("./shell.js");
    return await runShell(parsed.args, prog);
  } catch (e) {
    return reportError(e);
  }
}

/** Puts Lima's global flags in force (TSLIMA_DEBUG, TSLIMA_TTY, the log lines' style). */
async function applyGlobals(globals: Globals, prog: string, command?: string): Promise<void> {
  if (globals.debug) process.env.TSLIMA_DEBUG = "1";
  if (globals.tty === false) process.env.TSLIMA_TTY = "false";
  await configureLog(prog, globals.logFormat);
  if (globals.yes && command !== undefined && ["clone", "edit", "rename"].includes(command)) {
    warn("--yes flag is deprecated (--tty=false is still supported and works in the same way. Also consider using --start)");
  }
}

/**
 * The command word of argv and its index, after Lima's global flags (and their values); none when a
 * flag of another kind (--help) comes first. Pure.
 */
export function commandWord(argv: string[]): { name: string; index: number } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--log-level" || a === "--log-format") i++;
    else if (a === "--debug" || a === "-y" || a === "--yes" || a === "--tty" || /^--(tty|log-level|log-format)=/.test(a)) continue;
    else if (a.startsWith("-")) return undefined;
    else return { name: a, index: i };
  }
  return undefined;
}

/** The section of the general help that lists the plugins (not the limactl-url-SCHEME ones). Pure. */
export function pluginHelp(plugins: Array<{ name: string; description?: string }>): string {
  const shown = plugins.filter((p) => !p.name.startsWith("url-"));
  if (shown.length === 0) return "";
  const width = Math.max(...shown.map((p) => p.name.length));
  return `\nAvailable Plugins (Experimental):\n${shown.map((p) => `  ${p.description ? `${p.name.padEnd(width)}  ${p.description}` : p.name}`).join("\n")}\n`;
}

/**
 * Lima's global flags (cobra's persistent flags), accepted anywhere before the command's own
 * arguments end: `--debug`, `--log-level LEVEL`, `--tty[=BOOL]`, `-y/--yes`. They are taken out of
 * argv before commander parses it. For `shell` they are looked for only up to the instance name:
 * what follows belongs to the guest command. Pure.
 */
export interface Globals {
  debug: boolean;
  logLevel?: string;
  /** --log-format text|json (Lima's). */
  logFormat?: "text" | "json";
  /** false with --tty=false or -y/--yes: never ask, never open an editor. */
  tty?: boolean;
  /** -y/--yes was given (Lima's deprecated spelling of --tty=false for clone, edit and rename). */
  yes?: boolean;
}

const LEVELS = ["trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"];

export class GlobalFlagError extends Error {}

function bool(flag: string, v: string): boolean {
  if (["true", "1", "t", "T", "TRUE", "True"].includes(v)) return true;
  if (["false", "0", "f", "F", "FALSE", "False"].includes(v)) return false;
  throw new GlobalFlagError(`invalid argument "${v}" for "${flag}" flag: use true or false`);
}

export function extractGlobals(argv: string[]): { globals: Globals; rest: string[] } {
  const globals: Globals = { debug: false };
  let sawTty = false;
  const rest: string[] = [];
  let positionals = 0;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    // after `--`, and in `shell` after the instance name, every word is the guest command's
    if (a === "--" || (command === "shell" && positionals >= 2)) {
      rest.push(...argv.slice(i));
      break;
    }
    if (command === "shell" && positionals === 1 && SHELL_VALUED_FLAGS.includes(a)) {
      // shell's own --workdir DIR, --shell SH, --instance NAME: the value is no argument
      rest.push(a, ...argv.slice(i + 1, i + 2));
      i++;
    } else if (a === "--debug") globals.debug = true;
    else if (a === "-y" || a === "--yes") {
      globals.tty = false;
      globals.yes = true;
    } else if (a === "--tty") {
      globals.tty = true;
      sawTty = true;
    } else if (a.startsWith("--tty=")) {
      globals.tty = bool("--tty", a.slice(6));
      sawTty = true;
    }
    else if (a === "--log-level" || a.startsWith("--log-level=")) {
      const v = a === "--log-level" ? argv[++i] : a.slice("--log-level=".length);
      if (v === undefined || !LEVELS.includes(v)) {
        throw new GlobalFlagError(`invalid argument ${JSON.stringify(v ?? "")} for "--log-level" flag: use one of ${LEVELS.join(", ")}`);
      }
      globals.logLevel = v;
      if (v === "debug" || v === "trace") globals.debug = true;
    } else if (a === "--log-format" || a.startsWith("--log-format=")) {
      const v = a === "--log-format" ? argv[++i] : a.slice("--log-format=".length);
      if (v !== "text" && v !== "json") throw new GlobalFlagError(`invalid argument ${JSON.stringify(v ?? "")} for "--log-format" flag: use text or json`);
      globals.logFormat = v;
    } else {
      if (!a.startsWith("-")) {
        positionals++;
        if (positionals === 1) command = a;
      }
      rest.push(a);
    }
  }
  if (sawTty && globals.yes) throw new GlobalFlagError("cannot use both --tty and --yes flags at the same time");
  return { globals, rest };
}
