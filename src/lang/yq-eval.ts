/**
 * Evaluates a parsed yq expression (yq-parse.ts) as jq does: one input value to a stream (array) of
 * outputs. Assignments (`=`, `|=`, `+=`, ...) and `del` work on paths: the left side is evaluated to
 * the paths it selects (`.a`, `.a[]`, `.. | select(...)`, `(.a, .b)`), which are then set or deleted
 * in a copy of the input. `=` and the arithmetic updates take their right side from the input, as in
 * jq and yq; `|=` from the value being updated. Pure.
 */
import { call } from "./yq-builtins.js";
import { YqError, type YqNode } from "./yq-parse.js";
import { arith, childKeys, compare, getPath, index, isMapValue, put, scalarText, setPath, truthy, typeName, values, type Path } from "./yq-values.js";

function recurse(v: unknown): unknown[] {
  const out: unknown[] = [v];
  if (Array.isArray(v) || isMapValue(v)) for (const c of values(v)) out.push(...recurse(c));
  return out;
}

function recursePaths(v: unknown, at: Path): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v) || isMapValue(v)) for (const k of childKeys(v)) out.push(...recursePaths(index(v, k), [...at, k]));
  return out;
}

function product(l: unknown[], r: unknown[], f: (a: unknown, b: unknown) => unknown): unknown[] {
  const out: unknown[] = [];
  for (const b of r) for (const a of l) out.push(f(a, b));
  return out;
}

/** The paths (from INPUT) that N selects; an error for an expression that is not a path. */
export function paths(n: YqNode, input: unknown): Path[] {
  switch (n.k) {
    case "identity":
      return [[]];
    case "recurse":
      return recursePaths(input, []);
    case "field":
      return paths(n.of, input).map((p) => [...p, n.name]);
    case "index":
      return paths(n.of, input).flatMap((p) =>
        run(n.key, input).map((k) => {
          if (typeof k !== "number" && typeof k !== "string") throw new YqError(`cannot use a ${typeName(k)} as a path step`);
          const at = getPath(input, p);
          return [...p, typeof k === "number" && k < 0 && Array.isArray(at) ? at.length + k : k];
        }),
      );
    case "iterate":
      return paths(n.of, input).flatMap((p) => childKeys(getPath(input, p)).map((k) => [...p, k]));
    case "pipe":
      return paths(n.l, input).flatMap((p) => paths(n.r, getPath(input, p)).map((q) => [...p, ...q]));
    case "comma":
      return [...paths(n.l, input), ...paths(n.r, input)];
    case "alt": {
      const l = paths(n.l, input).filter((p) => truthy(getPath(input, p)));
      return l.length > 0 ? l : paths(n.r, input);
    }
    case "call":
      if (n.name === "select") return run(n.args[0] as YqNode, input).some(truthy) ? [[]] : [];
      if (n.name === "empty") return [];
      if (n.name === "first" || n.name === "last") return Array.isArray(input) && input.length > 0 ? [[n.name === "first" ? 0 : input.length - 1]] : [];
      break;
    case "literal":
      if (n.v === null) return [];
      break;
  }
  throw new YqError(`cannot update or delete a path from this expression (${n.k === "call" ? n.name : n.k}): use paths such as .a.b, .list[0], .list[] or select(...)`);
}

function assign(n: Extract<YqNode, { k: "assign" }>, input: unknown): unknown[] {
  const targets = paths(n.l, input);
  if (n.op === "|=") {
    let out = input;
    for (const p of targets) {
      const next = run(n.r, getPath(out, p));
      if (next.length > 0) out = setPath(out, p, next[0]);
    }
    return [out];
  }
  return run(n.r, input).map((rhs) => {
    let out = input;
    for (const p of targets) {
      const cur = getPath(out, p);
      const next = n.op === "=" ? rhs : n.op === "//=" ? (truthy(cur) ? cur : rhs) : arith(n.op.slice(0, 1), cur, rhs);
      out = setPath(out, p, next);
    }
    return out;
  });
}

function interpolate(parts: Array<string | YqNode>, input: unknown): unknown[] {
  let outs = [""];
  for (const p of parts) {
    if (typeof p === "string") outs = outs.map((o) => o + p);
    else {
      const vs = run(p, input).map((v) => (typeof v === "string" ? v : scalarText(v)));
      outs = outs.flatMap((o) => vs.map((v) => o + v));
    }
  }
  return outs;
}

export function run(n: YqNode, input: unknown): unknown[] {
  switch (n.k) {
    case "identity":
      return [input];
    case "recurse":
      return recurse(input);
    case "literal":
      return [n.v];
    case "interp":
      return interpolate(n.parts, input);
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
    case "assign":
      return assign(n, input);
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
            return vals.map((v) => {
              const next = { ...o };
              put(next, key, v);
              return next;
            });
          }),
        );
      }
      return objs;
    }
    case "call":
      return call(n.name, n.args, input, run, paths);
  }
}
