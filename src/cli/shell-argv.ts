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
}

/** `[--workdir DIR | --workdir=DIR] NAME [--] [COMMAND...]` (the words after `shell`), or undefined. */
export function parseShellArgs(args: string[]): ShellArgs | undefined {
  let i = 0;
  let workdir: string | undefined;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--workdir" && i + 1 < args.length) workdir = args[++i];
    else if (a.startsWith("--workdir=")) workdir = a.slice("--workdir=".length);
    else break;
  }
  const name = args[i];
  if (name === undefined || name.startsWith("-")) return undefined;
  let command = args.slice(i + 1);
  if (command[0] === "--") command = command.slice(1);
  return { name, command, ...(workdir !== undefined ? { workdir } : {}) };
}
