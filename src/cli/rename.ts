import type { Command } from "commander";
import { twoNamesCommand } from "./two-names.js";

export function register(program: Command): void {
  twoNamesCommand(program, "rename", "rename a stopped, unprotected instance", "renamed", async (a, b) => {
    const { renameInstance } = await import("../internal.js");
    return renameInstance(a, b);
  });
}
