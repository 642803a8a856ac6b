import type { Command } from "commander";
import { addCreateFlags, overridesFrom, type CreateFlags } from "./create.js";
import { startAfter } from "./two-names.js";

interface EditFlags extends CreateFlags {
  start?: boolean;
  timeout: string;
}

/** No flags and a terminal: lima.yaml in $VISUAL/$EDITOR (vi), as Lima's edit; undefined when unchanged. */
async function editInEditor(name: string): Promise<string | undefined> {
  const [{ spawnSync }, { mkdtempSync, readFileSync, rmSync, writeFileSync }, { join }, { tmpdir }, { instancePaths, tslimaHome, TslimaError }] = await Promise.all([
    import("node:child_process"),
    import("node:fs"),
    import("node:path"),
    import("node:os"),
    import("../index.js"),
  ]);
  if (!process.stdin.isTTY || process.env.TSLIMA_TTY === "false") {
    throw new TslimaError("INVALID_FLAG", `nothing to change in ${name}: no flags given, and no terminal for an editor`, {
      hint: `pass flags, e.g. tslima edit ${name} --cpus 2 or --set '.memory = "2GiB"'`,
    });
  }
  const current = readFileSync(instancePaths(tslimaHome(), name).limaYaml, "utf8");
  const dir = mkdtempSync(join(tmpdir(), "tslima-edit-"));
  try {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, current);
    const editor = process.env.VISUAL || process.env.EDITOR || "vi";
    const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit" });
    if (r.status !== 0) throw new TslimaError("INVALID_FLAG", `the editor (${editor}) exited with ${r.status ?? r.signal}`, { hint: "lima.yaml is unchanged" });
    const text = readFileSync(file, "utf8");
    return text === current ? undefined : text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  addCreateFlags(
    program
      .command("edit")
      .description("change a stopped instance's lima.yaml with the create/start flags (or in an editor), validated as create validates")
      .argument("[name]", "instance name", "default"),
  )
    .option("--start", "start the instance after editing")
    .option("--timeout <duration>", "with --start: give up after this long", "10m")
    .action(async (name: string, flags: EditFlags) => {
      const { editInstance } = await import("../index.js");
      const overrides = overridesFrom({ ...flags, name: undefined });
      let warnings: string[];
      if (Object.keys(overrides).length > 0) warnings = editInstance(name, overrides);
      else {
        const text = await editInEditor(name);
        if (text === undefined) {
          process.stderr.write(`lima.yaml of ${name} is unchanged\n`);
          warnings = [];
        } else warnings = editInstance(name, { text });
      }
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stderr.write(`edited instance ${name}\n`);
      if (flags.start) await startAfter(name, flags.timeout);
    });
}
