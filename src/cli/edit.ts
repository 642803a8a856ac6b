import type { Command } from "commander";
import { info, warn } from "./log.js";
import { MSG } from "./messages.js";
import { addCreateFlags, createRequest, type CreateFlags } from "./create.js";
import { startAfter } from "./two-names.js";

interface EditFlags extends CreateFlags {
  start?: boolean;
  timeout: string;
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("edit")
      .description("change a stopped instance's lima.yaml with the create/start flags (or, without flags, in $EDITOR), validated as create validates")
      .argument("[name]", "instance name", "default"),
  )
    .option("--start", "start the instance after editing")
    .option("--timeout <duration>", "with --start: give up after this long", "10m")
    .action(async (name: string, flags: EditFlags) => {
      const { editInstance, editInEditor, hasOverrides, TslimaError } = await import("../internal.js");
      const { name: _name, ...request } = await createRequest(flags);
      let warnings: string[] | undefined;
      if (hasOverrides(request)) warnings = editInstance(name, request);
      else if (process.stdin.isTTY && process.env.TSLIMA_TTY !== "false") warnings = editInEditor(name);
      else {
        throw new TslimaError("INVALID_FLAG", `nothing to change in ${name}: no flags given, and no terminal for an editor`, {
          hint: `pass flags, e.g. tslima edit ${name} --cpus 2 or --set '.memory = "2GiB"'`,
        });
      }
      for (const w of warnings ?? []) warn(w);
      info(warnings === undefined ? MSG.editUnchanged(name) : MSG.edited(name));
      if (flags.start) await startAfter(name, flags.timeout);
    });
}
