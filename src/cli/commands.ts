import type { Command } from "commander";

export interface CommandModule {
  register(program: Command): void;
}

/** A CLI command: the names it answers to (name, then aliases) and its module, imported on use. */
export interface CommandEntry {
  names: string[];
  load: () => Promise<CommandModule>;
}

/**
 * Every CLI command, in the order `--help` lists them; one file per command under src/cli/. The
 * names must match what the file registers (test/unit/cli-lazy.test.ts checks it): `tslima NAME`
 * imports that one file only (and what it imports), so a command never loads the others.
 */
export const commands: CommandEntry[] = [
  { names: ["create"], load: () => import("./create.js") },
  { names: ["start"], load: () => import("./start.js") },
  { names: ["stop"], load: () => import("./stop.js") },
  { names: ["restart"], load: () => import("./restart.js") },
  { names: ["suspend"], load: () => import("./suspend.js") },
  { names: ["snapshot"], load: () => import("./snapshot.js") },
  { names: ["disk"], load: () => import("./disk.js") },
  { names: ["network"], load: () => import("./network.js") },
  { names: ["shell"], load: () => import("./shell.js") },
  { names: ["copy", "cp"], load: () => import("./copy.js") },
  { names: ["tunnel"], load: () => import("./tunnel.js") },
  { names: ["screenshot"], load: () => import("./screenshot.js") },
  { names: ["show-ssh"], load: () => import("./show-ssh.js") },
  { names: ["delete", "remove", "rm"], load: () => import("./delete.js") },
  { names: ["edit"], load: () => import("./edit.js") },
  { names: ["clone"], load: () => import("./clone.js") },
  { names: ["rename"], load: () => import("./rename.js") },
  { names: ["factory-reset"], load: () => import("./factory-reset.js") },
  { names: ["autostart"], load: () => import("./autostart.js") },
  { names: ["start-at-login"], load: () => import("./start-at-login.js") },
  { names: ["protect"], load: () => import("./protect.js") },
  { names: ["unprotect"], load: () => import("./unprotect.js") },
  { names: ["list", "ls"], load: () => import("./list.js") },
  { names: ["info"], load: () => import("./info.js") },
  { names: ["watch"], load: () => import("./watch.js") },
  { names: ["image"], load: () => import("./image.js") },
  { names: ["prune"], load: () => import("./prune.js") },
  { names: ["validate"], load: () => import("./validate.js") },
  { names: ["template"], load: () => import("./template.js") },
  { names: ["doctor"], load: () => import("./doctor.js") },
  { names: ["completion"], load: () => import("./completion.js") },
  { names: ["bench"], load: () => import("./bench.js") },
  { names: ["yq"], load: () => import("./yq.js") },
  { names: ["mcp"], load: () => import("./mcp.js") },
];

/** `name` is a command's name or alias, or `help` (commander's help command, as cobra's). */
export function isCommandName(name: string): boolean {
  return name === "help" || commands.some((c) => c.names.includes(name));
}

/**
 * The commands to register for `argv`: the one it names first, none for `--version`, and all of
 * them for anything else (`--help`, `help`, no command, a mistyped one: help and "did you mean"
 * need every name) and for `completion` (its script lists every command and flag).
 */
export function commandsFor(argv: string[]): CommandEntry[] {
  const first = argv[0];
  if (first === "-v" || first === "--version") return [];
  if (first === "completion") return commands;
  const named = commands.find((c) => first !== undefined && c.names.includes(first));
  return named ? [named] : commands;
}

/** Registers the commands `argv` needs (see commandsFor), importing only their modules. */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const modules = await Promise.all(commandsFor(argv).map((c) => c.load()));
  for (const m of modules) m.register(program);
}
