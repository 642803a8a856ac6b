import { isMap, isScalar, isSeq, parse, parseDocument, YAMLMap, YAMLSeq, type Document } from "yaml";
import { TslimaError } from "../errors.js";
import { nodeValue, resultYaml } from "../lang/yq-doc.js";
import { run } from "../lang/yq-eval.js";
import { parseYq, YqError, type YqNode } from "../lang/yq-parse.js";

/**
 * One change to a YAML document, as data: set `path` to `value`, or (`append`) append the items of
 * the list `value` to the list at `path` (created when missing). What the library's typed overrides
 * (instance/overrides.ts) become; `--set` expressions are yq programs instead (applySets).
 */
export interface YamlEdit {
  path: Array<string | number>;
  value: unknown;
  append?: boolean;
}

/** Why an edit does not fit the document; `fail` turns it into the caller's error. */
type Fail = (why: string) => TslimaError;

/**
 * Applies `edits` to YAML text, keeping comments and layout (yaml Document API). `.list[N]` with N
 * equal to the list length appends. A path through something of the wrong kind is `fail(why)`.
 */
export function applyEdits(text: string, edits: Array<YamlEdit & { fail: Fail }>, source: string, what: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new TslimaError("CONFIG_INVALID", `${source}: cannot apply ${what}: the YAML does not parse: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`);
  }
  for (const e of edits) applyEdit(doc, e, e.fail);
  return doc.toString({ lineWidth: 0 });
}

/**
 * Edits YAML text with `--set` expressions, as Lima does: each is a yq expression (src/lang/) evaluated
 * on the document, with env and file operations refused (`env()`, `strenv()`, `load`), whose single
 * result is the new document: `.cpus = 2`, `.mounts += [{"location": "~"}]`, `del(.mounts)`,
 * `.a = 1 | .b = 2`. Comments and key order stay (yq-doc.ts). tslima also keeps its older forms
 * where they are not yq: the shorthand `a.b=VALUE`, and a VALUE written as YAML (`8GiB`, `[9p]`,
 * `{location: /data}`). Anything else is an error naming the flag and the expression.
 */
export function applySets(text: string, sets: string[], source: string, flag = "--set"): string {
  let out = text;
  for (const expr of sets) {
    const doc = parseDocument(out);
    if (doc.errors.length > 0) {
      throw new TslimaError("CONFIG_INVALID", `${source}: cannot apply ${flag}: the YAML does not parse: ${doc.errors[0]?.message.split("\n")[0] ?? ""}`);
    }
    const input = nodeValue(doc.contents, doc);
    let results: unknown[];
    try {
      results = run(setProgram(expr, flag), input);
    } catch (e) {
      if (e instanceof YqError) throw bad(flag, expr, e.message);
      throw e;
    }
    const result = results[0];
    if (results.length !== 1 || typeof result !== "object" || result === null || Array.isArray(result)) {
      const got = results.length === 1 ? `gives ${JSON.stringify(result) ?? "null"}, not the document` : `gives ${results.length} results, not one document`;
      throw bad(flag, expr, `${got}: write an update of it, e.g. .cpus = 2`);
    }
    out = resultYaml(result, doc, { indent: 2 });
  }
  return out;
}

function bad(flag: string, expr: string, why: string): TslimaError {
  return new TslimaError("BAD_SET_EXPRESSION", `${flag} '${expr}': ${why}`, {
    hint: `write a yq update, e.g. ${flag} '.cpus = 2', '.list[0].field = "text"', '.mounts += [{"location": "~"}]' or 'del(.field)'`,
  });
}

/** yq refuses env and file operations in --set, as Lima does; a clear error naming the flag. */
function refused(flag: string, expr: string, why: string): TslimaError {
  return new TslimaError("INVALID_FLAG", `${flag} '${expr}': ${why}: ${flag} reads neither the environment nor files`, {
    hint: `write the value itself; the shell can put a variable's value in: ${flag} ".env.FOO = \\"$FOO\\""`,
  });
}

const REFUSED = /operations have been disabled|not provided in env\(\)|system operations/;
const REFUSED_VALUE = /^\s*(env|strenv|envsubst|load\w*|eval|system)\s*\(/;

/**
 * EXPR as a yq program. When it does not parse as yq, tslima's older forms: `PATH = VALUE` or
 * `PATH += [ITEMS]` with PATH a yq path (a leading `.` optional) and VALUE YAML.
 */
function setProgram(expr: string, flag: string): YqNode {
  let yqError: YqError;
  try {
    return parseYq(expr);
  } catch (e) {
    if (!(e instanceof YqError)) throw e;
    if (REFUSED.test(e.message)) throw refused(flag, expr, e.message);
    yqError = e;
  }
  const m = /^([^=|+]*?)\s*(\+?=)\s*(.*)$/s.exec(expr);
  const lhs = m?.[1]?.trim() ?? "";
  if (!m || lhs === "") throw bad(flag, expr, `not a yq expression (${yqError.message})`);
  let path: YqNode;
  let value: unknown;
  try {
    path = parseYq(lhs.startsWith(".") ? lhs : `.${lhs}`);
    value = parse(m[3] as string);
  } catch {
    throw bad(flag, expr, `not a yq expression (${yqError.message}), nor PATH = VALUE with VALUE as YAML`);
  }
  if (typeof value === "string" && REFUSED_VALUE.test(value)) throw refused(flag, expr, `${value.trim().split("(")[0] ?? ""}() is not available`);
  return { k: "assign", op: m[2] as string, l: path, r: { k: "literal", v: value } };
}

function applyEdit(doc: Document, edit: YamlEdit, fail: Fail): void {
  const { path, value } = edit;
  if (edit.append === true) {
    appendItems(doc, path, value as unknown[], fail);
    return;
  }
  if (doc.contents === null) doc.contents = new YAMLMap();
  // check that every existing step has the right container type, and list indexes are in range
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as string | number;
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) break;
    if (typeof step === "number") {
      if (!isSeq(node)) throw fail(`[${step}] indexes something that is not a list`);
      if (step > node.items.length) throw fail(`index ${step} is past the end of the list (length ${node.items.length})`);
      if (step === node.items.length && i < path.length - 1) {
        node.items.push(typeof path[i + 1] === "number" ? new YAMLSeq() : new YAMLMap());
      }
      node = node.items[step];
    } else {
      if (!isMap(node)) throw fail(`.${step} looks up a field in something that is not a map`);
      node = node.get(step, true);
    }
  }
  setKeepingComments(doc, path, value);
}

/** yq's `.list += [a, b]`: appends the items to the list at `path` (created when missing). */
function appendItems(doc: Document, path: Array<string | number>, items: unknown[], fail: Fail): void {
  let node: unknown = doc.contents;
  for (const step of path) {
    if (node === undefined || node === null) break;
    node = isMap(node) || isSeq(node) ? node.get(step, true) : undefined;
  }
  const missing = node === undefined || node === null || (isScalar(node) && node.value === null);
  if (!missing && !isSeq(node)) throw fail("+= appends to a list, and the path holds something else");
  const start = missing ? 0 : (node as YAMLSeq).items.length;
  if (missing) applyEdit(doc, { path, value: [] }, fail);
  items.forEach((item, i) => setKeepingComments(doc, [...path, start + i], item));
}

/**
 * Sets `path` to `value`, creating missing maps and lists (with the document's schema), and replacing a
 * scalar in place so that a comment on its line (`cpus: 4 # four`) stays.
 */
function setKeepingComments(doc: Document, path: Array<string | number>, value: unknown): void {
  let parent: unknown = doc.contents;
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i] as string | number;
    const coll = parent as YAMLMap | YAMLSeq;
    let next: unknown = coll.get(step, true);
    if (next === undefined || next === null || (isScalar(next) && next.value === null)) {
      next = typeof path[i + 1] === "number" ? new YAMLSeq(doc.schema) : new YAMLMap(doc.schema);
      coll.set(step, next);
    }
    parent = next;
  }
  const last = path[path.length - 1] as string | number;
  const coll = parent as YAMLMap | YAMLSeq;
  const current: unknown = coll.get(last, true);
  const node = doc.createNode(value);
  if (isScalar(current) && isScalar(node)) {
    current.value = node.value;
    current.type = undefined;
    current.format = undefined;
  } else {
    coll.set(last, node);
  }
}
