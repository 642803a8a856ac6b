import { Document, isMap, isScalar, LineCounter, parseDocument, YAMLMap, type YAMLError } from "yaml";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { registerOrigins } from "./positions.js";
import { applyMergeKeys, findStructureProblem, resolveAliases } from "./structure.js";

/** A parsed YAML file: its root map (every node knows its origin, see positions.ts). */
export interface LoadedYaml {
  root: YAMLMap;
  /** The parsed document (keeps the file's leading comment), with `root` as its contents. */
  doc: Document;
  source: string;
  text: string;
}

function cleanMessage(e: YAMLError): string {
  // The yaml package appends " at line L, column C:" and a source excerpt; we print our own position.
  const m = e.message.split(/ at line \d+, column \d+/)[0] ?? e.message;
  return m.trim().replace(/\s+/g, " ");
}

/** The index of the first line after `line` (1-based) that holds more than blanks or a comment. */
function nextContentLine(lines: string[], line: number): number | undefined {
  for (let i = line; i < lines.length; i++) {
    if (!/^\s*(#.*)?$/.test(lines[i] ?? "")) return i + 1;
  }
  return undefined;
}

/** One clear issue for the first YAML syntax error (later ones are usually its consequences). */
function syntaxIssue(first: YAMLError, text: string, source: string): ConfigIssue {
  const lines = text.split(/\r?\n/);
  const pos = { ...(first.linePos?.[0] ?? { line: 1, col: 1 }) };
  const field = "(yaml)";
  let message = `YAML syntax error: ${cleanMessage(first)}`;
  if (first.code === "RESOURCE_EXHAUSTION") {
    message = `nested too deeply for a configuration file (${cleanMessage(first)})`;
  } else if (first.code === "BLOCK_AS_IMPLICIT_KEY" || first.code === "MULTILINE_IMPLICIT_KEY") {
    const rest = (lines[pos.line - 1] ?? "").slice(pos.col - 1);
    const next = nextContentLine(lines, pos.line);
    if (/:(\s|$)/.test(rest) || next === undefined) {
      message = "a value cannot hold `key: value` on the same line; quote the value, or put the nested map on its own lines";
    } else {
      // `key: value` followed by a line indented deeper: the yaml package reports the value; point at the line
      message = `bad indentation: this line is indented deeper than line ${pos.line} above it but is not nested under it; indent it like its sibling keys`;
      pos.line = next;
      pos.col = 1;
    }
  } else if (first.code === "TAB_AS_INDENT") {
    return { source, line: pos.line, col: pos.col, field, message: "bad indentation: tabs are not allowed as indentation in YAML; indent with spaces" };
  } else if (first.code === "BAD_INDENT" && /same column/.test(first.message)) {
    message = "bad indentation: this key does not line up with the other keys of its map (they must all start at the same column)";
  } else if ((first.code === "BAD_INDENT" && !/^Flow/.test(first.message)) || /indentation/i.test(first.message)) {
    message = `bad indentation: ${cleanMessage(first)}`;
  } else if (first.code === "MISSING_CHAR" && /without - indicator/.test(first.message)) {
    message = "bad indentation: this line is indented less than the list item above it but deeper than the list; indent it like the item's other keys";
  }
  // errors about indentation point at the line start; point at the misplaced text instead
  const lineText = lines[pos.line - 1] ?? "";
  while (pos.col <= lineText.length && /\s/.test(lineText.charAt(pos.col - 1))) pos.col++;
  return { source, line: pos.line, col: pos.col, field, message };
}

/**
 * Parses one YAML file keeping source positions. A syntax error (bad indentation, duplicate key, tabs,
 * ...) becomes one ConfigError naming FILE:LINE:COL; later errors are usually consequences of the first
 * and are not reported. An empty file is an empty map; any other non-map top level is an error.
 */
export function parseYaml(text: string, source: string): LoadedYaml {
  const lineCounter = new LineCounter();
  // duplicate keys are checked by findStructureProblem: the yaml package's check is quadratic
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true, keepSourceTokens: false });
  const first = doc.errors[0];
  if (first) {
    const issue = syntaxIssue(first, text, source);
    throw new ConfigError([issue], { hint: `fix the YAML syntax of ${source} at line ${issue.line}` });
  }
  const problem = resolveAliases(doc) ?? applyMergeKeys(doc.contents) ?? findStructureProblem(doc.contents);
  if (problem) {
    const p = lineCounter.linePos(problem.offset);
    throw new ConfigError([{ source, line: p.line, col: p.col, field: problem.field, message: problem.message }]);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    const root = new YAMLMap();
    const empty = new Document();
    empty.contents = root;
    return { root, doc: empty, source, text };
  }
  registerOrigins(doc, source, lineCounter);
  if (!isMap(doc.contents)) {
    const p = lineCounter.linePos(doc.contents.range?.[0] ?? 0);
    throw new ConfigError([
      { source, line: p.line, col: p.col, field: "(root)", message: "the top level of a tslima/Lima YAML file must be a mapping (key: value)" },
    ]);
  }
  return { root: doc.contents, doc, source, text };
}
