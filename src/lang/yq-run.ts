/**
 * `limactl yq` on one input text: its documents parsed (YAML, or JSON), the expression evaluated on
 * each, the results printed as yq prints them (yaml: scalars bare, maps and lists as YAML keeping
 * the input's comments; json; props), `---` between the input's documents. Pure.
 */
import { parseAllDocuments, type Document } from "yaml";
import { formatJson, formatProps, formatYaml, isDocNode, nodeValue } from "./yq-doc.js";
import { paths, run } from "./yq-eval.js";
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
    return jsonTexts(text).map((t) => {
      try {
        return { value: JSON.parse(t) as unknown };
      } catch (e) {
        throw new YqInputError(`bad file '${source}': ${(e as Error).message}`);
      }
    });
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

/** The JSON values of a stream of them (`{...}\n{...}`, as yq reads with -p json), each as text. */
function jsonTexts(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) return out;
    const start = i;
    let depth = 0;
    do {
      const c = text[i] as string;
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
        i++;
      } else if (c === "{" || c === "[") {
        depth++;
        i++;
      } else if (c === "}" || c === "]") {
        depth--;
        i++;
      } else if (depth === 0 && i > start && /[\s{["]/.test(c)) break;
      else i++;
    } while (i < text.length && (depth > 0 || !/[\s{["]/.test(text[i] as string)));
    out.push(text.slice(start, i));
  }
}

/** Whether PROGRAM only selects from the input (its results are the document's, as yq tracks them). */
function selectsFromInput(program: YqNode, input: unknown): boolean {
  try {
    paths(program, input);
    return true;
  } catch {
    return false;
  }
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
    // yq separates the results of documents when they are the documents' nodes (not `true`, `{...}`)
    const fromDoc = results.some((r) => typeof r === "object" && r !== null && isDocNode(r)) || selectsFromInput(program, d.value);
    if (i > 0 && opts.outputFormat === "yaml" && results.length > 0 && output !== "" && fromDoc) output += "---\n";
    for (const r of results) output += print(r, "doc" in d ? d.doc : undefined, opts);
    all.push(...results);
  }
  return { output, results: all };
}
