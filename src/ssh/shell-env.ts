/**
 * `tslima shell --preserve-env`: which host environment variables go to the guest command, with
 * Lima's rules (pkg/envutil): a name matching LIMA_SHELLENV_ALLOW (comma-separated patterns, `*`
 * matching any run of characters) passes; any other name passes unless it matches the block list:
 * Lima's default list, replaced by LIMA_SHELLENV_BLOCK, or extended by it when its value starts
 * with `+`. Pure.
 */
import { TslimaError } from "../errors.js";
import { isEnvName } from "../proc/quote.js";

/** Lima's default block list: the host's identity, paths, terminal and shell internals. */
export const DEFAULT_SHELLENV_BLOCK: readonly string[] = [
  "BASH*", "DISPLAY", "DYLD_*", "EUID", "FPATH", "GID", "GROUP", "HOME", "HOSTNAME", "LD_*", "LOGNAME",
  "OLDPWD", "PATH", "PWD", "SHELL", "SHLVL", "SSH_*", "TERM", "TERMINFO", "TMPDIR", "UID", "USER",
  "XAUTHORITY", "XDG_*", "ZDOTDIR", "ZSH*", "_*",
];

/** The patterns of one list variable; a pattern may hold letters, digits, `_` and `*` only. */
function patterns(variable: string, value: string): string[] {
  const out = value.split(",").map((p) => p.trim()).filter((p) => p !== "");
  for (const p of out) {
    const bad = /[^A-Za-z0-9_*]/.exec(p);
    if (bad) {
      throw new TslimaError("SHELL_ENV_PATTERN", `${variable}: pattern ${JSON.stringify(p)} contains the character ${JSON.stringify(bad[0])}`, {
        hint: `${variable} is a comma-separated list of names; use letters, digits, _ and * (any characters), e.g. ${variable}=FOO,BAR_*`,
        lima: `Invalid ${variable} pattern: pattern \`${p}\` contains invalid character \`${bad[0]}\` at position ${bad.index}`,
      });
    }
  }
  return out;
}

function matches(name: string, pattern: string): boolean {
  if (!pattern.includes("*")) return name === pattern;
  return new RegExp(`^${pattern.split("*").join(".*")}$`).test(name);
}

/** The allow and block lists that `env` (the host's environment) asks for. */
export function shellEnvLists(env: NodeJS.ProcessEnv): { allow: string[]; block: string[] } {
  const allow = patterns("LIMA_SHELLENV_ALLOW", env.LIMA_SHELLENV_ALLOW ?? "");
  const blockValue = env.LIMA_SHELLENV_BLOCK ?? "";
  if (blockValue === "") return { allow, block: [...DEFAULT_SHELLENV_BLOCK] };
  const extra = patterns("LIMA_SHELLENV_BLOCK", blockValue.replace(/^\+/, ""));
  return { allow, block: blockValue.startsWith("+") ? [...DEFAULT_SHELLENV_BLOCK, ...extra] : extra };
}

/**
 * The `NAME=VALUE` words of `env` that pass the lists (in `env`'s order), for `env NAME=VALUE ...`
 * in the guest. Names a shell cannot take (e.g. with `.` or `-`) are left out.
 */
export function preservedEnv(env: NodeJS.ProcessEnv): string[] {
  const { allow, block } = shellEnvLists(env);
  const passes = (name: string) => allow.some((p) => matches(name, p)) || !block.some((p) => matches(name, p));
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !isEnvName(name) || !passes(name)) continue;
    out.push(`${name}=${value}`);
  }
  return out;
}
