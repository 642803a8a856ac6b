import type { Command } from "commander";
import { protectionCommand } from "./protect.js";

export function register(program: Command): void {
  protectionCommand(program, "unprotect", "unprotect instances (undo protect)");
}
