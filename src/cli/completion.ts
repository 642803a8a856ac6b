import { Command, Option } from "commander";
import type { CompletionCommand } from "./completion-script.js";

/** Commands whose arguments are instance names. */
const ON_INSTANCES = new Set(["start", "stop", "restart", "suspend", "shell", "delete", "info", "protect", "unprotect", "list", "edit", "rename", "clone", "factory-reset", "doctor", "watch", "start-at-login"]);

function flagsOf(options: readonly Option[]): string[] {
  return options.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined));
}

export function register(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(tslima completion bash)")
    .addArgument(new Command().createArgument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .action(async (shell: "bash" | "zsh" | "fish") => {
      // `completion` registers every command (commands.ts, commandsFor): the table the script is made from.
      const cmds: CompletionCommand[] = program.commands.map((c) => ({
        names: [c.name(), ...c.aliases()],
        description: c.description(),
        flags: [...flagsOf(c.options), "--help"],
        instances: ON_INSTANCES.has(c.name()),
      }));
      const { completionScript } = await import("./completion-script.js");
      process.stdout.write(completionScript(shell, program.name(), cmds, [...flagsOf(program.options), "--help", "--version"]));
    });
}
