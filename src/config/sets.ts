import { isMap, isScalar, isSeq, parse, parseDocument, YAMLMap, YAMLSeq, type Document } from "yaml";
import { TslimaError } from "../errors.js";

/**
 * One change to a YAML document, as data: set `path` to `value`, or (`append`) append the items of
 * the list `value` to the list at `path` (created when missing). What `--set` expressions and the
 * library's typed overrides (instance/overrides.ts) both become.
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
 * Edits YAML text with `--set`-style assignments, keeping comments and layout.
 * Lima's --set takes yq expressions; tslima supports the assignment subset:
 *   `.a.b = VALUE`, `.a[0].b = VALUE`, `.a["key.with.dots"] = VALUE`, and the shorthand `a.b=VALUE`.
 * VALUE is parsed as YAML (`2`, `true`, `"text"`, `[9p]`, `{writable: true}`). `.list[N]` with N equal
 * to the list length appends. Anything else is an error naming the flag.
 */
export function applySets(text: string, sets: string[], source: string, flag = "--set"): string {
  return applyEdits(text, sets.map((expr) => ({ ...parseSet(expr, flag), fail: (why: string) => bad(flag, expr, why) })), source, flag);
}

function bad(flag: string, expr: string, why: string): TslimaError {
  return new TslimaError("BAD_SET_EXPRESSION", `${flag} '${expr}': ${why}`, {
    hint: `write ${flag} '.field.sub = VALUE' or '.list[0].field = VALUE' (VALUE is YAML, e.g. 2, true, "text")`,
  });
}

/** Splits `.a.b[0]["c.d"]` into ["a", "b", 0, "c.d"]. */
export function parseSetPath(pathText: string, flag: string, expr: string): Array<string | number> {
  let s = pathText.trim();
  if (!s.startsWith(".")) s = `.${s}`;
  const out: Array<string | number> = [];
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?\["((?:[^"\\]|\\.)*)"\]/y;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw bad(flag, expr, `cannot parse the path at "${s.slice(pos)}"`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(`"${m[3] ?? m[4] ?? ""}"`) as string);
    pos = re.lastIndex;
  }
  if (out.length === 0) throw bad(flag, expr, "the path is empty");
  return out;
}

/** Parses one `PATH = VALUE` or `PATH += [ITEMS]` expression into an edit. */
function parseSet(expr: string, flag: string): YamlEdit {
  const m = /^([^=|+]*?)\s*(\+?=)\s*(.*)$/s.exec(expr);
  if (!m || /^\s*$/.test(m[1] ?? "")) throw bad(flag, expr, "expected PATH = VALUE or PATH += [ITEMS]");
  const path = parseSetPath(m[1] as string, flag, expr);
  let value: unknown;
  try {
    value = parse(m[3] as string);
  } catch (e) {
    throw bad(flag, expr, `the value is not valid YAML (${(e as Error).message.split("\n")[0]})`);
  }
  if (m[2] === "+=") {
    if (!Array.isArray(value)) throw bad(flag, expr, "+= needs a list on the right, e.g. += [{location: \"~/src\"}]");
    return { path, value, append: true };
  }
  return { path, value };
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
