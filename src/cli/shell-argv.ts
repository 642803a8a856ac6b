/**
 * The words after `shell`, parsed as Lima's shell parses them (flags up to the first argument,
 * then everything is the instance and its command), without commander: the hot path (`tslima shell
 * NAME CMD...` should cost little more than the ssh it runs, issue 11) skips loading commander and
 * the command table, and every form but help is answered here, so `limactl shell` gives Lima's
 * usage errors. Pure.
 */
export interface ShellArgs {
  name: string;
  command: string[];
  workdir?: string;
  shell?: string;
  start?: boolean;
  preserveEnv?: boolean;
  reconnect?: boolean;
  /** `--sync DIR`: the host directory copied into the guest and back. */
  sync?: string;
}

/** A run, a usage error (printed as `error: USAGE`, exit 1), or a help request (commander's). */
export type ShellParse = { args: ShellArgs; warning?: string } | { usage: string } | { help: true };

/** The flags `shell` takes before its arguments (Lima's): valued ones, then switches. */
const VALUED = { "--workdir": "workdir", "--shell": "shell", "--instance": "instance", "--sync": "sync" } as const;
const SWITCHES = { "--start": "start", "--preserve-env": "preserveEnv", "--reconnect": "reconnect" } as const;
/** The words a switch's `=VALUE` may be (Go's strconv.ParseBool, which Lima's flags use). */
const TRUE = ["1", "t", "T", "true", "TRUE", "True"];
const FALSE = ["0", "f", "F", "false", "FALSE", "False"];
/** Commands of limactl that `lima CMD` (a shell in $LIMA_INSTANCE) was probably not meant to run. */
const LIMACTL_WORDS = ["create", "start", "delete", "shell"];

/** The valued flags of shell, whose next word is a value and not an argument (see extractGlobals). */
export const SHELL_VALUED_FLAGS: readonly string[] = Object.keys(VALUED);

/**
 * `[FLAGS] NAME [--] [COMMAND...]`, or `--instance NAME [FLAGS] [--] [COMMAND...]` (every argument is
 * the command). `prog` names the CLI in the warning about `lima start` and the like.
 */
export function parseShellArgs(words: string[], prog = "tslima"): ShellParse {
  const flags: Omit<ShellArgs, "name" | "command"> & { instance?: string } = {};
  let i = 0;
  for (; i < words.length; i++) {
    const a = words[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-h" || a === "--help") return { help: true };
    if (!a.startsWith("-") || a === "-") break;
    if (!a.startsWith("--")) return { usage: `unknown shorthand flag: '${a[1]}' in ${a}` };
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (key in VALUED) {
      const value = eq > 0 ? a.slice(eq + 1) : words[++i];
      if (value === undefined) return { usage: `flag needs an argument: ${key}` };
      flags[VALUED[key as keyof typeof VALUED]] = value;
    } else if (key in SWITCHES) {
      const value = eq > 0 ? a.slice(eq + 1) : "true";
      if (!TRUE.includes(value) && !FALSE.includes(value)) return { usage: `invalid argument ${JSON.stringify(value)} for ${JSON.stringify(key)} flag: use true or false` };
      flags[SWITCHES[key as keyof typeof SWITCHES]] = TRUE.includes(value);
    } else return { usage: `unknown flag: ${key}` };
  }
  const { instance, ...rest } = flags;
  const positional = words.slice(i);
  let name: string;
  let command: string[];
  if (instance) {
    name = instance;
    command = positional;
  } else {
    if (positional.length === 0) return { usage: "requires instance name as first argument" };
    name = positional[0]!;
    command = positional[1] === "--" ? positional.slice(2) : positional.slice(1);
  }
  const args = { name, command, ...rest };
  return command[0] !== undefined && LIMACTL_WORDS.includes(command[0]) ? { args, warning: `perhaps you meant \`${prog} ${command.join(" ")}\`?` } : { args };
}
