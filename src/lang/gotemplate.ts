/**
 * A small subset of Go's text/template, enough for Lima's YAML: `{{.Param.Key}}`, `{{.Home}}`, trim
 * markers `{{-` / `-}}`, comments, `if` / `else if` / `else` / `end`, parentheses, and the functions
 * not, and, or, eq, ne. Anything else throws TemplateSyntaxError; callers keep the text unchanged then
 * (as Lima does when a template does not execute) and report a warning.
 */
export class TemplateSyntaxError extends Error {}

type Node = { t: "text"; s: string } | { t: "out"; e: Expr } | { t: "if"; cond: Expr; then: Node[]; else: Node[] };
type Expr = { k: "field"; path: string[] } | { k: "lit"; v: unknown } | { k: "call"; fn: string; args: Expr[] };

/** Extra template functions a caller offers (e.g. `json` for `list --format`), by name. */
export type TemplateFuncs = Record<string, (...args: unknown[]) => unknown>;

const BUILTINS = ["not", "and", "or", "eq", "ne"];

const NO_VALUE = "<no value>";

function splitActions(src: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    const close = src.indexOf("}}", open + 2);
    if (close < 0) throw new TemplateSyntaxError("unclosed action");
    let text = src.slice(i, open);
    let action = src.slice(open + 2, close);
    if (action.startsWith("- ") || action === "-") {
      text = text.replace(/\s+$/, "");
      action = action.slice(1);
    }
    let next = close + 2;
    if (action.endsWith(" -") || action === "-") {
      action = action.slice(0, -1);
      const m = /^\s*/.exec(src.slice(next));
      next += m ? m[0].length : 0;
    }
    out.push({ text }, { action: action.trim() });
    i = next;
  }
  return out;
}

function tokenize(s: string): string[] {
  const toks: string[] = [];
  const re = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()]+)/y;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) toks.push(m[1] as string);
  if (s.slice(re.lastIndex === 0 ? 0 : re.lastIndex).trim() !== "" && toks.length === 0) throw new TemplateSyntaxError(`bad action ${s}`);
  return toks;
}

function parseExpr(toks: string[], funcs: TemplateFuncs): Expr {
  let pos = 0;
  const operand = (): Expr => {
    const t = toks[pos++];
    if (t === undefined) throw new TemplateSyntaxError("missing operand");
    if (t === "(") {
      const e = command(true);
      if (toks[pos++] !== ")") throw new TemplateSyntaxError("missing )");
      return e;
    }
    if (t === ".") return { k: "field", path: [] };
    if (t.startsWith(".")) return { k: "field", path: t.slice(1).split(".") };
    if (t.startsWith('"')) return { k: "lit", v: JSON.parse(t) as string };
    if (t.startsWith("`")) return { k: "lit", v: t.slice(1, -1) };
    if (/^-?\d+(\.\d+)?$/.test(t)) return { k: "lit", v: Number(t) };
    if (t === "true" || t === "false") return { k: "lit", v: t === "true" };
    if (t === "nil") return { k: "lit", v: undefined };
    if (BUILTINS.includes(t) || Object.hasOwn(funcs, t)) return { k: "call", fn: t, args: [] };
    throw new TemplateSyntaxError(`unsupported template word ${t}`);
  };
  const command = (inParens: boolean): Expr => {
    const first = operand();
    if (first.k === "call" && first.args.length === 0) {
      while (pos < toks.length && toks[pos] !== ")") first.args.push(operand());
      return first;
    }
    if (pos < toks.length && !(inParens && toks[pos] === ")")) throw new TemplateSyntaxError(`unexpected ${toks[pos]}`);
    return first;
  };
  const e = command(false);
  if (pos !== toks.length) throw new TemplateSyntaxError("trailing tokens");
  return e;
}

function parse(src: string, funcs: TemplateFuncs): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { t: "if" }>; inElse: boolean; chained: number }> = [];
  const cur = (): Node[] => {
    const top = stack[stack.length - 1];
    return top ? (top.inElse ? top.node.else : top.node.then) : root;
  };
  for (const part of splitActions(src)) {
    if ("text" in part) {
      if (part.text !== "") cur().push({ t: "text", s: part.text });
      continue;
    }
    const a = part.action;
    if (a.startsWith("/*")) continue;
    const toks = tokenize(a);
    const word = toks[0];
    if (word === "if") {
      const node: Extract<Node, { t: "if" }> = { t: "if", cond: parseExpr(toks.slice(1), funcs), then: [], else: [] };
      cur().push(node);
      stack.push({ node, inElse: false, chained: 0 });
    } else if (word === "else") {
      const top = stack[stack.length - 1];
      if (!top || top.inElse) throw new TemplateSyntaxError("unexpected else");
      top.inElse = true;
      if (toks[1] === "if") {
        const node: Extract<Node, { t: "if" }> = { t: "if", cond: parseExpr(toks.slice(2), funcs), then: [], else: [] };
        top.node.else.push(node);
        stack.push({ node, inElse: false, chained: top.chained + 1 });
      }
    } else if (word === "end") {
      const top = stack.pop();
      if (!top) throw new TemplateSyntaxError("unexpected end");
      for (let i = 0; i < top.chained; i++) stack.pop();
    } else if (word === "range" || word === "with" || word === "define" || word === "template" || word === "block") {
      throw new TemplateSyntaxError(`unsupported action ${word}`);
    } else {
      cur().push({ t: "out", e: parseExpr(toks, funcs) });
    }
  }
  if (stack.length > 0) throw new TemplateSyntaxError("missing end");
  return root;
}

function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === "" || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function evalExpr(e: Expr, data: unknown, funcs: TemplateFuncs, struct?: string): unknown {
  if (e.k === "lit") return e.v;
  if (e.k === "field") {
    let v: unknown = data;
    for (const p of e.path) {
      // a field the data (a Go struct) lacks is Go's execution error; inside it maps yield no value
      if (v === data && struct !== undefined && !Object.hasOwn(data as object, p)) throw new TemplateExecError(`executing at <.${e.path.join(".")}>: can't evaluate field ${p} in type ${struct}`);
      // own fields only: {{.Param.constructor}} is a missing param, not Object's constructor
      if (v === null || typeof v !== "object" || !Object.hasOwn(v, p)) return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  }
  const args = e.args;
  switch (e.fn) {
    case "not":
      return !truth(evalExpr(args[0] ?? { k: "lit", v: undefined }, data, funcs, struct));
    case "and": {
      let last: unknown = true;
      for (const a of args) {
        last = evalExpr(a, data, funcs, struct);
        if (!truth(last)) return last;
      }
      return last;
    }
    case "or": {
      let last: unknown = false;
      for (const a of args) {
        last = evalExpr(a, data, funcs, struct);
        if (truth(last)) return last;
      }
      return last;
    }
    case "eq":
    case "ne": {
      const [first, ...rest] = args.map((a) => evalExpr(a, data, funcs, struct));
      const eq = rest.some((r) => r === first);
      return e.fn === "eq" ? eq : !eq;
    }
    default: {
      const fn = Object.hasOwn(funcs, e.fn) ? funcs[e.fn] : undefined;
      if (fn === undefined) throw new TemplateSyntaxError(`unknown function ${e.fn}`);
      return fn(...args.map((a) => evalExpr(a, data, funcs, struct)));
    }
  }
}

function render(nodes: Node[], data: unknown, funcs: TemplateFuncs, struct?: string): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "out") {
      const v = evalExpr(n.e, data, funcs, struct);
      out += v === undefined || v === null ? NO_VALUE : typeof v === "string" ? v : JSON.stringify(v);
    } else out += render(truth(evalExpr(n.cond, data, funcs, struct)) ? n.then : n.else, data, funcs, struct);
  }
  return out;
}

/** A template that parses but cannot run on the data (Go's "executing ..." errors). */
export class TemplateExecError extends Error {}

/**
 * Executes a template; throws TemplateSyntaxError when it uses something this subset lacks.
 * `funcs` adds functions beyond the built-in not/and/or/eq/ne. With `struct` (a Go type name) the
 * data stands for a Go struct: a field it lacks is a TemplateExecError, as in Go.
 */
export function executeTemplate(src: string, data: Record<string, unknown>, funcs: TemplateFuncs = {}, struct?: string): string {
  if (!src.includes("{{")) return src;
  return render(parse(src, funcs), data, funcs, struct);
}

/** Parses a template without running it: throws TemplateSyntaxError as executeTemplate would. */
export function checkTemplate(src: string, funcs: TemplateFuncs = {}): void {
  parse(src, funcs);
}
