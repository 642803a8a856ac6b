import { isTslimaError } from "../errors.js";
import type { LogLevel, LogStyle } from "../shell.js";
import type { Said } from "./messages.js";

/**
 * The CLI's messages on stderr: the one place that decides how they look. Under the name tslima
 * (without --log-format) they are tslima's: `warning: ...`, and an error as `error:`, `hint:` and
 * `code:` lines. Under the name limactl, or with --log-format, they are Lima's log lines (logrus text
 * or JSON, see src/proc/log-format.ts), and a message of the catalogue (messages.ts) uses Lima's
 * words; then every other line written to stderr is turned into a log line too, so that a command's
 * progress (start's) reads as Lima's does. A guest command's own stderr (Buffers, from `shell`)
 * passes unchanged.
 */

interface State {
  prog: string;
  /** undefined: tslima's own style. */
  style: LogStyle | undefined;
  format: (level: LogLevel, msg: string, fields?: Record<string, string>) => string;
  /** stderr before the interception: log lines go straight there. */
  raw: (s: string) => void;
  flush: () => void;
}

let state: State = { prog: "tslima", style: undefined, format: () => "", raw: (s) => void process.stderr.write(s), flush: () => {} };

/** True when messages use Lima's words (the program was called limactl or lima). */
export function limaWords(): boolean {
  return state.prog === "limactl" || state.prog === "lima";
}

/**
 * Chooses the style once, from the program name and --log-format, and from then on turns what is
 * written to stderr into log lines when it is Lima's.
 */
export async function configureLog(prog: string, format: "text" | "json" | undefined): Promise<void> {
  state = { ...state, prog };
  const chosen = format ?? (limaWords() ? "text" : undefined);
  if (chosen === undefined) return;
  const fmt = await import("../shell.js");
  const style: LogStyle = chosen === "text" && process.stderr.isTTY === true ? { format: "text", terminal: { since: new Date() } } : { format: chosen };
  const original = process.stderr.write.bind(process.stderr);
  const raw = (s: string) => void original(s);
  const lines = fmt.logWriter(style, raw);
  type Callback = (err?: Error | null) => void;
  const patched = (chunk: string | Uint8Array, encodingOrCb?: BufferEncoding | Callback, cb?: Callback): boolean => {
    if (typeof chunk !== "string") return typeof encodingOrCb === "function" ? original(chunk, encodingOrCb) : original(chunk, encodingOrCb, cb);
    lines.write(chunk);
    // a partial line still there once the program waits (a question's prompt) goes out as it is
    if (lines.pending()) setImmediate(() => lines.pending() && lines.release());
    (typeof encodingOrCb === "function" ? encodingOrCb : cb)?.();
    return true;
  };
  process.stderr.write = patched;
  process.once("exit", () => lines.flush());
  state = { prog, style, format: (level, msg, fields) => fmt.formatLogLine(style, level, msg, new Date(), fields), raw, flush: lines.flush };
}

/** Text for stderr that is no log line (another program's own format, e.g. yq's `Error: ...`). */
export function rawStderr(s: string): void {
  state.flush();
  state.raw(s);
}

/** The text of `m` for the program's name. */
export function words(m: Said | string): string {
  return typeof m === "string" ? m : limaWords() ? m.lima : m.tslima;
}

function emit(level: LogLevel, m: Said | string, fields?: Record<string, string>): void {
  const text = words(m);
  if (text === "") return;
  if (state.style === undefined) {
    process.stderr.write(level === "info" ? `${text}\n` : `${level}: ${text}\n`);
    return;
  }
  state.flush();
  state.raw(`${state.format(level, text, fields)}\n`);
}

/** An informational message: plain under tslima, `level=info` under limactl. */
export function info(m: Said | string): void {
  emit("info", m);
}

/** A debug line, only with --debug: `debug: ...` under tslima, `level=debug` under limactl. */
export function debug(m: Said | string): void {
  if (process.env.TSLIMA_DEBUG) emit("debug", m);
}

/** A warning: `warning: ...` under tslima, `level=warning` under limactl (with `fields` after msg). */
export function warn(m: Said | string, fields?: Record<string, string>): void {
  emit("warning", m, fields);
}

/** A usage error that is no TslimaError (a flag parser's): `error: ...` or a fatal log line; exit 1. */
export function fatal(msg: string): number {
  if (state.style === undefined) process.stderr.write(`error: ${msg}\n`);
  else {
    state.flush();
    state.raw(`${state.format("fatal", msg)}\n`);
  }
  return 1;
}

/**
 * An error as the CLI prints it, returning the exit code: a TslimaError is one fatal log line (Lima's
 * words where the error has them, its hint and code as fields) or tslima's error/hint/code lines
 * (exit 1); anything else is a bug, printed with its stack (exit 2).
 */
export function reportError(e: unknown): number {
  if (isTslimaError(e)) {
    if (state.style !== undefined) {
      state.flush();
      const msg = limaWords() ? (e.lima ?? e.message) : e.message;
      // Lima's words carry their own hint, if any; tslima's hint names tslima's commands
      const fields: Record<string, string> = e.hint !== undefined && !(limaWords() && e.lima !== undefined) ? { hint: e.hint, code: e.code } : { code: e.code };
      state.raw(`${state.format("fatal", msg, fields)}\n`);
      if (process.env.TSLIMA_DEBUG && e.stack) state.raw(`${state.format("debug", e.stack)}\n`);
      return 1;
    }
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    process.stderr.write(`code: ${e.code}\n`);
    if (process.env.TSLIMA_DEBUG && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  const err = e as Error;
  state.flush();
  state.raw(`internal error: ${err?.message ?? String(e)}\n`);
  if (err?.stack) state.raw(`${err.stack}\n`);
  return 2;
}
