import { TslimaError } from "../errors.js";

/** Characters that never need quoting in a POSIX shell word. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One argument quoted for a POSIX shell (sh, dash, bash, zsh): left bare when it is made only of
 * safe characters, else single-quoted with each `'` written as `'\''`. Inside single quotes nothing
 * is special, so $, backticks, backslashes, newlines and any Unicode pass through unchanged.
 * NUL cannot be passed in a shell word at all and is refused. `always` quotes safe words too (the
 * generated cloud-init scripts quote every value the same way).
 */
export function shellQuote(arg: string, opts: { always?: boolean } = {}): string {
  if (arg.includes("\0")) {
    throw new TslimaError("SHELL_ARG_NUL", "a command argument contains a NUL character, which no shell can pass", {
      hint: "remove the NUL byte from the command",
    });
  }
  if (opts.always !== true && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** An argv as one shell command line: every argument quoted, joined with spaces. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => shellQuote(a)).join(" ");
}

/** An environment variable name a shell can export. */
export function isEnvName(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

/** A placeholder in a guest program (src/guest): `@@NAME@@`, NAME in capitals. */
const PLACEHOLDER = /@@([A-Z][A-Z0-9_]*)@@/g;

/**
 * A guest program (src/guest/embedded.ts) with its `@@NAME@@` placeholders replaced by `values`,
 * each shell-quoted (shellQuote): the one way a value is spliced into a guest program where it cannot
 * be an argument or environment variable (a written file, a systemd unit). A placeholder stands where
 * a shell word may (`LIB=@@GUEST_LIB@@`), never inside quotes. Every placeholder must be given and
 * every value used: a mismatch is a bug in tslima, thrown at once (the unit tests fill every program).
 */
export function fillPlaceholders(program: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const text = program.replace(PLACEHOLDER, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`guest program placeholder @@${name}@@ has no value`);
    used.add(name);
    return shellQuote(v);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`guest program has no placeholder for ${unused.join(", ")}`);
  return text;
}
