import type { Command } from "commander";
import { MSG } from "./messages.js";
import { twoNamesCommand } from "./two-names.js";

export function register(program: Command): void {
  twoNamesCommand(program, "clone", "copy a stopped instance to a new one (disks reflinked where possible; a new ssh host key)", MSG.cloned, async (a, b) => {
    const { cloneInstance } = await import("../internal.js");
    return cloneInstance(a, b);
  });
}
