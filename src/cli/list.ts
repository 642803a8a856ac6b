import type { Command } from "commander";
export function register(program: Command): void {
  program
    .command("list")
    .alias("ls")
    .description("list instances")
    .argument("[names...]", "only these instances")
    .option("--json", "one JSON object per line")
    .option("-f, --format <template>", "Go-template-like format per instance, e.g. '{{.Name}} {{.Status}}'")
    .option("-q, --quiet", "names only")
    .action(async (names: string[], flags: { json?: boolean; format?: string; quiet?: boolean }) => {
      const { checkFormat, listRows, renderFormat, table } = await import("./output.js");
      if (flags.format !== undefined) checkFormat(flags.format);
      const { listInstances } = await import("../index.js");
      const list = listInstances({ names });
      const out = process.stdout;
      if (flags.quiet) list.forEach((i) => out.write(`${i.name}\n`));
      else if (flags.json) list.forEach((i) => out.write(`${JSON.stringify(i)}\n`));
      else if (flags.format !== undefined) list.forEach((i) => out.write(`${renderFormat(flags.format ?? "", i)}\n`));
      else if (list.length === 0) process.stderr.write("no instances found; create one with `tslima start template:default`\n");
      else out.write(table(["NAME", "STATUS", "SSH", "ARCH", "CPUS", "MEMORY", "DISK", "DIR"], listRows(list)));
      for (const i of list) for (const e of i.errors) process.stderr.write(`warning: ${i.name}: ${e}\n`);
    });
}
