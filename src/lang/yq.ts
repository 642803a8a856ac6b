/**
 * tslima's yq/jq expression language, for `limactl yq`, `limactl list --yq/--filter` and
 * `limactl template yq`: paths (`.name`, `.config.mounts[0].location`, `.a["b.c"]`, `.[]`, `..`),
 * `|`, `,`, `//`, comparisons, `and` `or` `not`, `+ - * /`, literals, `"\(.a)"` interpolation, `[ ]`,
 * `{ }`, assignments (`=` `|=` `+=` `-=` `*=` `/=` `//=`), `del`, `select`, `keys`, `has`,
 * `length`, `map`, `to_entries`/`from_entries`/`with_entries` and more (yq-builtins.ts). Evaluation
 * is jq's: every expression maps one input value to a stream (array) of outputs. Scalars compare by
 * their text as yq does (`.disk == "1048576"` matches the number). `env`/`strenv` only with an
 * environment given to `parseYq` (Lima refuses them in `--yq` and `--set`); file and system
 * functions are refused. Split by concern: yq-lex.ts, yq-parse.ts, yq-eval.ts, yq-builtins.ts,
 * yq-values.ts, and yq-doc.ts (YAML documents in and out, keeping comments). Pure.
 */
import { stringify } from "yaml";
import { run } from "./yq-eval.js";
import { parseYq, YqError, type YqNode, type YqParseOptions } from "./yq-parse.js";
import { isMapValue, scalarText, truthy } from "./yq-values.js";

export { parseYq, YqError, type YqParseOptions };
export { yqRun, YqInputError, type YqRunOptions, type YqRunResult } from "./yq-run.js";
export type YqProgram = YqNode;

/** Evaluates EXPR on one input value; the outputs in order. Throws YqError. */
export function evalYq(expr: string | YqProgram, input: unknown, options: YqParseOptions = {}): unknown[] {
  return run(typeof expr === "string" ? parseYq(expr, options) : expr, input);
}

/** Whether EXPR keeps INPUT as `select(EXPR)` does: some output is neither false nor null. */
export function yqSelects(expr: YqProgram, input: unknown): boolean {
  return run(expr, input).some(truthy);
}

/** Drops empty maps inside V (Lima deletes them from `list --yq` JSON output). */
function dropEmptyMaps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmptyMaps).filter((x) => !(isMapValue(x) && Object.keys(x).length === 0));
  if (!isMapValue(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = dropEmptyMaps(x);
    if (!(isMapValue(y) && Object.keys(y).length === 0)) out[k] = y;
  }
  return out;
}

/**
 * Prints yq results as yq does with Lima's settings: a string unquoted, other scalars as written,
 * a map or list as one line of JSON (json; empty maps dropped) or a YAML document (yaml; after `---`
 * unless `separators` is false).
 */
export function formatYqResults(results: unknown[], format: "json" | "yaml", opts: { separators?: boolean } = {}): string {
  let out = "";
  for (const r of results) {
    if (r === null || r === undefined || typeof r !== "object") out += `${scalarText(r)}\n`;
    else if (format === "json") out += `${JSON.stringify(dropEmptyMaps(r))}\n`;
    else out += `${opts.separators === false ? "" : "---\n"}${stringify(r, { lineWidth: 0 })}`;
  }
  return out;
}
