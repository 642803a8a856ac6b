/** A POSIX shell single-quoted word: safe for any bytes except NUL. */
export function shQuote(s: string): string {
  if (s.includes("\0")) throw new Error("a shell word cannot contain a NUL byte");
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** An environment variable name a shell can export. */
export function isEnvName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}
