import { shellQuote } from "../proc/quote.js";

/** A POSIX shell single-quoted word, always quoted (see shellQuote): safe for any bytes except NUL. */
export function shQuote(s: string): string {
  return shellQuote(s, { always: true });
}
