/**
 * The values tslima's yq evaluates over (plain JSON-like data) and the operations on them: yq's
 * equality (scalars by their text), jq's ordering, `+ - * /` (`*` merges maps deeply, as yq's),
 * indexing, and paths: reading, setting and deleting one, copying only what changes. A map or list
 * copied by a change remembers the one it came from (`originOf`), so that output can keep the YAML
 * node's comments and layout (yq-doc.ts). Pure.
 */
import { YqError } from "./yq-lex.js";

export type Path = Array<string | number>;
export type Obj = Record<string, unknown>;

export const isMapValue = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const truthy = (v: unknown) => v !== false && v !== null && v !== undefined;
export const typeName = (v: unknown) => (v === null || v === undefined ? "null" : Array.isArray(v) ? "array" : typeof v === "object" ? "map" : typeof v);

/** Where a map or list came from: the value it is a changed copy of, or what yq-doc.ts registered. */
const origins = new WeakMap<object, unknown>();

export function setOrigin(copy: object, from: unknown): void {
  origins.set(copy, from);
}

export function originOf(v: object): unknown {
  return origins.get(v);
}

export function scalarText(v: unknown): string {
  if (v === null || v === undefined) return "null";
  return typeof v === "object" ? JSON.stringify(v) : `${v as string | number | boolean}`;
}

export function equal(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) {
    if (typeof a === "object" && a !== null) return false;
    if (typeof b === "object" && b !== null) return false;
    return scalarText(a) === scalarText(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => k in b && equal((a as Obj)[k], (b as Obj)[k]));
}

/** jq's order of kinds: null < false < true < numbers < strings < lists < maps. */
function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "boolean") return v ? 2 : 1;
  if (typeof v === "number") return 3;
  if (typeof v === "string") return 4;
  return Array.isArray(v) ? 5 : 6;
}

export function order(a: unknown, b: unknown): number {
  const asNumber = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);
  const na = asNumber(a);
  const nb = asNumber(b);
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return rank(a) - rank(b);
}

export function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === "==") return equal(a, b);
  if (op === "!=") return !equal(a, b);
  const c = order(a, b);
  return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
}

/** yq's `*` of two maps: B's fields over A's, maps merged deeply. */
function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  setOrigin(out, a);
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    put(out, k, isMapValue(cur) && isMapValue(v) ? merge(cur, v) : v);
  }
  return out;
}

export function arith(op: string, a: unknown, b: unknown): unknown {
  if (op === "+") {
    if (a === null || a === undefined) return b;
    if (b === null || b === undefined) return a;
    if (typeof a === "number" && typeof b === "number") return a + b;
    if (typeof a === "string" && typeof b === "string") return a + b;
    if (Array.isArray(a)) return withOrigin([...(a as unknown[]), ...(Array.isArray(b) ? (b as unknown[]) : [b])], a);
    if (isMapValue(a) && isMapValue(b)) return withOrigin({ ...a, ...b }, a);
  } else if (op === "*" && isMapValue(a) && isMapValue(b)) {
    return merge(a, b);
  } else if (op === "-" && Array.isArray(a) && Array.isArray(b)) {
    return withOrigin(a.filter((x) => !b.some((y) => equal(x, y))), a);
  } else if (typeof a === "number" && typeof b === "number") {
    if (op === "/" && b === 0) throw new YqError("division by zero");
    return op === "-" ? a - b : op === "*" ? a * b : a / b;
  }
  throw new YqError(`cannot apply ${op} to ${typeName(a)} and ${typeName(b)}`);
}

/** Sets O[K] as an own field, also for keys such as "__proto__". */
export function put(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function withOrigin<T extends object>(copy: T, from: unknown): T {
  setOrigin(copy, from);
  return copy;
}

export function index(v: unknown, key: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof key === "number") {
    if (!Array.isArray(v)) throw new YqError(`cannot index a ${typeName(v)} with the number ${key}`);
    const i = key < 0 ? v.length + key : key;
    return v[i] ?? null;
  }
  if (typeof key === "string") return isMapValue(v) && Object.hasOwn(v, key) ? v[key] : null;
  if (key === null) return null;
  throw new YqError(`cannot index with a ${typeName(key)}`);
}

export function values(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMapValue(v)) return Object.values(v);
  if (v === null || v === undefined) return [];
  throw new YqError(`cannot iterate over a ${typeName(v)}`);
}

/** The keys `.[]` visits in V, as path steps. */
export function childKeys(v: unknown): Path {
  if (Array.isArray(v)) return v.map((_, i) => i);
  if (isMapValue(v)) return Object.keys(v);
  if (v === null || v === undefined) return [];
  throw new YqError(`cannot iterate over a ${typeName(v)}`);
}

export function getPath(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((acc, step) => index(acc, step), v);
}

/** How far past its end an assignment may grow a list (nulls fill the gap, as yq does): `.a[1e9] = 1` must not fill memory. */
export const MAX_LIST_GROWTH = 100_000;

/** V with the value at PATH replaced by X, missing maps and lists created; V itself unchanged. */
export function setPath(v: unknown, path: Path, x: unknown): unknown {
  if (path.length === 0) return x;
  const [step, ...rest] = path as [string | number, ...Path];
  if (typeof step === "number") {
    if (v !== null && v !== undefined && !Array.isArray(v)) throw new YqError(`cannot index a ${typeName(v)} with the number ${step}`);
    const list = Array.isArray(v) ? [...(v as unknown[])] : [];
    const i = step < 0 ? list.length + step : step;
    if (i < 0) throw new YqError(`index ${step} is out of range`);
    if (i - list.length > MAX_LIST_GROWTH) throw new YqError(`index ${step} is more than ${MAX_LIST_GROWTH} past the end of a list of ${list.length}`);
    while (list.length < i) list.push(null);
    list[i] = setPath(list[i], rest, x);
    return withOrigin(list, v);
  }
  if (v !== null && v !== undefined && !isMapValue(v)) throw new YqError(`cannot set the field "${step}" of a ${typeName(v)}`);
  const map: Obj = { ...(v ?? {}) };
  put(map, step, setPath(Object.hasOwn(map, step) ? map[step] : null, rest, x));
  return withOrigin(map, v);
}

/** V without the value at PATH (nothing changes when it is missing). */
export function deletePath(v: unknown, path: Path): unknown {
  if (path.length === 0) return null;
  const [step, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(v) && typeof step === "number") {
    const i = step < 0 ? v.length + step : step;
    if (i < 0 || i >= v.length) return v;
    const list = [...(v as unknown[])];
    if (rest.length === 0) list.splice(i, 1);
    else list[i] = deletePath(list[i], rest);
    return withOrigin(list, v);
  }
  if (isMapValue(v) && typeof step === "string" && Object.hasOwn(v, step)) {
    const map: Obj = { ...v };
    if (rest.length === 0) delete map[step];
    else put(map, step, deletePath(map[step], rest));
    return withOrigin(map, v);
  }
  return v;
}
