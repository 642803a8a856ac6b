/** What a completion script knows of one command (from commander's table). */
export interface CompletionCommand {
  names: string[];
  description: string;
  /** Flags as typed: "--cpus", "-f". */
  flags: string[];
  /** Whether its arguments are instance names (completed from `PROG list -q`). */
  instances: boolean;
}

const word = (s: string) => s.replace(/[^A-Za-z0-9_.,:=+/-]/g, "");

function bashBody(prog: string, cmds: CompletionCommand[], globals: string[]): string {
  const fn = `_${prog.replace(/[^A-Za-z0-9_]/g, "_")}_complete`;
  const cases = cmds
    .map((c) => `    ${c.names.map(word).join("|")}) opts=${JSON.stringify(c.flags.map(word).join(" "))}; inst=${c.instances ? 1 : 0} ;;`)
    .join("\n");
  return `${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" opts="" inst=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W ${JSON.stringify([...cmds.flatMap((c) => c.names), ...globals].map(word).join(" "))} -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts ${globals.map(word).join(" ")}" -- "$cur"))
  elif [ "$inst" = 1 ]; then
    COMPREPLY=($(compgen -W "$(${word(prog)} list -q 2>/dev/null)" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F ${fn} ${word(prog)}
`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishBody(prog: string, cmds: CompletionCommand[], globals: string[]): string {
  const p = word(prog);
  const lines = [`complete -c ${p} -e`];
  for (const g of globals) lines.push(`complete -c ${p} ${fishFlag(g)}`);
  for (const c of cmds) {
    for (const n of c.names) lines.push(`complete -c ${p} -f -n __fish_use_subcommand -a ${word(n)} -d ${fishQuote(c.description)}`);
    const seen = `'__fish_seen_subcommand_from ${c.names.map(word).join(" ")}'`;
    for (const f of c.flags) lines.push(`complete -c ${p} -n ${seen} ${fishFlag(f)}`);
    if (c.instances) lines.push(`complete -c ${p} -f -n ${seen} -a '(${p} list -q 2>/dev/null)'`);
  }
  return `${lines.join("\n")}\n`;
}

function fishFlag(f: string): string {
  return f.startsWith("--") ? `-l ${word(f.slice(2))}` : `-s ${word(f.slice(1))}`;
}

/**
 * The completion script for `shell` (bash, zsh or fish) of the CLI named `prog`: command names,
 * each command's flags, and instance names from `PROG list -q`. zsh loads the bash script through
 * bashcompinit. Pure.
 */
export function completionScript(shell: "bash" | "zsh" | "fish", prog: string, cmds: CompletionCommand[], globals: string[]): string {
  if (shell === "fish") return fishBody(prog, cmds, globals);
  const bash = bashBody(prog, cmds, globals);
  if (shell === "bash") return `# bash completion for ${word(prog)}: source <(${word(prog)} completion bash)\n${bash}`;
  return `#compdef ${word(prog)}\n# zsh completion for ${word(prog)}: source <(${word(prog)} completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}
