import { main } from "./main.js";

/**
 * Lima's `lima` command: `lima ARGS...` is `limactl shell --instance $LIMA_INSTANCE ARGS...` (default
 * instance "default"), with $LIMA_WORKDIR as --workdir and $LIMA_SHELL as --shell (the login shell
 * that runs the command), as Lima's lima script. So shell parses ARGS: its flags (and the global
 * ones) before the command are taken, an unknown flag is refused, `--` ends them. Returns the tslima
 * argv; a help request gives `help` text instead. Pure.
 */
export function limaArgv(args: string[], env: NodeJS.ProcessEnv): { argv: string[] } | { help: string } {
  const instance = env.LIMA_INSTANCE || "default";
  if (args.length === 1 && (args[0] === "-h" || args[0] === "--help")) {
    return {
      help: [
        "Usage: lima [COMMAND...]",
        "",
        `lima is an alias for "limactl shell ${instance}".`,
        `The instance name ("${instance}") can be changed by specifying $LIMA_INSTANCE.`,
        "",
        "The shell and initial workdir inside the instance can be specified via $LIMA_SHELL",
        "and $LIMA_WORKDIR.",
        "",
        "See `limactl shell --help` for further information.",
        "",
      ].join("\n"),
    };
  }
  if (args.length === 1 && (args[0] === "-v" || args[0] === "--version")) return { argv: args };
  const argv = [
    "shell",
    ...(env.LIMA_WORKDIR ? ["--workdir", env.LIMA_WORKDIR] : []),
    ...(env.LIMA_SHELL ? ["--shell", env.LIMA_SHELL] : []),
    "--instance",
    instance,
    ...args,
  ];
  return { argv };
}

/** bin/lima.js: runs `lima ARGS` through the CLI under the name limactl. */
export async function limaMain(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const r = limaArgv(args, env);
  if ("help" in r) {
    process.stdout.write(r.help);
    return 0;
  }
  return main(r.argv, "limactl");
}
