/**
 * `tslima shell` without commander: the hot path (`tslima shell NAME CMD...` should cost little
 * more than the ssh it runs, issue 11) parses its few forms here and skips loading commander and
 * the command table. Anything else (help, an unknown option, a missing name) returns undefined and
 * goes through commander as before, so the messages stay commander's. Pure.
 */
export interface ShellArgs {
  name: string;
  command: string[];
  workdir?: string;
  shell?: string;
  start?: boolean;
  preserveEnv?: boolean;
  reconnect?: boolean;
}

/** The flags `shell` takes before NAME (Lima's): valued ones, then switches. */
const VALUED = { "--workdir": "workdir", "--shell": "shell" } as const;
const SWITCHES = { "--start": "start", "--preserve-env": "preserveEnv", "--reconnect": "reconnect" } as const;

/** `[FLAGS] NAME [--] [COMMAND...]` (the words after `shell`), or undefined. */
export function parseShellArgs(args: string[]): ShellArgs | undefined {
  const flags: Omit<ShellArgs, "name" | "command"> = {};
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (key in VALUED) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined) return undefined;
      flags[VALUED[key as keyof typeof VALUED]] = value;
    } else if (eq < 0 && a in SWITCHES) flags[SWITCHES[a as keyof typeof SWITCHES]] = true;
    else break;
  }
  const name = args[i];
  if (name === undefined || name.startsWith("-")) return undefined;
  let command = args.slice(i + 1);
  if (command[0] === "--") command = command.slice(1);
  return { name, command, ...flags };
}
