#!/usr/bin/env node
// The Layers table of docs/architecture.md, generated from LAYERS in .dependency-cruiser.mjs (the
// lint's own list): folder, what it holds, what it may import, what of it is pure.
//   node scripts/gen-layers.js --write   rewrites the table between its marker comments
//   node scripts/gen-layers.js --check   exits 1 when the table is stale (run by `npm run lint`)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ENTRIES, LAYERS } from "../.dependency-cruiser.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const doc = join(root, "docs", "architecture.md");
const BEGIN = "<!-- layers:begin: generated from LAYERS in .dependency-cruiser.mjs by `node scripts/gen-layers.js --write`; do not edit -->";
const END = "<!-- layers:end -->";

const cell = (s) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const files = (list) => list.map((f) => `\`${f}\``).join(", ");

function mayImport(i) {
  if (i === 0) return `the library entries only (${ENTRIES.map((e) => `\`${e}\``).join(", ")})`;
  const below = LAYERS.slice(i + 1).map((l) => `\`${l.folder}/\``);
  return below.length === 0 ? "nothing of `src/` but `src/errors.ts`" : below.join(", ");
}

function purity(l) {
  const except = l.except ?? [];
  if (l.pure) return except.length === 0 ? "pure" : `pure, except ${files(except)}`;
  return except.length === 0 ? "no" : `only ${files(except)}`;
}

function table() {
  const rows = LAYERS.map((l, i) => `| \`${l.folder}/\` | ${cell(l.holds)} | ${cell(mayImport(i))} | ${cell(purity(l))} |`);
  return [BEGIN, "| Folder | What it holds | May import | Pure |", "|---|---|---|---|", ...rows, END].join("\n");
}

const mode = process.argv[2];
if (mode !== "--write" && mode !== "--check") {
  process.stderr.write("usage: node scripts/gen-layers.js --write | --check\n");
  process.exit(2);
}
const text = readFileSync(doc, "utf8");
const a = text.indexOf(BEGIN);
const b = text.indexOf(END);
if (a < 0 || b < a) {
  process.stderr.write(`docs/architecture.md: the markers of the Layers table are missing:\n${BEGIN}\n${END}\n`);
  process.exit(1);
}
const next = text.slice(0, a) + table() + text.slice(b + END.length);
if (mode === "--write") {
  if (next !== text) writeFileSync(doc, next);
} else if (next !== text) {
  process.stderr.write("docs/architecture.md: the Layers table is stale (LAYERS in .dependency-cruiser.mjs changed): run node scripts/gen-layers.js --write\n");
  process.exit(1);
}
