import type { Command } from "commander";
import { isTslimaError } from "../errors.js";
import { info } from "./log.js";
import { LIMA_ERROR, MSG, withLimaWords } from "./messages.js";

export function register(program: Command): void {
  program
    .command("factory-reset")
    .description("drop an instance's disks and state, keeping lima.yaml (a running instance is killed first)")
    .argument("[name]", "instance name", "default")
    .action(async (name: string) => {
      const { factoryReset } = await import("../internal.js");
      try {
        await factoryReset(name);
      } catch (e) {
        throw withLimaWords(e, (cause) => (isTslimaError(e) && e.kind === "INSTANCE_PROTECTED" ? LIMA_ERROR.protectedFactoryReset() : cause));
      }
      info(MSG.factoryReset(name));
    });
}
