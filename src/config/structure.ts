import { isAlias, isMap, isNode, isPair, isScalar, isSeq, type Document, type Node } from "yaml";
import { fieldPath } from "./errors.js";

/**
 * Checks and rewrites over a freshly parsed document, all iterative (an explicit stack, never the call
 * stack), so that no input can overflow the stack or take quadratic time:
 * - aliases (`*name`) are replaced by copies of their anchored nodes, as Lima's YAML decoder resolves
 *   them, within a budget of copied nodes (an "alias bomb" of nested aliases is refused);
 * - nesting deeper than MAX_DEPTH is refused (Lima's own files nest a handful of levels);
 * - merge keys (`<<: *name`) are applied, as Lima's decoder applies them;
 * - a key set twice in one map is refused (a Set per map; the yaml package's check is quadratic).
 */

/** How deep maps and lists may nest. */
export const MAX_DEPTH = 64;
/** How many nodes all alias expansions of one document may copy in total. */
export const MAX_ALIAS_NODES = 10_000;

/** A problem at a source offset, with the field path that leads there. */
export interface StructureProblem {
  offset: number;
  field: string;
  message: string;
}

type Path = Array<string | number>;
type Child = { node: unknown; path: Path; set: (n: Node) => void };

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : "?");
const offsetOf = (n: unknown): number => (isNode(n) && n.range ? n.range[0] : 0);

/** The nodes directly below `node` (values of a map, items of a list), each with a setter to replace it. */
function children(node: unknown, path: Path): Child[] {
  if (isMap(node)) {
    return node.items.filter(isPair).map((pair) => ({
      node: pair.value,
      path: [...path, keyText(pair.key)],
      set: (n: Node) => {
        pair.value = n;
      },
    }));
  }
  if (isSeq(node)) {
    return node.items.map((item, i) => ({
      node: item,
      path: [...path, i],
      set: (n: Node) => {
        node.items[i] = n;
      },
    }));
  }
  return [];
}

/** Counts the nodes of a tree, stopping as soon as `limit` is passed. */
function countNodes(root: unknown, limit: number): number {
  let count = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0 && count <= limit) {
    const n = stack.pop();
    count++;
    for (const c of children(n, [])) stack.push(c.node);
  }
  return count;
}

function dropAnchors(root: Node): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isNode(n)) delete n.anchor;
    for (const c of children(n, [])) stack.push(c.node);
  }
}

/**
 * Replaces every alias by a copy of the node its anchor names (the last one before it, in document
 * order, as YAML defines). Returns the first problem (an alias without anchor, too many copies).
 */
export function resolveAliases(doc: Document): StructureProblem | undefined {
  const anchors = new Map<string, Node>();
  let budget = MAX_ALIAS_NODES;
  // document order: a map's or list's children are visited before its later siblings
  const stack: Child[] = [{ node: doc.contents, path: [], set: (n) => (doc.contents = n) }];
  while (stack.length > 0) {
    const cur = stack.pop() as Child;
    const n = cur.node;
    if (isAlias(n)) {
      const target = anchors.get(n.source);
      if (!target) return { offset: offsetOf(n), field: fieldPath(cur.path), message: `alias *${n.source} has no anchor &${n.source} before it` };
      const size = countNodes(target, budget);
      budget -= size;
      if (budget < 0) {
        return { offset: offsetOf(n), field: fieldPath(cur.path), message: `aliases expand to more than ${MAX_ALIAS_NODES} values; write the values out or use fewer nested aliases` };
      }
      const copy = target.clone() as Node;
      dropAnchors(copy);
      cur.set(copy);
      continue;
    }
    if (isNode(n) && n.anchor) anchors.set(n.anchor, n);
    stack.push(...children(n, cur.path).reverse());
  }
  return undefined;
}

const isMergeKey = (key: unknown) => isScalar(key) && key.value === "<<" && key.type === "PLAIN";

/**
 * Applies merge keys (`<<: *defaults`, `<<: [*a, *b]`) after aliases are resolved, as Lima's YAML
 * decoder does: the map gets every field of the merged maps that it does not set itself, earlier
 * maps of a list winning over later ones. Returns the first merge key whose value is not a map.
 */
export function applyMergeKeys(root: unknown): StructureProblem | undefined {
  const stack: Array<{ node: unknown; path: Path }> = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: Path };
    if (isMap(node) && node.items.some((p) => isMergeKey(p.key))) {
      const merges = node.items.filter((p) => isMergeKey(p.key));
      node.items = node.items.filter((p) => !isMergeKey(p.key));
      const keys = new Set(node.items.map((p) => keyText(p.key)));
      for (const merge of merges) {
        const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
        for (const source of sources) {
          if (!isMap(source)) return { offset: offsetOf(source ?? merge.key), field: fieldPath([...path, "<<"]), message: "a merge key (<<) takes a map or a list of maps, such as <<: *defaults" };
          for (const pair of source.items) {
            if (keys.has(keyText(pair.key))) continue;
            keys.add(keyText(pair.key));
            node.items.push(pair);
          }
        }
      }
    }
    for (const c of children(node, path)) stack.push({ node: c.node, path: c.path });
  }
  return undefined;
}

/** The first key set twice in one map, or the first node nested deeper than MAX_DEPTH. */
export function findStructureProblem(root: unknown): StructureProblem | undefined {
  const stack: Array<{ node: unknown; path: Path }> = [{ node: root, path: [] }];
  let first: StructureProblem | undefined;
  const earlier = (p: StructureProblem) => {
    if (!first || p.offset < first.offset) first = p;
  };
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: Path };
    if (path.length > MAX_DEPTH) {
      earlier({ offset: offsetOf(node), field: fieldPath(path.slice(0, 3)) + "...", message: `nested more than ${MAX_DEPTH} levels deep; Lima's YAML needs only a few levels` });
      continue;
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(id)) {
          earlier({ offset: offsetOf(pair.key), field: fieldPath([...path, keyText(pair.key)]), message: "duplicate key: this key is already set earlier in the same map" });
        }
        seen.add(id);
      }
    }
    for (const c of children(node, path)) stack.push({ node: c.node, path: c.path });
  }
  return first;
}
