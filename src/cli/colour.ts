/**
 * Lima's JSON and YAML on a terminal: coloured (keys blue, strings green, numbers and booleans
 * yellow, null grey), JSON indented by 2, each colour ended by ESC[0m. Without the colour codes the
 * text means the same as the plain output. `_LIMA_OUTPUT_IS_TTY` set forces it, as in Lima. Pure.
 */

const C = { key: "\x1b[34;1m", str: "\x1b[32m", lit: "\x1b[33m", nil: "\x1b[90m", reset: "\x1b[0m" };

const paint = (c: string, s: string) => `${c}${s}${C.reset}`;

/** Whether output to `stream` is coloured: a terminal, or _LIMA_OUTPUT_IS_TTY set. */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true || (env._LIMA_OUTPUT_IS_TTY ?? "") !== "";
}

/** A JSON value indented by 2 and coloured. */
export function colourJson(v: unknown, indent = ""): string {
  if (v === null) return paint(C.nil, "null");
  if (typeof v === "string") return paint(C.str, JSON.stringify(v));
  if (typeof v !== "object") return paint(C.lit, JSON.stringify(v));
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[\n${v.map((x) => `${inner}${colourJson(x, inner)}`).join(",\n")}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${inner}${paint(C.key, JSON.stringify(k))}: ${colourJson(x, inner)}`).join(",\n")}\n${indent}}`;
}

/** YAML text with its mapping keys and scalar values coloured, line by line. */
export function colourYaml(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const m = /^(\s*(?:- )*)([^\s#'"][^:]*|"[^"]*"|'[^']*'):( (.*))?$/.exec(line);
      if (m === null) {
        const item = /^(\s*- )(.+)$/.exec(line);
        return item === null ? line : `${item[1]}${scalar(item[2] ?? "")}`;
      }
      const value = m[4];
      return `${m[1]}${paint(C.key, m[2] ?? "")}:${value === undefined ? "" : ` ${scalar(value)}`}`;
    })
    .join("\n");
}

function scalar(s: string): string {
  if (s === "" || s === "|" || s === ">" || s.startsWith("|") || s.startsWith(">") || s === "[]" || s === "{}") return s;
  if (s === "null" || s === "~") return paint(C.nil, s);
  if (/^(true|false|-?[0-9][0-9_.eE+-]*)$/.test(s)) return paint(C.lit, s);
  return paint(C.str, s);
}
