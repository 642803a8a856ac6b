/**
 * Lima's `show-ssh` formats (cmd/limactl/show-ssh.go, pkg/sshutil/format.go) of an instance's ssh
 * options (config.ts `sshConfigOptions`): `cmd`, the whole ssh command line; `args`, its `-o` words
 * only; `options`, one KEY=VALUE a line; `config`, a `Host lima-NAME` block. Pure.
 */
import { TslimaError } from "../errors.js";
import { shellQuote } from "../proc/quote.js";
import { sshHostAlias } from "./config.js";

export const SHOW_SSH_FORMATS = ["cmd", "args", "options", "config"] as const;
export type ShowSshFormat = (typeof SHOW_SSH_FORMATS)[number];


export function formatShowSsh(instanceName: string, format: string, options: [string, string][]): string {
  if (!(SHOW_SSH_FORMATS as readonly string[]).includes(format)) {
    throw new TslimaError("INVALID_FORMAT", `unknown format ${JSON.stringify(format)}`, { hint: `use --format ${SHOW_SSH_FORMATS.join(", ")}` });
  }
  for (const [k, v] of options) {
    // a line break would add directives (ProxyCommand...) to what is printed
    if (/[\r\n]/.test(k + v)) throw new TslimaError("INVALID_OPTION", `ssh option ${k} of ${instanceName} holds a line break`, { hint: `fix the instance's lima.yaml (user.name, ssh) and its home's path` });
  }
  const pairs = options.map(([k, v]) => `${k}=${v}`);
  // quoted for a shell when needed (Lima only wraps a word with `"` in single quotes)
  const o = pairs.flatMap((p) => ["-o", shellQuote(p)]);
  switch (format as ShowSshFormat) {
    case "cmd":
      return `${["ssh", ...o, sshHostAlias(instanceName)].join(" ")}\n`;
    case "args":
      return `${o.join(" ")}\n`;
    case "options":
      return pairs.map((p) => `${p}\n`).join("");
    case "config":
      return `Host ${sshHostAlias(instanceName)}\n${options.map(([k, v]) => `  ${k} ${v}\n`).join("")}`;
  }
}
