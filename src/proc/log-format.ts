/**
 * `--log-format json` (Lima's, from logrus): every line tslima writes on stderr becomes one JSON
 * object `{"level":..,"msg":..,"time":..}`. The level comes from the line's prefix: `error:` ->
 * error, `warning:` (also after start's `[  1.2s]` clock) -> warning, else info.
 */

export type LogFormat = "text" | "json";

export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** One stderr line as a JSON log object (no newline); `level` overrides the one of its prefix. Pure. */
export function jsonLogLine(line: string, time: Date, extra: Record<string, string> = {}, forced?: string): string {
  const m = /^(?:\[\s*[0-9.]+s\]\s+)?(error|warning|hint):\s?(.*)$/s.exec(line);
  const level = forced ?? (m?.[1] === "error" || m?.[1] === "warning" ? m[1] : "info");
  const msg = m && m[1] !== "hint" ? (m[2] ?? "") : line;
  return JSON.stringify({ level, msg, ...extra, time: time.toISOString() });
}

/**
 * A writer that turns text into JSON log lines for `write`: whole lines at once, a partial line
 * kept until its newline (or `flush`).
 */
export function jsonLogWriter(write: (s: string) => void, now: () => Date = () => new Date()): { write: (s: string) => void; flush: () => void } {
  let pending = "";
  return {
    write(s) {
      pending += s;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) write(`${jsonLogLine(l, now())}\n`);
    },
    flush() {
      if (pending !== "") write(`${jsonLogLine(pending, now())}\n`);
      pending = "";
    },
  };
}
