/**
 * The `glob` tool's patterns (pure): a pattern is split at `/` into segments, each matched against
 * one name with `*` (any run of characters), `?` (one character), `[...]`/`[^...]` (a class with
 * ranges) and `\` escapes, as Go's path.Match (Lima's sftp.Glob) does, so `*` matches names that
 * start with a dot too; a segment `**` (which Lima treats as `*`) matches any number of directories,
 * as in `src/**\/*.ts`, the tool's own example. The walk over the guest's directories is glob.ts.
 */

export type Segment = { kind: "literal"; name: string } | { kind: "pattern"; re: RegExp } | { kind: "any-depth" };

/** Thrown for a pattern that does not parse (an unclosed `[`, a trailing `\`): Go's message. */
export class GlobSyntaxError extends Error {
  constructor() {
    super("syntax error in pattern");
    this.name = "GlobSyntaxError";
  }
}

const special = /[*?[\\]/;

/** A character as a regex matching itself: outside a class, and inside one (`u` flag rules). */
function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function escapeInClass(ch: string): string {
  return ch.replace(/[\]\\^-]/g, "\\$&");
}

/** The character at j (a `\\` escapes the next one) and the index after it. */
function classChar(seg: string, j: number): [string, number] {
  const escaped = seg[j] === "\\";
  const at = escaped ? j + 1 : j;
  const ch = seg.codePointAt(at);
  if (ch === undefined) throw new GlobSyntaxError();
  const c = String.fromCodePoint(ch);
  return [c, at + c.length];
}

/** One character class starting after `[` at i: its regex source and the index after `]`. */
function charClass(seg: string, i: number): [string, number] {
  let j = i;
  const negate = seg[j] === "^" || seg[j] === "!";
  if (negate) j++;
  let body = "";
  let first = true;
  while (j < seg.length && (seg[j] !== "]" || first)) {
    first = false;
    const [lo, afterLo] = classChar(seg, j);
    j = afterLo;
    if (seg[j] === "-" && j + 1 < seg.length && seg[j + 1] !== "]") {
      const [hi, afterHi] = classChar(seg, j + 1);
      j = afterHi;
      body += `${escapeInClass(lo)}-${escapeInClass(hi)}`;
    } else {
      body += escapeInClass(lo);
    }
  }
  if (seg[j] !== "]" || body === "") throw new GlobSyntaxError();
  return [`[${negate ? "^" : ""}${body}]`, j + 1];
}

/** One segment as a regex matching a whole name (`*` and `?` never match `/`, names have none). */
export function segmentRegExp(seg: string): RegExp {
  let src = "";
  let i = 0;
  while (i < seg.length) {
    const ch = String.fromCodePoint(seg.codePointAt(i) ?? 0);
    if (ch === "*" || ch === "?") {
      src += ch === "*" ? ".*" : ".";
      i++;
    } else if (ch === "[") {
      const [cls, next] = charClass(seg, i + 1);
      src += cls;
      i = next;
    } else {
      const [c, next] = ch === "\\" ? classChar(seg, i) : [ch, i + ch.length];
      src += escapeRe(c);
      i = next;
    }
  }
  return new RegExp(`^${src}$`, "su");
}

function unescape(seg: string): string {
  return seg.replace(/\\(.)/gsu, "$1");
}

/** The segments of a relative pattern (empty segments and `.` dropped). Throws GlobSyntaxError. */
export function parseGlob(pattern: string): Segment[] {
  const out: Segment[] = [];
  for (const seg of pattern.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "**") {
      if (out.at(-1)?.kind !== "any-depth") out.push({ kind: "any-depth" });
    } else if (special.test(seg)) {
      out.push({ kind: "pattern", re: segmentRegExp(seg) });
    } else {
      out.push({ kind: "literal", name: unescape(seg) });
    }
  }
  return out;
}
