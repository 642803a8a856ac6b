import { shellQuote } from "../proc/quote.js";

/** A POSIX shell single-quoted word, always quoted (see shellQuote): safe for any bytes except NUL. */
export function shQuote(s: string): string {
  return shellQuote(s, { always: true });
}

/** An environment variable name a shell can export. */
export function isEnvName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}
