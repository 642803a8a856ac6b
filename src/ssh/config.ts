import type { InstancePaths } from "../store/paths.js";

/** The ssh Host alias of an instance: `lima-NAME`, as Lima names it. */
export function sshHostAlias(instanceName: string): string {
  return `lima-${instanceName}`;
}

/**
 * A value for ssh_config: double-quoted when it has blanks, quotes, `#` or backslashes (ssh reads
 * `"..."` with `\"` and `\\` escapes); `%` doubled when the option expands %-tokens.
 */
export function sshConfigValue(value: string, expandsTokens = false): string {
  const v = expandsTokens ? value.replace(/%/g, "%%") : value;
  if (v !== "" && !/[\s"'#\\=]/.test(v)) return v;
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export interface SshConfigOptions {
  user: string;
  port: number;
  identityFile: string;
  instanceName: string;
  forwardAgent?: boolean;
  forwardX11?: boolean;
  forwardX11Trusted?: boolean;
}

/**
 * The options of an instance's `Host lima-NAME` block, as [keyword, ssh_config value] in order: what
 * ssh.config holds and `show-ssh` prints. Pure.
 */
export function sshConfigOptions(paths: InstancePaths, o: SshConfigOptions): [string, string][] {
  const lines: [string, string][] = [
    ["IdentityFile", sshConfigValue(o.identityFile, true)],
    ["IdentitiesOnly", "yes"],
    ["PreferredAuthentications", "publickey"],
    ["BatchMode", "yes"],
    // The guest's host key is pinned (hostkey.ts): only that key is accepted, under the alias, on any port.
    ["StrictHostKeyChecking", "yes"],
    ["UserKnownHostsFile", sshConfigValue(paths.knownHosts, true)],
    ["GlobalKnownHostsFile", "/dev/null"],
    ["HostKeyAlias", sshHostAlias(o.instanceName)],
    ["CheckHostIP", "no"],
    ["UpdateHostKeys", "no"],
    ["GSSAPIAuthentication", "no"],
    ["Compression", "no"],
    // curve25519 first (the rest of ssh's list after it): OpenSSH 9's default, the hybrid
    // sntrup761x25519, costs the guest's sshd ~0.3 s more per handshake under TCG (issue 30)
    ["KexAlgorithms", "^curve25519-sha256,curve25519-sha256@libssh.org"],
    ["LogLevel", "ERROR"],
    ["ControlMaster", "auto"],
    ["ControlPath", sshConfigValue(paths.sshSock, true)],
    ["ControlPersist", "yes"],
    ["ServerAliveInterval", "10"],
    ["ForwardAgent", o.forwardAgent === true ? "yes" : "no"],
  ];
  if (o.forwardX11 === true) lines.push(["ForwardX11", "yes"]);
  if (o.forwardX11Trusted === true) lines.push(["ForwardX11Trusted", "yes"]);
  lines.push(["Hostname", "127.0.0.1"], ["Port", String(o.port)], ["User", sshConfigValue(o.user)]);
  return lines;
}

/**
 * The per-instance ssh.config: one `Host lima-NAME` block, so that
 * `ssh -F <inst>/ssh.config lima-NAME` reaches the guest. Pure.
 */
export function sshConfigText(paths: InstancePaths, o: SshConfigOptions): string {
  const lines = sshConfigOptions(paths, o);
  return [
    `# Written by tslima for instance ${o.instanceName}; use: ssh -F ${sshConfigValue(paths.sshConfig)} ${sshHostAlias(o.instanceName)}`,
    `Host ${sshHostAlias(o.instanceName)}`,
    ...lines.map(([k, v]) => `  ${k} ${v}`),
    "",
  ].join("\n");
}
