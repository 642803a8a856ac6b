import type { Command } from "commander";
import { MSG } from "./messages.js";
import { twoNamesCommand } from "./two-names.js";

export function register(program: Command): void {
  twoNamesCommand(program, "rename", "rename a stopped, unprotected instance", MSG.renamed, async (a, b) => {
    const { renameInstance } = await import("../internal.js");
    return renameInstance(a, b);
  });
}
