import type { Command } from "commander";
import { existsSync } from "node:fs";
import { isTslimaError } from "../errors.js";
import { info, limaWords, warn } from "./log.js";
import { LIMA_ERROR, MSG, withLimaWords } from "./messages.js";
import { eachName } from "./each-name.js";

export function register(program: Command): void {
  program
    .command("delete")
    .aliases(["remove", "rm"])
    .description("delete instances (a running one only with -f)")
    .argument("<names...>", "instance names")
    .option("-f, --force", "stop running instances first")
    .action(async (names: string[], flags: { force?: boolean }) => {
      const { deleteInstance, instancePaths, tslimaHome, TslimaError } = await import("../internal.js");
      const home = tslimaHome();
      await eachName(names, async (name) => {
        const paths = instancePaths(home, name);
        if (!existsSync(paths.limaYaml)) {
          // A directory without lima.yaml may be a clone being made: never deleted by name.
          if (existsSync(paths.dir)) {
            throw new TslimaError("UNKNOWN_INSTANCE", `${paths.dir} holds no lima.yaml; it was not deleted, in case a clone is being made into it`, {
              hint: `if no tslima or limactl command is using it, remove it by hand: rm -r ${paths.dir}`,
              lima: LIMA_ERROR.brokenDir(name, paths.dir),
            });
          }
          // Lima's delete of a missing instance is no error (tslima's is, with the existing names)
          if (limaWords()) return warn(MSG.deleteMissing(name));
        }
        try {
          await deleteInstance(name, { force: flags.force === true, onMessage: (m) => info(m) });
        } catch (e) {
          throw withLimaWords(e, (cause) => (isTslimaError(e) && e.kind === "INSTANCE_PROTECTED" ? LIMA_ERROR.protectedDelete(name) : LIMA_ERROR.deleteFailed(name, cause)));
        }
        info(MSG.deleted(name, paths.dir));
      });
    });
}
