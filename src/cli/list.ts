import type { Command } from "commander";

interface ListFlags {
  json?: boolean;
  format?: string;
  quiet?: boolean;
  listFields?: boolean;
  allFields?: boolean;
  filter?: string[];
  yq?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Lima's flag conflicts, checked before any instance is read; returns the format to use. */
async function chosenFormat(flags: ListFlags): Promise<string> {
  const { TslimaError, checkListFormat } = await import("../index.js");
  const conflict = (why: string) => new TslimaError("INVALID_FLAG", why, { hint: "run `tslima list --help` for the flags" });
  if (flags.json && flags.format !== undefined) throw conflict("option --json conflicts with option --format");
  if (flags.listFields && flags.format !== undefined) throw conflict("option --list-fields conflicts with option --format");
  for (const [flag, v] of [["--filter", flags.filter], ["--yq", flags.yq]] as const) {
    if (v && v.length > 0) {
      throw new TslimaError("INVALID_FLAG", `${flag} (yq expressions) is not supported by tslima yet`, {
        hint: "use --format json and a JSON tool (jq 'select(.status == \"Running\")'), or --format '{{if eq .Status \"Running\"}}{{.Name}}{{end}}'",
      });
    }
  }
  const format = flags.json ? "json" : (flags.format ?? "table");
  if (flags.quiet && format !== "table") throw conflict("option --quiet can only be used with '--format table'");
  if (!["json", "yaml", "table"].includes(format)) checkListFormat(format);
  return format;
}

export function register(program: Command): void {
  program
    .command("list")
    .alias("ls")
    .description("list instances (Lima's `limactl list`)")
    .argument("[names...]", "only these instances (unknown ones are warned about; the exit code is then 1)")
    .option("-f, --format <format>", "json, yaml, table (default) or a Go template such as '{{.Name}} {{.Status}}'")
    .option("--json", "same as --format json (one JSON object per line)")
    .option("-q, --quiet", "names only")
    .option("--list-fields", "list the fields a --format template may use")
    .option("--all-fields", "show every table column, even on a narrow terminal")
    .option("-l, --filter <expr>", "(not supported yet) yq filter", collect)
    .option("--yq <expr>", "(not supported yet) yq expression", collect)
    .action(async (names: string[], flags: ListFlags) => {
      const format = await chosenFormat(flags);
      const { LIST_FIELDS, inventory, renderInstances, globalPaths, probeHostFacts, tslimaHome } = await import("../index.js");
      const out = process.stdout;
      if (flags.listFields) {
        out.write(`${LIST_FIELDS.join("\n")}\n`);
        return;
      }
      const home = tslimaHome();
      const { instances, unmatched } = inventory({ home, names });
      for (const n of unmatched) process.stderr.write(`warning: no instance matching ${JSON.stringify(n)} found\n`);
      if (unmatched.length > 0) process.exitCode = 1;
      if (names.length === 0 && instances.length === 0) {
        process.stderr.write("warning: no instance found; create one with `tslima create` or `tslima start template:default`\n");
        return;
      }
      if (flags.quiet) {
        for (const i of instances) out.write(`${i.name}\n`);
        return;
      }
      for (const i of instances) for (const e of i.errors) process.stderr.write(`warning: ${i.name}: ${e}\n`);
      const facts = probeHostFacts();
      if (format === "table") {
        const { listTable } = await import("./output.js");
        const width = out.isTTY ? out.columns : 0;
        out.write(listTable(instances, { allFields: flags.allFields === true, width, hostArch: facts.arch }));
        return;
      }
      const host = { hostOS: process.platform, hostArch: facts.arch, home, identityFile: globalPaths(home).userKey };
      const template = format === "json" ? "{{json .}}" : format === "yaml" ? "{{yaml .}}" : format;
      out.write(renderInstances(template, instances, host));
    });
}
