/**
 * The functions of tslima's yq (their arities are in yq-parse.ts): select, not, length, keys, has,
 * test, contains, map, map_values, to_entries, from_entries, with_entries, del, empty, add, join,
 * split, tostring, tonumber, tag/type (yq's `!!str` ...), first, last, sort, unique,
 * unique_by (yq's: the first of each key, in order), reverse,
 * ascii_downcase, ascii_upcase, any, all. Pure.
 */
import { parse } from "yaml";
import { YqError, type YqNode } from "./yq-parse.js";
import { arith, deletePath, equal, isMapValue, order, put, scalarText, truthy, typeName, values, type Obj, type Path } from "./yq-values.js";

type Run = (n: YqNode, input: unknown) => unknown[];
type Paths = (n: YqNode, input: unknown) => Path[];

function regex(pattern: unknown, flags: unknown): RegExp {
  if (typeof pattern !== "string") throw new YqError(`test needs a string pattern, not a ${typeName(pattern)}`);
  const f = typeof flags === "string" ? flags.replace(/[^imsx]/g, "").replace("x", "") : "";
  try {
    return new RegExp(pattern, f);
  } catch (e) {
    throw new YqError(`test(${JSON.stringify(pattern)}): ${(e as Error).message}`);
  }
}

/** yq's tag of a value: `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`, `!!seq`. */
export function tagOf(v: unknown): string {
  if (v === null || v === undefined) return "!!null";
  if (Array.isArray(v)) return "!!seq";
  if (typeof v === "object") return "!!map";
  if (typeof v === "number") return Number.isInteger(v) ? "!!int" : "!!float";
  return typeof v === "boolean" ? "!!bool" : "!!str";
}

function toEntries(input: unknown): unknown[] {
  if (Array.isArray(input)) return (input as unknown[]).map((value, key) => ({ key, value }));
  if (isMapValue(input)) return Object.entries(input).map(([key, value]) => ({ key, value }));
  throw new YqError(`to_entries needs a map or a list, not a ${typeName(input)}`);
}

function fromEntries(input: unknown): Obj {
  const out: Obj = {};
  for (const e of values(input)) {
    if (!isMapValue(e)) throw new YqError(`from_entries needs a list of {key, value} maps, not of ${typeName(e)}`);
    const key = ["key", "k", "name", "Name", "Key", "K"].map((k) => e[k]).find((k) => k !== undefined && k !== null);
    if (key === undefined) throw new YqError("from_entries: an entry has no key");
    put(out, scalarText(key), ["value", "v", "Value", "V"].map((k) => e[k]).find((v) => v !== undefined) ?? null);
  }
  return out;
}

function length(input: unknown): number {
  if (input === null || input === undefined) return 0;
  if (typeof input === "string" || Array.isArray(input)) return input.length;
  if (isMapValue(input)) return Object.keys(input).length;
  return Math.abs(Number(input));
}

function list(name: string, input: unknown): unknown[] {
  if (!Array.isArray(input)) throw new YqError(`${name} needs a list, not a ${typeName(input)}`);
  return input;
}

function str(name: string, input: unknown): string {
  if (typeof input !== "string") throw new YqError(`${name} needs a string, not a ${typeName(input)}`);
  return input;
}

export function call(name: string, args: YqNode[], input: unknown, run: Run, paths: Paths): unknown[] {
  const arg = (i: number) => run(args[i] as YqNode, input);
  switch (name) {
    case "select":
      return arg(0).some(truthy) ? [input] : [];
    case "not":
      return [!truthy(input)];
    case "length":
      return [length(input)];
    case "keys":
      if (Array.isArray(input)) return [input.map((_, i) => i)];
      if (isMapValue(input)) return [Object.keys(input)];
      throw new YqError(`keys needs a map or an array, not a ${typeName(input)}`);
    case "has":
      return arg(0).map((k) => (Array.isArray(input) ? typeof k === "number" && k >= 0 && k < input.length : isMapValue(input) && typeof k === "string" && Object.hasOwn(input, k)));
    case "test": {
      const s = str("test", input);
      const flags = args.length > 1 ? arg(1)[0] : "";
      return arg(0).map((p) => regex(p, flags).test(s));
    }
    case "contains":
      return arg(0).map((s) => (typeof input === "string" && typeof s === "string" ? input.includes(s) : Array.isArray(input) ? input.some((x) => equal(x, s)) : equal(input, s)));
    case "map":
      return [values(input).flatMap((v) => run(args[0] as YqNode, v))];
    case "map_values": {
      if (!isMapValue(input)) return [values(input).flatMap((v) => run(args[0] as YqNode, v).slice(0, 1))];
      const out: Obj = {};
      for (const [k, v] of Object.entries(input)) for (const x of run(args[0] as YqNode, v).slice(0, 1)) put(out, k, x);
      return [out];
    }
    case "to_entries":
      return [toEntries(input)];
    case "from_entries":
      return [fromEntries(input)];
    case "with_entries":
      return [fromEntries(toEntries(input).flatMap((e) => run(args[0] as YqNode, e)))];
    case "del": {
      // deepest and last first, so that deleting one does not move the others
      const ps = paths(args[0] as YqNode, input).sort((a, b) => b.length - a.length || order(b[b.length - 1], a[a.length - 1]));
      return [ps.reduce<unknown>((acc, p) => deletePath(acc, p), input)];
    }
    case "empty":
      return [];
    case "add":
      return [values(input).reduce<unknown>((acc, v) => arith("+", acc, v), null)];
    case "join":
      return arg(0).map((sep) => list("join", input).map((v) => (v === null ? "" : scalarText(v))).join(scalarText(sep)));
    case "split":
      return arg(0).map((sep) => str("split", input).split(str("split's separator", sep)));
    case "tostring":
      return [typeof input === "string" ? input : scalarText(input)];
    case "tonumber": {
      const n = typeof input === "number" ? input : Number(input);
      if (typeof input === "boolean" || input === null || Number.isNaN(n) || (typeof input === "string" && input.trim() === "")) throw new YqError(`cannot parse ${JSON.stringify(input)} as a number`);
      return [n];
    }
    case "tag":
    case "type":
      return [tagOf(input)];
    case "first":
      return Array.isArray(input) ? input.slice(0, 1) : [];
    case "last":
      return Array.isArray(input) ? input.slice(-1) : [];
    case "sort":
      return [[...list("sort", input)].sort(order)];
    case "unique":
      return [[...list("unique", input)].sort(order).filter((v, i, a) => i === 0 || !equal(v, a[i - 1]))];
    case "unique_by": {
      const keys: unknown[] = [];
      return [
        list("unique_by", input).filter((v) => {
          const k = run(args[0] as YqNode, v)[0] ?? null;
          if (keys.some((seen) => equal(seen, k))) return false;
          keys.push(k);
          return true;
        }),
      ];
    }
    case "reverse":
      return [typeof input === "string" ? [...input].reverse().join("") : [...list("reverse", input)].reverse()];
    case "ascii_downcase":
      return [str(name, input).toLowerCase()];
    case "ascii_upcase":
      return [str(name, input).toUpperCase()];
    case "any":
      return [values(input).some(truthy)];
    case "all":
      return [values(input).every(truthy)];
    case "yaml_value":
      // env(NAME): the variable's text parsed as YAML (yq-parse.ts puts the text in the argument)
      return arg(0).map((t) => parse(String(t)) as unknown);
  }
  throw new YqError(`unknown function ${name}`);
}
