import { TslimaError } from "../errors.js";

/** One problem found in a configuration file, with where it is. */
export interface ConfigIssue {
  source: string;
  line: number;
  col: number;
  /** Field path such as `mounts[0].9p.securityModel`; "(yaml)" for syntax errors, "(file)" for the whole file. */
  field: string;
  message: string;
}

/** Control characters (a newline in a key or value quoted in a message) escaped, so an issue stays one line. */
function oneLine(s: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return s.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `FILE:LINE:COL: field: message`, the one format every config error and warning is printed in; always one line. */
export function formatIssue(issue: ConfigIssue): string {
  return `${oneLine(issue.source)}:${issue.line}:${issue.col}: ${oneLine(issue.field)}: ${oneLine(issue.message)}`;
}

/** Every error of one configuration at once; its message has one `FILE:LINE:COL: field: message` line per issue. */
export class ConfigError extends TslimaError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { hint?: string; cause?: unknown }) {
    const first = issues[0];
    super("CONFIG_INVALID", issues.map(formatIssue).join("\n"), {
      hint:
        options?.hint ??
        (first ? `fix the field(s) named above in ${first.source} (run \`tslima validate ${first.source}\` to check)` : undefined),
      cause: options?.cause,
    });
    this.name = "ConfigError";
    this.issues = issues;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}

/** An error about a file as a whole (cannot read, base cycle, ...), positioned at its start. */
export function fileError(source: string, message: string, field = "(file)", hint?: string): ConfigError {
  return new ConfigError([{ source, line: 1, col: 1, field, message }], hint === undefined ? undefined : { hint });
}

/** Formats a field path: ["mounts", 0, "9p", "msize"] -> "mounts[0].9p.msize". */
export function fieldPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out === "" ? "(root)" : out;
}
