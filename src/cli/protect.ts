import type { Command } from "commander";
import { info, warn } from "./log.js";
import { LIMA_ERROR, MSG, withLimaWords } from "./messages.js";
import { eachName } from "./each-name.js";

/** `protect` / `unprotect NAME...`: sets or clears Lima's protection mark. */
export function protectionCommand(program: Command, name: "protect" | "unprotect", description: string): void {
  program
    .command(name)
    .description(description)
    .argument("<names...>", "instance names")
    .action(async (names: string[]) => {
      const { setProtected } = await import("../internal.js");
      const on = name === "protect";
      await eachName(names, (n) => {
        let changed: boolean;
        try {
          changed = setProtected(n, on);
        } catch (e) {
          throw withLimaWords(e, (cause) => LIMA_ERROR.inspect(n, cause));
        }
        if (!changed) warn(on ? MSG.alreadyProtected(n) : MSG.notProtected(n));
        else info(on ? MSG.protected(n) : MSG.unprotected(n));
      });
    });
}

export function register(program: Command): void {
  protectionCommand(program, "protect", "protect instances: delete, rename and factory-reset refuse them until unprotect");
}
