/**
 * Lima's deprecated `limactl show-ssh NAME --format cmd|args|options|config`: the ssh options of an
 * instance, from the facts its ssh.config is written from (ssh/config.ts `sshConfigOptions`): the
 * user, the port (the running instance's, else ssh.localPort as `list` reports it), the home's user
 * key and the ssh forwarding settings. Like Lima's, it needs no running instance.
 */
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { formatShowSsh, sshConfigOptions, sshConfigValue, sshHostAlias } from "../ssh/index.js";
import { globalPaths, instancePaths, tslimaHome } from "../store/paths.js";
import { describeInstance } from "./inventory.js";

export interface ShowSsh {
  /** What to print on stdout. */
  text: string;
  /** Lima's deprecation warning, naming the ssh -F command to use instead. */
  warning: string;
}

export function showSsh(name: string, opts: { home?: string; format?: string } = {}): ShowSsh {
  const home = opts.home ?? tslimaHome();
  const info = describeInstance(home, name);
  const paths = instancePaths(home, name);
  const c = info.config;
  if (c === undefined) {
    throw new TslimaError("CONFIG_INVALID", `instance ${name} is Broken: ${info.errors.join("; ")}`, { hint: `fix ${join(paths.dir, "lima.yaml")} (tslima validate ${join(paths.dir, "lima.yaml")})` });
  }
  const options = sshConfigOptions(paths, {
    user: c.user.name,
    port: info.sshLocalPort,
    identityFile: globalPaths(home).userKey,
    instanceName: name,
    forwardAgent: c.ssh.forwardAgent,
    forwardX11: c.ssh.forwardX11,
    forwardX11Trusted: c.ssh.forwardX11Trusted,
  });
  return {
    text: formatShowSsh(name, opts.format ?? "cmd", options),
    warning: `\`limactl show-ssh\` is deprecated. Instead, use \`ssh -F ${sshConfigValue(paths.sshConfig)} ${sshHostAlias(name)}\`.`,
  };
}
