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

/** One character class starting after `[` at i: its regex source and the index after `]`. */
function charClass(seg: string, i: number): [string, number] {
  let j = i;
  let negate = false;
  if (seg[j] === "^" || seg[j] === "!") {
    negate = true;
    j++;
  }
  let body = "";
  let first = true;
  while (j < seg.length && (seg[j] !== "]" || first)) {
    first = false;
    let lo = [...seg.slice(j)][0] ?? "";
    if (lo === "\\") {
      j++;
      lo = [...seg.slice(j)][0] ?? "";
      if (lo === "") throw new GlobSyntaxError();
    }
    j += lo.length;
    if (seg[j] === "-" && seg[j + 1] !== "]" && j + 1 < seg.length) {
      j++;
      let hi = [...seg.slice(j)][0] ?? "";
      if (hi === "\\") {
        j++;
        hi = [...seg.slice(j)][0] ?? "";
      }
      if (hi === "") throw new GlobSyntaxError();
      j += hi.length;
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
    const ch = [...seg.slice(i)][0] ?? "";
    if (ch === "*") {
      src += ".*";
      i++;
    } else if (ch === "?") {
      src += ".";
      i++;
    } else if (ch === "[") {
      const [cls, next] = charClass(seg, i + 1);
      src += cls;
      i = next;
    } else if (ch === "\\") {
      const next = [...seg.slice(i + 1)][0];
      if (next === undefined) throw new GlobSyntaxError();
      src += escapeRe(next);
      i += 1 + next.length;
    } else {
      src += escapeRe(ch);
      i += ch.length;
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
