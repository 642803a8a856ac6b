/** The lexer of tslima's yq expressions (see yq-parse.ts): text to tokens, strings with their `\(...)` parts. Pure. */
export class YqError extends Error {}

export type Token =
  | { t: "field"; v: string }
  | { t: "str"; v: string }
  | { t: "interp"; v: Array<string | { src: string }> }
  | { t: "num"; v: number }
  | { t: "ident"; v: string }
  | { t: "op"; v: string };

const OPS = ["//=", "|=", "+=", "-=", "*=", "/=", "..", "==", "!=", "<=", ">=", "//", "=", "|", ",", "(", ")", "[", "]", "<", ">", "+", "-", "*", "/", ".", "?", ";", "{", "}", ":"];
const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", '"': '"', "\\": "\\", "/": "/" };

/** Reads the string starting at `src[i]` (a `"`): its parts and the index after it. */
function readString(src: string, start: number): { parts: Array<string | { src: string }>; end: number } {
  const parts: Array<string | { src: string }> = [];
  let text = "";
  let i = start + 1;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '"') {
      if (text !== "" || parts.length === 0) parts.push(text);
      return { parts, end: i + 1 };
    }
    if (c !== "\\") {
      text += c;
      i++;
      continue;
    }
    const e = src[i + 1] ?? "";
    if (e === "(") {
      const close = matchingParen(src, i + 2);
      if (text !== "") parts.push(text);
      text = "";
      parts.push({ src: src.slice(i + 2, close) });
      i = close + 1;
    } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
      text += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
      i += 6;
    } else if (e in ESCAPES) {
      text += ESCAPES[e];
      i += 2;
    } else throw new YqError(`bad escape "\\${e}" in a string`);
  }
  throw new YqError(`unterminated string at "${src.slice(start)}"`);
}

/** The index of the `)` closing an interpolation whose text starts at `from`. */
function matchingParen(src: string, from: number): number {
  let depth = 0;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '"') i = readString(src, i).end - 1;
    else if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) return i;
      depth--;
    }
  }
  throw new YqError(`unterminated \\( in a string: could not find matching ')'`);
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "." && /[A-Za-z_]/.test(src[i + 1] ?? "")) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i + 1)) as RegExpExecArray;
      out.push({ t: "field", v: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === '"') {
      const { parts, end } = readString(src, i);
      out.push(parts.every((p) => typeof p === "string") ? { t: "str", v: parts.join("") } : { t: "interp", v: parts });
      i = end;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][-+]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "ident", v: id[0] });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new YqError(`unexpected character ${JSON.stringify(c)} at "${src.slice(i)}"`);
    out.push({ t: "op", v: op });
    i += op.length;
  }
  return out;
}

