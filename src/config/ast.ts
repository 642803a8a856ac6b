import { isAlias, isMap, isNode, isPair, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from "yaml";
import { copyOrigin } from "./positions.js";

/** Small helpers over the `yaml` package's node types, used by the merge steps. */

export type AnyNode = Node | null | undefined;

export function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

export function getPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p: Pair) => keyName(p) === key);
}

/** The first pair of each key of a map, for many lookups in one map (getPair is a linear search). */
export function pairIndex(map: YAMLMap): Map<string, Pair> {
  const index = new Map<string, Pair>();
  for (const p of map.items) if (!index.has(keyName(p))) index.set(keyName(p), p);
  return index;
}

export function getValue(map: YAMLMap, key: string): AnyNode {
  return getPair(map, key)?.value as AnyNode;
}

/** Absent, `~`/`null`, or an empty value: Lima treats these as "not set". */
export function isUnset(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && (node.value === null || node.value === undefined));
}

export function removeKey(map: YAMLMap, key: string): void {
  map.items = map.items.filter((p) => keyName(p) !== key);
}

export function setValue(map: YAMLMap, key: string, value: Node): void {
  const pair = getPair(map, key);
  if (pair) pair.value = value;
  else map.items.push(new Pair(new Scalar(key), value));
}

/** Walks a path of map keys; undefined as soon as a step is missing or not a map. */
export function getIn(node: AnyNode, path: string[]): AnyNode {
  let cur: AnyNode = node;
  for (const key of path) {
    if (!isMap(cur)) return undefined;
    cur = getValue(cur, key);
  }
  return cur;
}

/** A new map holding the pairs of `from` (shallow), with its origin. */
export function shallowCopyMap(from: YAMLMap): YAMLMap {
  const m = new YAMLMap();
  m.items = [...from.items];
  copyOrigin(m, from);
  return m;
}

export function newSeq(items: unknown[], originFrom?: Node | null): YAMLSeq {
  const s = new YAMLSeq();
  s.items = items;
  if (originFrom) copyOrigin(s, originFrom);
  return s;
}

/**
 * Sets an own property, also for keys named like Object.prototype members: `obj["__proto__"] = v`
 * would replace the prototype instead of storing the value.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Plain JavaScript value of a node (maps -> objects with string keys, seqs -> arrays, scalars -> values). */
export function toJS(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return null;
  if (isScalar(node)) return node.value ?? null;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const p of node.items) {
      if (isPair(p)) setOwn(out, keyName(p), toJS(p.value));
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((i) => toJS(i));
  if (isNode(node)) return null;
  return node;
}

/**
 * Copies every field of `src` that `dest` does not set (recursing into maps), skipping `skip` keys at
 * the top level. Used to combine list entries that share a key (mounts by mountPoint, ...).
 */
export function fillMissing(dest: YAMLMap, src: YAMLMap, skip: string[] = []): void {
  const index = pairIndex(dest);
  for (const p of src.items) {
    const k = keyName(p);
    if (skip.includes(k) || isUnset(p.value)) continue;
    const cur = index.get(k);
    if (!cur || isUnset(cur.value)) {
      if (cur) cur.value = p.value;
      else {
        dest.items.push(p);
        index.set(k, p);
      }
    } else if (isMap(cur.value) && isMap(p.value)) {
      fillMissing(cur.value, p.value);
    }
  }
}

/** Like fillMissing, but `src` wins wherever it sets a value (higher priority entry). */
export function overwriteWith(dest: YAMLMap, src: YAMLMap): void {
  const index = pairIndex(dest);
  for (const p of src.items) {
    const k = keyName(p);
    if (isUnset(p.value)) continue;
    const cur = index.get(k);
    if (cur && isMap(cur.value) && isMap(p.value)) {
      const copy = shallowCopyMap(cur.value);
      overwriteWith(copy, p.value);
      cur.value = copy;
    } else if (cur) {
      cur.value = p.value;
    } else {
      dest.items.push(p);
      index.set(k, p);
    }
  }
}

/** The text of a scalar node (numbers and booleans as written), or undefined for anything else. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return undefined;
}

/** Any plain value as text: primitives as String() does, objects as JSON. */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return v.toString();
  return JSON.stringify(v) ?? "";
}
