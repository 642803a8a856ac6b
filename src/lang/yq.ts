/**
 * A small yq/jq expression evaluator for the read-only expressions Lima's users and scripts pass to
 * `limactl list --yq/--filter` and `limactl template yq`: paths (`.name`, `.config.mounts[0].location`,
 * `.a["b.c"]`, `.[]`, `.list[]`), `|`, `,`, `//`, `==` `!=` `<` `<=` `>` `>=`, `and` `or`, `+ - * /`,
 * literals, `( )`, `[ ... ]`, and the functions `select(E)`, `not`, `length`, `keys`, `has(K)`,
 * `test(RE[, FLAGS])`, `contains(S)`, `map(E)`. Evaluation is jq's: every expression maps one input
 * value to a stream (array) of outputs. Scalars compare by their text as yq does (`.disk == "1048576"`
 * matches the number). Environment and file functions are refused as Lima refuses them. Pure.
 */
import { stringify } from "yaml";

export class YqError extends Error {}

export type YqProgram =
  | Node;
type Node =
  | { k: "identity" }
  | { k: "recurse" }
  | { k: "literal"; v: unknown }
  | { k: "index"; of: Node; key: Node }
  | { k: "field"; of: Node; name: string }
  | { k: "iterate"; of: Node }
  | { k: "pipe" | "comma" | "alt" | "and" | "or"; l: Node; r: Node }
  | { k: "binop"; op: string; l: Node; r: Node }
  | { k: "array"; of: Node | null }
  | { k: "object"; entries: Array<[Node, Node]> }
  | { k: "call"; name: string; args: Node[] };

type Token = { t: "field"; v: string } | { t: "str"; v: string } | { t: "num"; v: number } | { t: "ident"; v: string } | { t: "op"; v: string };

const OPS = ["..", "==", "!=", "<=", ">=", "//", "|", ",", "(", ")", "[", "]", "<", ">", "+", "-", "*", "/", ".", "?", ";", "{", "}", ":"];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "." && /[A-Za-z_]/.test(src[i + 1] ?? "")) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i + 1)) as RegExpExecArray;
      out.push({ t: "field", v: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(src.slice(i));
      if (!m) throw new YqError(`unterminated string at "${src.slice(i)}"`);
      out.push({ t: "str", v: JSON.parse(m[0]) as string });
      i += m[0].length;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "ident", v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new YqError(`unexpected character ${JSON.stringify(c)} at "${src.slice(i)}"`);
    out.push({ t: "op", v: op });
    i += op.length;
  }
  return out;
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  parseAll(): Node {
    if (this.toks.length === 0) throw new YqError("the expression is empty");
    const n = this.pipe();
    const rest = this.toks[this.pos];
    if (rest) throw new YqError(`unexpected ${show(rest)}`);
    return n;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.toks[this.pos];
    if (t && (t.t === "op" || t.t === "ident") && ops.includes(t.v)) return t.v;
    return undefined;
  }

  private expect(op: string): void {
    const t = this.toks[this.pos];
    if (!t || t.t !== "op" || t.v !== op) throw new YqError(`expected "${op}" but found ${t ? show(t) : "the end"}`);
    this.pos++;
  }

  private left(next: () => Node, ops: string[], make: (op: string, l: Node, r: Node) => Node): Node {
    let l = next();
    for (let op = this.peekOp(...ops); op !== undefined; op = this.peekOp(...ops)) {
      this.pos++;
      l = make(op, l, next());
    }
    return l;
  }

  private pipe(): Node {
    return this.left(() => this.comma(), ["|"], (_, l, r) => ({ k: "pipe", l, r }));
  }
  private comma(): Node {
    return this.left(() => this.alt(), [","], (_, l, r) => ({ k: "comma", l, r }));
  }
  private alt(): Node {
    return this.left(() => this.or(), ["//"], (_, l, r) => ({ k: "alt", l, r }));
  }
  private or(): Node {
    return this.left(() => this.and(), ["or"], (_, l, r) => ({ k: "or", l, r }));
  }
  private and(): Node {
    return this.left(() => this.cmp(), ["and"], (_, l, r) => ({ k: "and", l, r }));
  }
  private cmp(): Node {
    const l = this.add();
    const op = this.peekOp("==", "!=", "<", "<=", ">", ">=");
    if (op === undefined) return l;
    this.pos++;
    return { k: "binop", op, l, r: this.add() };
  }
  private add(): Node {
    return this.left(() => this.mul(), ["+", "-"], (op, l, r) => ({ k: "binop", op, l, r }));
  }
  private mul(): Node {
    return this.left(() => this.postfix(), ["*", "/"], (op, l, r) => ({ k: "binop", op, l, r }));
  }

  private postfix(): Node {
    let n = this.primary();
    for (;;) {
      const t = this.toks[this.pos];
      if (t?.t === "field") {
        this.pos++;
        n = { k: "field", of: n, name: t.v };
      } else if (t?.t === "op" && t.v === "." && this.toks[this.pos + 1]?.t === "str") {
        n = { k: "field", of: n, name: (this.toks[this.pos + 1] as { v: string }).v };
        this.pos += 2;
      } else if (t?.t === "op" && (t.v === "[" || (t.v === "." && this.toks[this.pos + 1]?.v === "["))) {
        n = this.bracket(n);
      } else if (t?.t === "op" && t.v === "?") {
        this.pos++;
      } else return n;
    }
  }

  /** `{a, "b": E, (E): E}` after its `{` (a bare key is `key: .key`). */
  private object(): Node {
    const entries: Array<[Node, Node]> = [];
    while (!this.peekOp("}")) {
      if (entries.length > 0) this.expect(",");
      const t = this.toks[this.pos++];
      let key: Node;
      if (t?.t === "ident" || t?.t === "str") key = { k: "literal", v: t.v };
      else if (t?.t === "op" && t.v === "(") {
        key = this.pipe();
        this.expect(")");
      } else throw new YqError(`expected a key in { } but found ${t ? show(t) : "the end"}`);
      let value: Node = { k: "field", of: { k: "identity" }, name: String((key as { v?: unknown }).v) };
      if (this.peekOp(":")) {
        this.pos++;
        value = this.alt();
      } else if (key.k !== "literal") throw new YqError(`expected ":" after a computed key`);
      entries.push([key, value]);
    }
    this.pos++;
    return { k: "object", entries };
  }

  /** `[]`, `[E]` after a value (the current token is `[` or `.` before it). */
  private bracket(of: Node): Node {
    if (this.peekOp(".")) this.pos++;
    this.expect("[");
    if (this.peekOp("]")) {
      this.pos++;
      return { k: "iterate", of };
    }
    const key = this.pipe();
    this.expect("]");
    return { k: "index", of, key };
  }

  private primary(): Node {
    const t = this.toks[this.pos];
    if (!t) throw new YqError("the expression ends too early");
    this.pos++;
    switch (t.t) {
      case "field":
        return { k: "field", of: { k: "identity" }, name: t.v };
      case "str":
      case "num":
        return { k: "literal", v: t.v };
      case "ident": {
        if (t.v === "true" || t.v === "false") return { k: "literal", v: t.v === "true" };
        if (t.v === "null") return { k: "literal", v: null };
        const args: Node[] = [];
        checkCall(t.v, undefined);
        if (this.peekOp("(")) {
          this.pos++;
          args.push(this.pipe());
          while (this.peekOp(";")) {
            this.pos++;
            args.push(this.pipe());
          }
          this.expect(")");
        }
        checkCall(t.v, args.length);
        return { k: "call", name: t.v, args };
      }
      case "op":
        break;
    }
    switch (t.v) {
      case ".":
        if (this.toks[this.pos]?.t === "str") return { k: "field", of: { k: "identity" }, name: (this.toks[this.pos++] as { v: string }).v };
        if (this.peekOp("[")) {
          this.pos--;
          return this.bracket({ k: "identity" });
        }
        return { k: "identity" };
      case "..":
        return { k: "recurse" };
      case "(": {
        const n = this.pipe();
        this.expect(")");
        return n;
      }
      case "[": {
        if (this.peekOp("]")) {
          this.pos++;
          return { k: "array", of: null };
        }
        const n = this.pipe();
        this.expect("]");
        return { k: "array", of: n };
      }
      case "{":
        return this.object();
      case "-": {
        const n = this.toks[this.pos];
        if (n?.t === "num") {
          this.pos++;
          return { k: "literal", v: -n.v };
        }
        break;
      }
    }
    throw new YqError(`unexpected ${show(t)}`);
  }
}

function show(t: Token): string {
  return t.t === "str" ? JSON.stringify(t.v) : t.t === "field" ? `".${t.v}"` : `"${t.v}"`;
}

const ARITY: Record<string, number[]> = {
  select: [1],
  not: [0],
  length: [0],
  keys: [0],
  has: [1],
  test: [1, 2],
  contains: [1],
  map: [1],
};

/** Refuses an unknown function, or (with N) a wrong number of arguments. */
function checkCall(name: string, n: number | undefined): void {
  if (/^(env|strenv|envsubst)$/.test(name)) throw new YqError("env operations have been disabled");
  if (/^load/.test(name) || name === "eval") throw new YqError("file operations have been disabled");
  const arity = ARITY[name];
  if (!arity) throw new YqError(`unknown function ${name} (this subset has ${Object.keys(ARITY).join(", ")})`);
  if (n !== undefined && !arity.includes(n)) throw new YqError(`${name} takes ${arity.join(" or ")} argument(s), not ${n}`);
}

/** Parses a yq expression once; throws YqError saying what is wrong. */
export function parseYq(expr: string): Node {
  return new Parser(tokenize(expr)).parseAll();
}

const isMapValue = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const truthy = (v: unknown) => v !== false && v !== null && v !== undefined;
const typeName = (v: unknown) => (v === null || v === undefined ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "map" : typeof v);

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return "null";
  return typeof v === "object" ? JSON.stringify(v) : `${v as string | number | boolean}`;
}

function equal(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    if (typeof a === "object" && a !== null) return false;
    if (typeof b === "object" && b !== null) return false;
    return scalarText(a) === scalarText(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === "==") return equal(a, b);
  if (op === "!=") return !equal(a, b);
  const asNumber = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);
  const na = asNumber(a);
  const nb = asNumber(b);
  let c: number;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) c = na - nb;
  else if (typeof a === "string" && typeof b === "string") c = a < b ? -1 : a > b ? 1 : 0;
  else c = rank(a) - rank(b);
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
}

/** jq's order of kinds: null < false < true < numbers < strings < lists < maps. */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "boolean") return v ? 2 : 1;
  if (typeof v === "number") return 3;
  if (typeof v === "string") return 4;
  return Array.isArray(v) ? 5 : 6;
}

function arith(op: string, a: unknown, b: unknown): unknown {
  if (op === "+") {
    if (a === null || a === undefined) return b;
    if (b === null || b === undefined) return a;
    if (typeof a === "number" && typeof b === "number") return a + b;
    if (typeof a === "string" && typeof b === "string") return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...(a as unknown[]), ...(b as unknown[])];
    if (isMapValue(a) && isMapValue(b)) return { ...a, ...b };
  } else if (typeof a === "number" && typeof b === "number") {
    if (op === "/" && b === 0) throw new YqError("division by zero");
    return op === "-" ? a - b : op === "*" ? a * b : a / b;
  }
  throw new YqError(`cannot apply ${op} to ${typeName(a)} and ${typeName(b)}`);
}

function index(v: unknown, key: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof key === "number") {
    if (!Array.isArray(v)) throw new YqError(`cannot index a ${typeName(v)} with the number ${key}`);
    const i = key < 0 ? v.length + key : key;
    return v[i] ?? null;
  }
  if (typeof key === "string") {
    if (isMapValue(v)) return Object.hasOwn(v, key) ? v[key] : null;
    return null;
  }
  throw new YqError(`cannot index with a ${typeName(key)}`);
}

function values(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMapValue(v)) return Object.values(v);
  if (v === null || v === undefined) return [];
  throw new YqError(`cannot iterate over a ${typeName(v)}`);
}

function recurse(v: unknown): unknown[] {
  const out: unknown[] = [v];
  if (Array.isArray(v) || isMapValue(v)) for (const c of values(v)) out.push(...recurse(c));
  return out;
}

function product(l: unknown[], r: unknown[], f: (a: unknown, b: unknown) => unknown): unknown[] {
  const out: unknown[] = [];
  for (const b of r) for (const a of l) out.push(f(a, b));
  return out;
}

function regex(pattern: unknown, flags: unknown): RegExp {
  if (typeof pattern !== "string") throw new YqError(`test needs a string pattern, not a ${typeName(pattern)}`);
  const f = typeof flags === "string" ? flags.replace(/[^imsx]/g, "").replace("x", "") : "";
  try {
    return new RegExp(pattern, f);
  } catch (e) {
    throw new YqError(`test(${JSON.stringify(pattern)}): ${(e as Error).message}`);
  }
}

function call(name: string, args: Node[], input: unknown): unknown[] {
  const arg = (i: number) => run(args[i] as Node, input);
  switch (name) {
    case "select":
      return arg(0).some(truthy) ? [input] : [];
    case "not":
      return [!truthy(input)];
    case "length":
      return [input === null || input === undefined ? 0 : typeof input === "string" || Array.isArray(input) ? input.length : isMapValue(input) ? Object.keys(input).length : Math.abs(Number(input))];
    case "keys":
      if (Array.isArray(input)) return [input.map((_, i) => i)];
      if (isMapValue(input)) return [Object.keys(input)];
      throw new YqError(`keys needs a map or an array, not a ${typeName(input)}`);
    case "has":
      return arg(0).map((k) => (Array.isArray(input) ? typeof k === "number" && k >= 0 && k < input.length : isMapValue(input) && typeof k === "string" && Object.hasOwn(input, k)));
    case "test": {
      if (typeof input !== "string") throw new YqError(`test needs a string input, not a ${typeName(input)}`);
      const flags = args.length > 1 ? arg(1)[0] : "";
      return arg(0).map((p) => regex(p, flags).test(input));
    }
    case "contains":
      return arg(0).map((s) => (typeof input === "string" && typeof s === "string" ? input.includes(s) : Array.isArray(input) ? input.some((x) => equal(x, s)) : equal(input, s)));
    case "map":
      return [values(input).flatMap((v) => run(args[0] as Node, v))];
  }
  throw new YqError(`unknown function ${name}`);
}

function run(n: Node, input: unknown): unknown[] {
  switch (n.k) {
    case "identity":
      return [input];
    case "recurse":
      return recurse(input);
    case "literal":
      return [n.v];
    case "field":
      return run(n.of, input).map((v) => index(v, n.name));
    case "index":
      return run(n.of, input).flatMap((v) => run(n.key, input).map((k) => index(v, k)));
    case "iterate":
      return run(n.of, input).flatMap(values);
    case "pipe":
      return run(n.l, input).flatMap((v) => run(n.r, v));
    case "comma":
      return [...run(n.l, input), ...run(n.r, input)];
    case "alt": {
      const l = run(n.l, input).filter(truthy);
      return l.length > 0 ? l : run(n.r, input);
    }
    case "and":
    case "or":
      return run(n.l, input).flatMap((a) => {
        if (n.k === "and" && !truthy(a)) return [false];
        if (n.k === "or" && truthy(a)) return [true];
        return run(n.r, input).map(truthy);
      });
    case "binop": {
      const f = ["==", "!=", "<", "<=", ">", ">="].includes(n.op) ? (a: unknown, b: unknown) => compare(n.op, a, b) : (a: unknown, b: unknown) => arith(n.op, a, b);
      return product(run(n.l, input), run(n.r, input), f);
    }
    case "array":
      return [n.of ? run(n.of, input) : []];
    case "object": {
      let objs: Array<Record<string, unknown>> = [{}];
      for (const [kn, vn] of n.entries) {
        const keys = run(kn, input);
        const vals = run(vn, input);
        objs = objs.flatMap((o) =>
          keys.flatMap((key) => {
            if (typeof key !== "string") throw new YqError(`an object key must be a string, not a ${typeName(key)}`);
            return vals.map((v) => ({ ...o, [key]: v }));
          }),
        );
      }
      return objs;
    }
    case "call":
      return call(n.name, n.args, input);
  }
}

/** Evaluates EXPR on one input value; the outputs in order. Throws YqError. */
export function evalYq(expr: string | YqProgram, input: unknown): unknown[] {
  return run(typeof expr === "string" ? parseYq(expr) : expr, input);
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
