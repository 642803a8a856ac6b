/**
 * The parser of tslima's yq/jq expressions: text to a tree (`YqNode`). Precedence, loosest first:
 * `|`, `,`, the assignments (`=` `|=` `+=` `-=` `*=` `/=` `//=`), `//`, `or`, `and`, comparisons,
 * `+ -`, `* /`, then postfix paths (`.a`, `.["k"]`, `[0]`, `[]`, `?`). Strings may interpolate
 * (`"v\(.a)"`). `env(NAME)`/`strenv(NAME)` are read here from `options.env`, and refused without it,
 * as Lima refuses them in `--yq` and `--set`; `load*`, `eval` and `system` are refused. Pure.
 */
import { tokenize, YqError, type Token } from "./yq-lex.js";

export { YqError };
const ASSIGN = ["=", "|=", "+=", "-=", "*=", "/=", "//="];

export type YqNode =
  | { k: "identity" }
  | { k: "recurse" }
  | { k: "literal"; v: unknown }
  | { k: "interp"; parts: Array<string | YqNode> }
  | { k: "index"; of: YqNode; key: YqNode }
  | { k: "field"; of: YqNode; name: string }
  | { k: "iterate"; of: YqNode }
  | { k: "pipe" | "comma" | "alt" | "and" | "or"; l: YqNode; r: YqNode }
  | { k: "binop"; op: string; l: YqNode; r: YqNode }
  | { k: "assign"; op: string; l: YqNode; r: YqNode }
  | { k: "array"; of: YqNode | null }
  | { k: "object"; entries: Array<[YqNode, YqNode]> }
  | { k: "call"; name: string; args: YqNode[] };

export interface YqParseOptions {
  /** The environment `env(NAME)` and `strenv(NAME)` read; without it they are refused. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Say that `load` is not available rather than that file operations are disabled. */
  fileOpsAllowed?: boolean;
}

/** Functions and how many arguments each takes (see yq-builtins.ts). */
export const ARITY: Record<string, number[]> = {
  select: [1],
  not: [0],
  length: [0],
  keys: [0],
  has: [1],
  test: [1, 2],
  contains: [1],
  map: [1],
  map_values: [1],
  to_entries: [0],
  from_entries: [0],
  with_entries: [1],
  del: [1],
  empty: [0],
  add: [0],
  join: [1],
  split: [1],
  tostring: [0],
  tonumber: [0],
  tag: [0],
  type: [0],
  first: [0],
  last: [0],
  sort: [0],
  unique: [0],
  unique_by: [1],
  reverse: [0],
  ascii_downcase: [0],
  ascii_upcase: [0],
  any: [0],
  all: [0],
};

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly opts: YqParseOptions,
  ) {}

  parseAll(): YqNode {
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

  private left(next: () => YqNode, ops: string[], make: (op: string, l: YqNode, r: YqNode) => YqNode): YqNode {
    let l = next();
    for (let op = this.peekOp(...ops); op !== undefined; op = this.peekOp(...ops)) {
      this.pos++;
      l = make(op, l, next());
    }
    return l;
  }

  private pipe(): YqNode {
    return this.left(() => this.comma(), ["|"], (_, l, r) => ({ k: "pipe", l, r }));
  }
  private comma(): YqNode {
    return this.left(() => this.assign(), [","], (_, l, r) => ({ k: "comma", l, r }));
  }
  private assign(): YqNode {
    const l = this.alt();
    const op = this.peekOp(...ASSIGN);
    if (op === undefined) return l;
    this.pos++;
    return { k: "assign", op, l, r: this.alt() };
  }
  private alt(): YqNode {
    return this.left(() => this.or(), ["//"], (_, l, r) => ({ k: "alt", l, r }));
  }
  private or(): YqNode {
    return this.left(() => this.and(), ["or"], (_, l, r) => ({ k: "or", l, r }));
  }
  private and(): YqNode {
    return this.left(() => this.cmp(), ["and"], (_, l, r) => ({ k: "and", l, r }));
  }
  private cmp(): YqNode {
    const l = this.add();
    const op = this.peekOp("==", "!=", "<", "<=", ">", ">=");
    if (op === undefined) return l;
    this.pos++;
    return { k: "binop", op, l, r: this.add() };
  }
  private add(): YqNode {
    return this.left(() => this.mul(), ["+", "-"], (op, l, r) => ({ k: "binop", op, l, r }));
  }
  private mul(): YqNode {
    return this.left(() => this.postfix(), ["*", "/"], (op, l, r) => ({ k: "binop", op, l, r }));
  }

  private postfix(): YqNode {
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
  private object(): YqNode {
    const entries: Array<[YqNode, YqNode]> = [];
    while (!this.peekOp("}")) {
      if (entries.length > 0) this.expect(",");
      const t = this.toks[this.pos++];
      let key: YqNode;
      if (t?.t === "ident" || t?.t === "str") key = { k: "literal", v: t.v };
      else if (t?.t === "op" && t.v === "(") {
        key = this.pipe();
        this.expect(")");
      } else throw new YqError(`expected a key in { } but found ${t ? show(t) : "the end"}`);
      let value: YqNode = { k: "field", of: { k: "identity" }, name: String((key as { v?: unknown }).v) };
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
  private bracket(of: YqNode): YqNode {
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

  /** `env(NAME)` / `strenv(NAME)`: the variable's value, as YAML or as a string. */
  private envCall(name: string): YqNode {
    this.expect("(");
    const t = this.toks[this.pos++];
    if (t?.t !== "ident" && t?.t !== "str") throw new YqError(`${name} takes the name of an environment variable, e.g. ${name}(HOME)`);
    this.expect(")");
    const env = this.opts.env;
    if (env === undefined) throw new YqError("env operations have been disabled");
    const raw = env[t.v];
    if (name === "strenv") return { k: "literal", v: raw ?? "" };
    if (raw === undefined || raw === "") throw new YqError(`value for env variable '${t.v}' not provided in env()`);
    return { k: "call", name: "yaml_value", args: [{ k: "literal", v: raw }] };
  }

  private call(name: string): YqNode {
    if (name === "env" || name === "strenv") return this.envCall(name);
    if (name === "envsubst") throw new YqError(this.opts.env === undefined ? "env operations have been disabled" : "envsubst is not available in tslima's yq: use strenv(NAME) and \"\\(...)\"");
    if (/^load/.test(name) || name === "eval") throw new YqError(this.opts.fileOpsAllowed ? `${name} is not available in tslima's yq (it reads no files from an expression)` : "file operations have been disabled");
    if (name === "system") throw new YqError("system operations are disabled (tslima's yq has no system operator)");
    const arity = ARITY[name];
    if (!arity) throw new YqError(`invalid input text "${name}": unknown function ${name} (tslima's yq has ${Object.keys(ARITY).join(", ")})`);
    const args: YqNode[] = [];
    if (this.peekOp("(")) {
      this.pos++;
      args.push(this.pipe());
      while (this.peekOp(";")) {
        this.pos++;
        args.push(this.pipe());
      }
      this.expect(")");
    }
    if (!arity.includes(args.length)) throw new YqError(`${name} takes ${arity.join(" or ")} argument(s), not ${args.length}`);
    return { k: "call", name, args };
  }

  private primary(): YqNode {
    const t = this.toks[this.pos];
    if (!t) throw new YqError("the expression ends too early");
    this.pos++;
    switch (t.t) {
      case "field":
        return { k: "field", of: { k: "identity" }, name: t.v };
      case "str":
      case "num":
        return { k: "literal", v: t.v };
      case "interp":
        return { k: "interp", parts: t.v.map((p) => (typeof p === "string" ? p : new Parser(tokenize(p.src), this.opts).parseAll())) };
      case "ident":
        if (t.v === "true" || t.v === "false") return { k: "literal", v: t.v === "true" };
        if (t.v === "null") return { k: "literal", v: null };
        return this.call(t.v);
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
  return t.t === "str" ? JSON.stringify(t.v) : t.t === "field" ? `".${t.v}"` : t.t === "interp" ? "a string" : `"${t.v}"`;
}

/** Parses a yq expression once; throws YqError saying what is wrong. */
export function parseYq(expr: string, options: YqParseOptions = {}): YqNode {
  return new Parser(tokenize(expr), options).parseAll();
}
