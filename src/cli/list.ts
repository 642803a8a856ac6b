import type { Command } from "commander";
import type { YqProgram } from "../internal.js";
import { fatal, limaWords, warn } from "./log.js";
import { LIMA_ERROR, MSG } from "./messages.js";

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

interface Choice {
  format: string;
  filters: YqProgram[];
  /** The --yq expressions joined by `|` (with `.name` after them for -q), or undefined without --yq. */
  yq: YqProgram | undefined;
}

/** Parses one --yq/--filter expression; a bad one is an error naming the flag. */
async function compile(flag: string, expr: string): Promise<YqProgram> {
  const { TslimaError, YqError, parseYq } = await import("../internal.js");
  let program: YqProgram;
  try {
    program = parseYq(expr);
  } catch (e) {
    if (!(e instanceof YqError)) throw e;
    throw yqFlagError(TslimaError, flag, expr, e.message);
  }
  // an assignment returns the whole (truthy) record: as a filter it is a typo for ==
  if (flag === "--filter" && program.k === "assign") throw yqFlagError(TslimaError, flag, expr, `${program.op} assigns and keeps every instance; compare with ==`);
  return program;
}

/** An error of a --yq/--filter expression; Lima's words are yq's own (`why`), without `where`. */
function yqFlagError(T: typeof import("../internal.js").TslimaError, flag: string, expr: string, why: string, where = "") {
  return new T("INVALID_FLAG", `${flag} '${expr}': ${why}${where}`, {
    lima: why,
    hint: `${flag} takes a yq expression such as ${flag === "--filter" ? `'.status == "Running"'` : `'.name' or 'select(.status == "Running") | .name'`} (paths, select, ==, !=, <, >, and, or, not, test("RE"), length, has, keys)`,
  });
}

/** Lima's flag conflicts and the yq expressions, checked before any instance is read. */
async function choose(flags: ListFlags): Promise<Choice> {
  const { TslimaError, checkListFormat } = await import("../internal.js");
  const conflict = (why: string) => new TslimaError("INVALID_FLAG", why, { hint: "run `tslima list --help` for the flags" });
  const yq = flags.yq ?? [];
  const filter = flags.filter ?? [];
  if (flags.json && flags.format !== undefined) throw conflict("option --json conflicts with option --format");
  if (flags.listFields && flags.format !== undefined) throw conflict("option --list-fields conflicts with option --format");
  if (yq.length > 0) {
    if (flags.format !== undefined && flags.format !== "json" && flags.format !== "yaml") throw conflict("option --yq only works with --format json or yaml");
    if (flags.listFields) throw conflict("option --list-fields conflicts with option --yq");
  }
  if (filter.length > 0 && flags.listFields) throw conflict("option --list-fields conflicts with option --filter");
  let format = flags.json ? "json" : (flags.format ?? "table");
  if (flags.quiet && format !== "table") throw conflict("option --quiet can only be used with '--format table'");
  if (!["json", "yaml", "table"].includes(format)) checkListFormat(format);
  const filters = await Promise.all(filter.map((f) => compile("--filter", f)));
  if (yq.length === 0) return { format, filters, yq: undefined };
  // --yq implies --format json unless --format was given; -q prints the names the expressions leave
  if (flags.format === undefined) format = "json";
  const joined = [...yq, ...(flags.quiet ? [".name"] : [])].join(" | ");
  return { format, filters, yq: await compile("--yq", joined) };
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
    .option("-l, --filter <expr>", "only instances for which the yq expression is true, e.g. '.status == \"Running\"' (repeatable: all must hold; any --format)", collect)
    .option("--yq <expr>", "apply a yq expression to each instance's record, e.g. '.name' (repeatable: piped; implies --format json)", collect)
    .action(async (names: string[], flags: ListFlags) => {
      const unmatched = await runList(names, flags);
      if (unmatched.length === 0) return;
      // Lima lists the rest, then fails with "unmatched instances"; tslima's warnings say it all
      process.exitCode = 1;
      if (limaWords()) fatal(LIMA_ERROR.unmatched());
    });
}

/** list's work; returns the names given that match no instance. */
async function runList(names: string[], flags: ListFlags): Promise<string[]> {
  const { format, filters, yq } = await choose(flags);
  const { LIST_FIELDS, inventory, renderInstances, globalPaths, probeHostFacts, tslimaHome, limaInstanceJson, evalYq, yqSelects, formatYqResults, TslimaError, YqError } = await import("../internal.js");
  const out = process.stdout;
  if (flags.listFields) {
    out.write(`${LIST_FIELDS.join("\n")}\n`);
    return [];
  }
  const home = tslimaHome();
  const found = inventory({ home, names });
  const { unmatched } = found;
  let { instances } = found;
  for (const n of unmatched) warn(MSG.noMatch(n));
  if (names.length === 0 && instances.length === 0) {
    warn(MSG.noInstances());
    return unmatched;
  }
  if (flags.quiet && yq === undefined && filters.length === 0) {
    for (const i of instances) out.write(`${i.name}\n`);
    return unmatched;
  }
  const facts = probeHostFacts();
  const host = { hostOS: process.platform, hostArch: facts.arch, home, identityFile: globalPaths(home).userKey };
  /** Runs a compiled expression on an instance's Lima record; an error names the flag. */
  const apply = <T>(flag: string, expr: string, run: () => T, record: Record<string, unknown>): T => {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof YqError)) throw e;
      throw yqFlagError(TslimaError, flag, expr, e.message, ` (on instance ${String(record.name)})`);
    }
  };
  if (filters.length > 0) {
    instances = instances.filter((i) => {
      const record = limaInstanceJson(i, host);
      return filters.every((f, n) => apply("--filter", flags.filter?.[n] ?? "", () => yqSelects(f, record), record));
    });
  }
  if (flags.quiet && yq === undefined) {
    for (const i of instances) out.write(`${i.name}\n`);
    return unmatched;
  }
  for (const i of instances) if (i.errors.length > 0) warn(MSG.hasErrors(i.name, i.errors), { errors: `[${i.errors.join(" ")}]` });
  if (yq !== undefined) {
    const expr = (flags.yq ?? []).join(" | ");
    for (const i of instances) {
      const record = limaInstanceJson(i, host);
      out.write(formatYqResults(apply("--yq", expr, () => evalYq(yq, record), record), format === "yaml" ? "yaml" : "json"));
    }
    return unmatched;
  }
  if (format === "table") {
    const { listTable } = await import("./output.js");
    const width = out.isTTY ? out.columns : 0;
    out.write(listTable(instances, { allFields: flags.allFields === true, width, hostArch: facts.arch }));
    return unmatched;
  }
  const template = format === "json" ? "{{json .}}" : format === "yaml" ? "{{yaml .}}" : format;
  const text = renderInstances(template, instances, host);
  const { colourWanted, colourJson, colourYaml } = await import("./colour.js");
  if ((format === "json" || format === "yaml") && colourWanted(out)) {
    out.write(format === "yaml" ? colourYaml(text) : text.split("\n").filter((l) => l !== "").map((l) => `${colourJson(JSON.parse(l))}\n`).join(""));
  } else out.write(text);
  return unmatched;
}
