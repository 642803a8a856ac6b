/**
 * The CLI's log lines on stderr, in Lima's formats (logrus's). `text` without a terminal is one
 * line `time="..." level=info msg="..." key=value` per message; on a terminal it is logrus's
 * `INFO[0003] message   key=value` (the seconds since start, the level coloured); `json` is one
 * object `{"level":..,"msg":..,"time":..}` a line. Under the name limactl `text` is the default;
 * `tslima` has its own style (`warning: ...`, `error:`/`hint:`/`code:`) unless --log-format is given.
 * A line tslima wrote in its own style is read back by its prefix: `error:` -> error, `warning:`
 * (also after start's `[  1.2s]` clock) -> warning, else info. Pure apart from the writer's clock.
 */

export type LogFormat = "text" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** logrus's level names, as they appear in `level=`. */
export type LogLevel = "debug" | "info" | "warning" | "error" | "fatal";

/** How a line is written: a format, and for text whether stderr is a terminal (and since when). */
export interface LogStyle {
  format: LogFormat;
  /** Text on a terminal: logrus's short form with colours; the time the process started. */
  terminal?: { since: Date };
}

/**
 * Go's %q of a string (what logrus's text formatter writes for a value that needs quoting): `"`,
 * `\`, and control characters escaped, everything else kept. Pure.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A value as logrus's text formatter writes it: bare when it is made of safe characters only. */
function textValue(v: string): string {
  return v !== "" && /^[A-Za-z0-9\-._/@^+]+$/.test(v) ? v : goQuote(v);
}

/** Go's time.RFC3339 in UTC, without fractions: 2026-01-02T03:04:05Z. */
function rfc3339(t: Date): string {
  return `${t.toISOString().slice(0, 19)}Z`;
}

const COLOURS: Record<LogLevel, number> = { debug: 37, info: 36, warning: 33, error: 31, fatal: 31 };

/** One log line (no newline) in `style`. `fields` come after msg, in their order. Pure. */
export function formatLogLine(style: LogStyle, level: LogLevel, msg: string, time: Date, fields: Record<string, string> = {}): string {
  if (style.format === "json") return JSON.stringify({ level, msg, ...fields, time: time.toISOString() });
  const rest = Object.entries(fields);
  if (style.terminal !== undefined) {
    const secs = Math.max(0, Math.floor((time.getTime() - style.terminal.since.getTime()) / 1000));
    const c = COLOURS[level];
    const head = `\x1b[${c}m${level.toUpperCase().slice(0, 4)}\x1b[0m[${String(secs).padStart(4, "0")}] `;
    const tail = rest.map(([k, v]) => ` \x1b[${c}m${k}\x1b[0m=${textValue(v)}`).join("");
    return `${head}${rest.length > 0 ? msg.padEnd(44) : msg}${tail}`;
  }
  return [`time=${goQuote(rfc3339(time))}`, `level=${level}`, `msg=${goQuote(msg)}`, ...rest.map(([k, v]) => `${k}=${textValue(v)}`)].join(" ");
}

/** A line in tslima's own style read back: its level and message (the prefix taken off). Pure. */
export function parseOwnLine(line: string): { level: LogLevel; msg: string } {
  const m = /^(?:\[\s*[0-9.]+s\]\s+)?(error|warning):\s?(.*)$/s.exec(line);
  if (m === null) return { level: "info", msg: line };
  return { level: m[1] === "error" ? "error" : "warning", msg: m[2] ?? "" };
}

/** One stderr line as a JSON log object (no newline); `level` overrides the one of its prefix. Pure. */
export function jsonLogLine(line: string, time: Date, extra: Record<string, string> = {}, forced?: LogLevel): string {
  const own = parseOwnLine(line);
  return formatLogLine({ format: "json" }, forced ?? own.level, own.msg, time, extra);
}

/** What logWriter returns: `release` lets a partial line out as it is (a prompt awaiting an answer). */
export interface LogWriter {
  write: (s: string) => void;
  flush: () => void;
  /** True while a partial line waits for its newline. */
  pending: () => boolean;
  /** Writes the partial line unchanged, and the rest of that line too when it comes. */
  release: () => void;
}

/**
 * A writer that turns text in tslima's style into log lines of `style` for `write`: whole lines at
 * once, a partial line kept until its newline (or `flush`). Text with a carriage return (a progress
 * bar redrawn on a terminal) passes unchanged, and so does a released partial line (a question).
 */
export function logWriter(style: LogStyle, write: (s: string) => void, now: () => Date = () => new Date()): LogWriter {
  let pending = "";
  let raw = false;
  const line = (l: string) => {
    const own = parseOwnLine(l);
    write(`${formatLogLine(style, own.level, own.msg, now())}\n`);
  };
  const flush = () => {
    if (pending !== "") line(pending);
    pending = "";
  };
  const take = (s: string) => {
    const cr = s.indexOf("\r");
    const lines = `${pending}${cr < 0 ? s : s.slice(0, s.lastIndexOf("\n", cr) + 1)}`.split("\n");
    pending = lines.pop() ?? "";
    for (const l of lines) line(l);
    if (cr < 0) return;
    flush();
    write(s.slice(s.lastIndexOf("\n", cr) + 1));
  };
  return {
    write(s) {
      if (!raw) return take(s);
      const nl = s.indexOf("\n");
      write(nl < 0 ? s : s.slice(0, nl + 1));
      if (nl < 0) return;
      raw = false;
      take(s.slice(nl + 1));
    },
    flush,
    pending: () => pending !== "",
    release() {
      if (pending === "") return;
      write(pending);
      pending = "";
      raw = true;
    },
  };
}

/** logWriter for JSON lines (kept for the library's light entry). */
export function jsonLogWriter(write: (s: string) => void, now: () => Date = () => new Date()): LogWriter {
  return logWriter({ format: "json" }, write, now);
}
