import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, visit, type Document, type Node, type Pair, type YAMLMap } from "yaml";

/**
 * Where each YAML node came from. Base templates, default.yaml and override.yaml are merged by moving
 * nodes between documents, so a node remembers its own file: errors then point into the file that
 * really holds the value, even after the merge.
 */
interface Origin {
  source: string;
  lineCounter: LineCounter;
}

const origins = new WeakMap<object, Origin>();

export interface Position {
  source: string;
  line: number;
  col: number;
}

/** Records the origin of every node of a freshly parsed document. */
export function registerOrigins(doc: Document, source: string, lineCounter: LineCounter): void {
  const origin = { source, lineCounter };
  if (doc.contents) origins.set(doc.contents, origin);
  visit(doc, (_key, node) => {
    if (isPair(node)) {
      if (isNode(node.key)) origins.set(node.key, origin);
      if (isNode(node.value)) origins.set(node.value, origin);
    } else if (isNode(node)) {
      origins.set(node, origin);
    }
  });
}

/** Gives `target` the same origin and range as `from` (for containers created while merging). */
export function copyOrigin(target: Node, from: Node | null | undefined): void {
  if (!from) return;
  const o = origins.get(from);
  if (o) origins.set(target, o);
  if (from.range) target.range = [...from.range];
}

/** The pairs of each map by key text, built by locate() as it goes. */
export type KeyIndex = WeakMap<YAMLMap, Map<string, Pair>>;

export function nodePosition(node: unknown): Position | undefined {
  if (!isNode(node)) return undefined;
  const o = origins.get(node);
  if (!o || !node.range) return undefined;
  const p = o.lineCounter.linePos(node.range[0]);
  return { source: o.source, line: p.line, col: p.col };
}

/**
 * The position of the field at `path` below `root`, or of its nearest ancestor that exists
 * (so a missing field points at the map that should hold it), else `fallback`. With `atKey`, a field
 * of a map is located at its key (used for unknown fields) instead of its value. Many lookups in a tree
 * that no longer changes share `keyIndex`, so locating every key of a large map stays linear.
 */
export function locate(
  root: unknown,
  path: ReadonlyArray<string | number>,
  fallback: Position,
  atKey = false,
  keyIndex: KeyIndex = new WeakMap(),
): Position {
  let best = nodePosition(root) ?? fallback;
  let node: unknown = root;
  for (const [i, step] of path.entries()) {
    let next: unknown;
    if (isMap(node)) {
      let keys = keyIndex.get(node);
      if (!keys) {
        keys = new Map();
        for (const p of node.items) if (isScalar(p.key) && !keys.has(String(p.key.value))) keys.set(String(p.key.value), p);
        keyIndex.set(node, keys);
      }
      const pair = keys.get(String(step));
      if (!pair) break;
      next = atKey && i === path.length - 1 ? pair.key : (pair.value ?? pair.key);
      if (next === null || (isScalar(next) && next.range === undefined)) next = pair.key;
    } else if (isSeq(node) && typeof step === "number") {
      next = node.items[step];
    } else {
      break;
    }
    if (next === undefined) break;
    node = next;
    best = nodePosition(node) ?? best;
  }
  return best;
}
