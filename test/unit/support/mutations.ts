import fc from "fast-check";
import { Alias, isMap, isSeq, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Node } from "yaml";

/**
 * Mutations of Lima templates for the validate fuzz test. A mutation is plain data (fast-check prints
 * it as the counterexample); `applyMutations` turns a template's text and a list of mutations into the
 * text of one test case. Spots in the document are chosen by index modulo the number of candidates,
 * so every generated value applies to every template.
 */

/** Paths the fuzz case provides at run time: a FIFO, a directory, the case file itself. */
export interface CaseFiles {
  fifo: string;
  dir: string;
  self: string;
}

export type Mutation =
  | { kind: "value"; spot: number; value: unknown }
  | { kind: "protoKey"; spot: number; key: string; value: unknown }
  | { kind: "locator"; field: number; locator: string }
  | { kind: "nest"; spot: number; depth: number; list: boolean }
  | { kind: "huge"; spot: number; size: number; list: boolean }
  | { kind: "alias"; from: number; to: number; merge: boolean }
  | { kind: "aliasBomb"; fanOut: number; levels: number }
  | { kind: "template"; spot: number; text: string }
  | { kind: "duplicate"; spot: number }
  | { kind: "text"; at: number; insert: string; remove: number };

export const PROTO_KEYS = ["constructor", "__proto__", "hasOwnProperty", "toString", "valueOf", "isPrototypeOf", "toLocaleString", "propertyIsEnumerable"];

/** Locators that once crashed, hung or said the wrong thing; FIFO/DIR/SELF are replaced by CaseFiles. */
export const ODD_LOCATORS = [
  "file://h/x.yaml", "file:///a%2fb.yaml", "file://", "file:", "file:///", "fedora-rawhide:latest", "s3://bucket/x.yaml",
  "data:,cpus: 1", "template:", "template:../../etc/passwd", "template:/etc/passwd", "template://default", "template:_images/nope",
  "http://[", "http://127.0.0.1:1/x.yaml", "~", "~/no-such.yaml", "/dev/null", "/dev/zero", "/proc/self/mem", "", " ",
  "a\u0000b.yaml", `/${"x".repeat(5000)}.yaml`, "C:\\x.yaml", "FIFO", "DIR", "SELF",
];

const TEMPLATES = [
  "{{.Param.constructor}}", "{{.Param.__proto__}}", "{{.Param.toString}}", "{{.constructor}}", "{{", "}}", "{{if}}", "{{end}}",
  "{{ range . }}", "{{.Home}}/{{.Name}}/{{.Dir}}", "{{ (((( }}", `{{${"(".repeat(3000)}.Home${")".repeat(3000)}}}`,
  "{{if .Param.x}}a{{else if}}b{{end}}", '{{"\\u0000"}}', "{{.Param.a.b.c.d}}", "{{ eq . . . }}", "{{- -}}", "{{/* */}}",
];

/** Values of every YAML type, including ones that broke String(value) and size parsing. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, Number.NaN, 2 ** 53 + 1, "", "~", "0x1F", "2001-01-01", "999999999P", "-1GiB", "NaN", "\u2028", "a\nb"),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.integer(),
  fc.constantFrom({ toString: 1 }, { valueOf: {} }, [{ constructor: [] }], {}, [], [[[]]], { a: { b: { c: null } } }),
  fc.constant("x".repeat(20_000)),
);

/** Each kind of mutation; huge values are rarer, as they cost the most time to build. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("value" as const), spot: fc.nat(), value: oddValue }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("protoKey" as const), spot: fc.nat(), key: fc.constantFrom(...PROTO_KEYS), value: oddValue }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("locator" as const), field: fc.nat(), locator: fc.constantFrom(...ODD_LOCATORS) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("nest" as const), spot: fc.nat(), depth: fc.integer({ min: 1, max: 200 }), list: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("huge" as const), spot: fc.nat(), size: fc.integer({ min: 100, max: 1000 }), list: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("alias" as const), from: fc.nat(), to: fc.nat(), merge: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant("aliasBomb" as const), fanOut: fc.integer({ min: 2, max: 12 }), levels: fc.integer({ min: 1, max: 8 }) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("template" as const), spot: fc.nat(), text: fc.constantFrom(...TEMPLATES) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("duplicate" as const), spot: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant("text" as const),
      at: fc.nat(),
      insert: fc.constantFrom("", "\t", ": ", "- ", "{", "]", "&a ", "*a", "? ", "|\n", '"', "%YAML 1.1\n", "---\n"),
      remove: fc.nat({ max: 20 }),
    }),
    weight: 2,
  },
);

/** Where a value can be put: every map pair and list item of the document, in document order. */
interface Spot {
  get: () => unknown;
  set: (n: unknown) => void;
  map?: YAMLMap;
}

function spots(doc: Document): Spot[] {
  const out: Spot[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        out.push({ get: () => pair.value, set: (n) => (pair.value = n), map: isMap(pair.value) ? pair.value : undefined });
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        out.push({ get: () => node.items[i], set: (n) => (node.items[i] = n), map: isMap(item) ? item : undefined });
        walk(item);
      });
    }
  };
  walk(doc.contents);
  return out;
}

const pick = <T>(list: T[], n: number): T | undefined => (list.length === 0 ? undefined : list[n % list.length]);

function nested(depth: number, list: boolean): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = list ? [v] : { [`k${depth - i}`]: v };
  return v;
}

function huge(size: number, list: boolean): unknown {
  if (list) return Array.from({ length: size }, (_, i) => ({ location: `/data/${i}`, mountPoint: `/mnt/${i % 50}`, guestPort: i }));
  return Object.fromEntries(Array.from({ length: size }, (_, i) => [`K${i}`, i % 7 === 0 ? { v: i } : `v${i}`]));
}

/** `base:` (alone or in a list), script files and image/mount locations: where a locator is read. */
const LOCATOR_FIELDS: Array<[string, ...Array<string | number>]> = [["base"], ["base", 0], ["provision", 0, "file"], ["probes", 0, "file"], ["images", 0, "location"], ["mounts", 0, "location"]];

function setLocator(doc: Document, field: number, locator: string): void {
  const root = doc.contents;
  if (!isMap(root)) return;
  const path = LOCATOR_FIELDS[field % LOCATOR_FIELDS.length] ?? ["base"];
  const [list, index] = path;
  if (list === "base" && index === 0) {
    root.set("base", doc.createNode([locator]));
    return;
  }
  if (index === 0 && !isSeq(root.get(list))) root.set(list, doc.createNode([{ mode: list === "probes" ? "readiness" : "system" }]));
  try {
    doc.setIn(path, locator);
  } catch {
    // an earlier mutation put a scalar where the path needs a collection: put the locator in base:
    root.set("base", locator);
  }
}

function applyOne(doc: Document, m: Mutation, files: CaseFiles): void {
  const all = spots(doc);
  const node = (v: unknown) => doc.createNode(v) as Node;
  switch (m.kind) {
    case "value":
      pick(all, m.spot)?.set(node(m.value));
      return;
    case "protoKey": {
      const maps = [doc.contents, ...all.map((s) => s.map)].filter((x): x is YAMLMap => isMap(x));
      pick(maps, m.spot)?.items.push(new Pair(new Scalar(m.key), node(m.value)));
      return;
    }
    case "locator": {
      const special: Record<string, string> = { FIFO: files.fifo, DIR: files.dir, SELF: files.self };
      setLocator(doc, m.field, special[m.locator] ?? m.locator);
      return;
    }
    case "nest":
      pick(all, m.spot)?.set(node(nested(m.depth, m.list)));
      return;
    case "huge":
      pick(all, m.spot)?.set(node(huge(m.size, m.list)));
      return;
    case "alias": {
      const from = pick(all, m.from);
      const to = pick(all, m.to);
      const target = from?.get();
      if (!from || !to || !(target instanceof YAMLMap || target instanceof YAMLSeq || target instanceof Scalar)) return;
      // merge: `<<: *alias` into the map at `to` (a merge key), else the alias replaces its value
      if (m.merge && to.map) to.map.items.push(new Pair(new Scalar("<<"), doc.createAlias(target)));
      else to.set(doc.createAlias(target));
      return;
    }
    case "aliasBomb": {
      if (!isMap(doc.contents)) return;
      let prev = doc.createNode(Array(m.fanOut).fill("x")) as YAMLSeq;
      prev.anchor = "bomb0";
      doc.contents.items.push(new Pair(new Scalar("x-bomb0"), prev));
      for (let l = 1; l <= m.levels; l++) {
        const seq = new YAMLSeq();
        seq.items = Array.from({ length: m.fanOut }, () => new Alias(prev.anchor as string));
        seq.anchor = `bomb${l}`;
        doc.contents.items.push(new Pair(new Scalar(l === m.levels ? "mounts" : `x-bomb${l}`), seq));
        prev = seq;
      }
      return;
    }
    case "template": {
      const strings = all.filter((s) => s.get() instanceof Scalar && typeof (s.get() as Scalar).value === "string");
      pick(strings, m.spot)?.set(new Scalar(m.text));
      return;
    }
    case "duplicate": {
      const maps = [doc.contents, ...all.map((s) => s.map)].filter((x): x is YAMLMap => isMap(x) && x.items.length > 0);
      const map = pick(maps, m.spot);
      const first = map?.items[0];
      if (map && first) map.items.push(new Pair(first.key, node("again")));
      return;
    }
    case "text":
      return; // applied to the text, see applyMutations
  }
}

/** The text of a test case: `text` (a template) with the mutations applied in order. */
export function applyMutations(text: string, mutations: Mutation[], files: CaseFiles): string {
  let current = text;
  let doc = parseDocument(current, { uniqueKeys: false });
  const render = () => {
    try {
      return doc.toString({ lineWidth: 0 });
    } catch {
      return current; // the yaml package cannot write this document: keep the last text
    }
  };
  for (const m of mutations) {
    // a text mutation that breaks the syntax ends the case: its text is the input
    if (doc.errors.length > 0) return current;
    if (m.kind === "text") {
      const s = render();
      const at = m.at % (s.length + 1);
      current = s.slice(0, at) + m.insert + s.slice(at + m.remove);
      doc = parseDocument(current, { uniqueKeys: false });
      continue;
    }
    applyOne(doc, m, files);
  }
  return doc.errors.length > 0 ? current : render();
}
