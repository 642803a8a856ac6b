/**
 * YAML documents in and out of tslima's yq. In: a `yaml` Document becomes plain values, each map and
 * list remembering its node. Out: a result that is (a changed copy of) a map or list of the input is
 * printed by reconciling that node with the result: unchanged nodes stay as they were, with their
 * comments, styles and key order, a changed scalar keeps its comments, new keys go last. So
 * `.cpus = 2` and `limactl yq -i` keep the rest of lima.yaml as the user wrote it. Pure.
 */
import { Document, isAlias, isMap, isNode, isScalar, isSeq, Pair, visit, YAMLMap, YAMLSeq, type Node } from "yaml";
import { equal, isMapValue, originOf, put, scalarText, setOrigin, type Obj } from "./yq-values.js";

/** The plain value of a document's node; maps and lists remember their node. */
export function nodeValue(node: unknown, doc: Document, seen = new Set<unknown>()): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (seen.has(target)) throw new Error(`the alias *${node.source} refers to itself`);
    return nodeValue(target, doc, new Set([...seen, target]));
  }
  if (isScalar(node)) {
    const v = node.value;
    return v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : scalarText(v);
  }
  if (isMap(node)) {
    const out: Obj = {};
    for (const pair of node.items) put(out, keyText(pair.key, doc), nodeValue(pair.value, doc, seen));
    setOrigin(out, node);
    return out;
  }
  if (isSeq(node)) {
    const out = node.items.map((item) => nodeValue(item, doc, seen));
    setOrigin(out, node);
    return out;
  }
  return null;
}

function keyText(key: unknown, doc: Document): string {
  if (isScalar(key)) return String(key.value);
  const v = nodeValue(key, doc);
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

/** The node a map or list was read from, through the copies that changed it. */
function sourceNode(v: unknown): Node | undefined {
  let at: unknown = v;
  for (let i = 0; i < 10000 && typeof at === "object" && at !== null; i++) {
    if (isNode(at)) return at;
    at = originOf(at);
  }
  return undefined;
}

/** Whether a map or list is (a changed copy of) one read from a document. */
export function isDocNode(v: object): boolean {
  return sourceNode(v) !== undefined;
}

/** Builds, in `out`, the nodes for results; `twin` maps each input node to its copy in `out`. */
class Reconciler {
  private readonly twin = new Map<unknown, Node>();
  constructor(
    private readonly out: Document,
    private readonly input: Document,
  ) {}

  /** A copy of N (from the input) whose nodes `twin` knows. */
  copy(n: Node): Node {
    const c = n.clone() as Node;
    this.pair(n, c);
    return c;
  }

  /** Records B (in `out`) as the copy of A (in the input), and so for their children. */
  pair(a: unknown, b: unknown): void {
    if (!isNode(a) || !isNode(b)) return;
    this.twin.set(a, b);
    if (isMap(a) && isMap(b)) a.items.forEach((p, i) => this.pair(p.value, b.items[i]?.value));
    else if (isSeq(a) && isSeq(b)) a.items.forEach((x, i) => this.pair(x, b.items[i]));
  }

  /** NODE (in `out`, or missing) made to print V. */
  fit(node: unknown, v: unknown): unknown {
    if (isAlias(node) && equal(nodeValue(node.resolve(this.input), this.input), v)) return node;
    if (isMap(node) && isMapValue(v)) return this.fitMap(node, v);
    if (isSeq(node) && Array.isArray(v)) return this.fitSeq(node, v);
    if (isScalar(node) && (v === null || typeof v !== "object")) {
      if (node.value !== v) {
        node.value = v;
        node.type = undefined;
        node.format = undefined;
        node.tag = undefined;
      }
      return node;
    }
    if ((node === null || node === undefined) && v === null) return node;
    const from = typeof v === "object" && v !== null ? sourceNode(v) : undefined;
    const fresh = from ? this.fit(this.copy(from), v) : this.out.createNode(v);
    if (isNode(node) && isNode(fresh) && node.commentBefore && !fresh.commentBefore) fresh.commentBefore = node.commentBefore;
    return fresh;
  }

  private fitMap(node: YAMLMap, v: Obj): YAMLMap {
    const seen = new Set<string>();
    node.items = node.items.filter((pair) => {
      const k = keyText(pair.key, this.out);
      if (!Object.hasOwn(v, k) || seen.has(k)) return false;
      seen.add(k);
      pair.value = this.fit(pair.value, v[k]);
      return true;
    });
    for (const [k, x] of Object.entries(v)) if (!seen.has(k)) node.items.push(new Pair(this.out.createNode(k), this.fit(undefined, x)));
    return node;
  }

  private fitSeq(node: YAMLSeq, v: unknown[]): YAMLSeq {
    const old = node.items;
    const used = new Set<unknown>();
    let next = 0;
    node.items = v.map((x, i) => {
      // a map or list kept from this list keeps its own node, wherever it moved; a scalar the next
      // old item of its value (so that deleting an item keeps the others' comments)
      let own: unknown;
      if (typeof x === "object" && x !== null) own = this.twin.get(sourceNode(x));
      else {
        const k = old.findIndex((o, j) => j >= next && !used.has(o) && isScalar(o) && o.value === x);
        if (k >= 0) next = k + 1;
        own = old[k];
      }
      if (own === undefined || !old.includes(own) || used.has(own)) own = used.has(old[i]) ? undefined : old[i];
      used.add(own);
      return this.fit(own, x);
    });
    return node;
  }
}

export interface YamlOutput {
  indent: number;
  /** yq's -P: block style everywhere, plain scalars where they can be. */
  pretty?: boolean;
}

/** A result as YAML text (ending in a newline), keeping the input's comments and layout where it came from INPUT. */
export function resultYaml(v: unknown, input: Document | undefined, opts: YamlOutput): string {
  const from = typeof v === "object" && v !== null ? sourceNode(v) : undefined;
  let out: Document;
  if (input !== undefined && from !== undefined) {
    out = from === input.contents ? input.clone() : new Document();
    const r = new Reconciler(out, input);
    let start: Node;
    if (from === input.contents) {
      start = out.contents as Node;
      r.pair(from, start);
    } else start = r.copy(from);
    out.contents = r.fit(start, v) as Node;
  } else {
    out = new Document(v);
  }
  if (opts.pretty === true) {
    visit(out, {
      Map: (_, n) => void (n.flow = false),
      Seq: (_, n) => void (n.flow = false),
      Scalar: (_, n) => void (n.type = undefined),
    });
  }
  // yq prints `---` between documents itself
  if (out.directives !== undefined) out.directives.docStart = null;
  const text = out.toString({ indent: opts.indent, lineWidth: 0, flowCollectionPadding: false });
  return text.endsWith("\n") ? text : `${text}\n`;
}

/** A result as yq prints it for yaml output: a scalar bare (unwrapped), a map or list as YAML. */
export function formatYaml(v: unknown, input: Document | undefined, opts: YamlOutput): string {
  if (v === null || v === undefined) return "null\n";
  if (typeof v !== "object") return `${scalarText(v)}\n`;
  return resultYaml(v, input, opts);
}

/** A result as yq prints it for json output: JSON (indent 0: one line), a string bare with -r. */
export function formatJson(v: unknown, opts: { indent: number; unwrap: boolean }): string {
  if (opts.unwrap && typeof v === "string") return `${v}\n`;
  return `${JSON.stringify(v ?? null, null, opts.indent)}\n`;
}

const propText = (x: unknown) => (x === null || x === undefined ? "" : scalarText(x));

/** A result as yq's props output: `path.to.0 = value` lines. */
export function formatProps(v: unknown): string {
  const lines: string[] = [];
  const walk = (x: unknown, at: string) => {
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, at === "" ? `${i}` : `${at}.${i}`));
    else if (isMapValue(x)) for (const [k, y] of Object.entries(x)) walk(y, at === "" ? k : `${at}.${k}`);
    else lines.push(at === "" ? propText(x) : `${at} = ${propText(x)}`);
  };
  walk(v, "");
  return lines.map((l) => `${l}\n`).join("");
}
