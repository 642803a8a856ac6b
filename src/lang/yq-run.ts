/**
 * `limactl yq` on one input text: its documents parsed (YAML, or JSON), the expression evaluated on
 * each, the results printed as yq prints them (yaml: scalars bare, maps and lists as YAML keeping
 * the input's comments; json; props), `---` between the input's documents. Pure.
 */
import { parseAllDocuments, type Document } from "yaml";
import { formatJson, formatProps, formatYaml, nodeValue } from "./yq-doc.js";
import { run } from "./yq-eval.js";
import { YqError } from "./yq-lex.js";
import type { YqNode } from "./yq-parse.js";

export interface YqRunOptions {
  inputFormat: "yaml" | "json";
  outputFormat: "yaml" | "json" | "props";
  indent: number;
  /** -r: print strings bare also in json output (yaml output always does). */
  unwrap: boolean;
  /** -P */
  pretty: boolean;
}

/** An input that does not parse; `message` is yq's ("bad file 'X': ..."). */
export class YqInputError extends YqError {}

/** What one input gave: the text to print, and its last result (for -e). */
export interface YqRunResult {
  output: string;
  results: unknown[];
}

function inputs(text: string, source: string, format: "yaml" | "json"): Array<{ value: unknown; doc?: Document }> {
  if (format === "json") {
    if (text.trim() === "") return [];
    try {
      return [{ value: JSON.parse(text) as unknown }];
    } catch (e) {
      throw new YqInputError(`bad file '${source}': ${(e as Error).message}`);
    }
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  return docs.map((doc) => {
    const err = doc.errors[0];
    if (err) throw new YqInputError(`bad file '${source}': ${err.message.split("\n")[0] ?? ""}`);
    try {
      return { value: nodeValue(doc.contents, doc), doc };
    } catch (e) {
      throw new YqInputError(`bad file '${source}': ${(e as Error).message}`);
    }
  });
}

function print(v: unknown, doc: Document | undefined, opts: YqRunOptions): string {
  if (opts.outputFormat === "json") return formatJson(v, { indent: opts.indent, unwrap: opts.unwrap });
  if (opts.outputFormat === "props") return formatProps(v);
  return formatYaml(v, doc, { indent: Math.max(opts.indent, 1), pretty: opts.pretty });
}

/** Evaluates PROGRAM on every document of TEXT (or once on null, for -n, when TEXT is null). */
export function yqRun(program: YqNode, text: string | null, source: string, opts: YqRunOptions): YqRunResult {
  const docs = text === null ? [{ value: null }] : inputs(text, source, opts.inputFormat);
  let output = "";
  const all: unknown[] = [];
  for (const [i, d] of docs.entries()) {
    const results = run(program, d.value);
    if (i > 0 && opts.outputFormat === "yaml" && results.length > 0 && output !== "") output += "---\n";
    for (const r of results) output += print(r, "doc" in d ? d.doc : undefined, opts);
    all.push(...results);
  }
  return { output, results: all };
}
