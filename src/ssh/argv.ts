import type { InstancePaths } from "../store/paths.js";
import { sshHostAlias } from "./config.js";
import { shellJoin, shellQuote } from "../proc/quote.js";

export interface SshArgvOptions {
  /** Ask for a remote terminal (-t) or not (-T). */
  tty: boolean;
  /** The command as an argv; none = an interactive login shell. */
  command?: string[];
  /** Directory to run in: `cd WORKDIR`, falling back to `home` when given, else failing. */
  workdir?: string;
  /** Fallback directory when `workdir` does not exist in the guest. */
  home?: string;
  /** Run through the user's login shell (`exec "$SHELL" -l -c ...`, as `limactl shell`); default true. */
  login?: boolean;
  /** The guest shell that runs the command (`--shell`); default the user's `$SHELL`. */
  shell?: string;
  /** `NAME=VALUE` words set for the login shell through `env` (`--preserve-env`). */
  env?: string[];
}

/**
 * The shell script sent to the guest, following `limactl shell`:
 * `cd WORKDIR || cd HOME || exit 1; exec [env NAME=VALUE...] "$SHELL" -l -c 'QUOTED COMMAND'`. Pure.
 */
export function remoteScript(o: Omit<SshArgvOptions, "tty">): string {
  const parts: string[] = [];
  if (o.workdir !== undefined) {
    const cds = [`cd ${shellQuote(o.workdir)}`];
    if (o.home !== undefined && o.home !== o.workdir) cds.push(`cd ${shellQuote(o.home)}`);
    parts.push(`${cds.join(" || ")} || exit 1`);
  }
  const login = o.login ?? true;
  const env = o.env !== undefined && o.env.length > 0 ? `env ${o.env.map((w) => shellQuote(w)).join(" ")} ` : "";
  const sh = `${env}${o.shell !== undefined ? shellQuote(o.shell) : '"$SHELL"'} -l`;
  if (o.command === undefined || o.command.length === 0) {
    parts.push(`exec ${sh}`);
  } else if (login) {
    parts.push(`exec ${sh} -c ${shellQuote(shellJoin(o.command))}`);
  } else {
    parts.push(shellJoin(o.command));
  }
  return parts.join(" ; ");
}

/** Arguments for the system `ssh`: `-F <inst>/ssh.config -t|-T lima-NAME -- SCRIPT`. Pure. */
export function sshArgv(paths: InstancePaths, o: SshArgvOptions): string[] {
  return ["-F", paths.sshConfig, o.tty ? "-t" : "-T", sshHostAlias(paths.name), "--", remoteScript(o)];
}

/** `ssh -O exit`: ends the ControlMaster of an instance (when stopping it). Pure. */
export function sshControlExitArgv(paths: InstancePaths): string[] {
  return ["-F", paths.sshConfig, "-O", "exit", sshHostAlias(paths.name)];
}

/** `ssh -O forward|cancel -D 127.0.0.1:PORT`: a SOCKS proxy held by the instance's ControlMaster. Pure. */
export function sshForwardArgv(paths: InstancePaths, op: "forward" | "cancel", port: number): string[] {
  return ["-F", paths.sshConfig, "-O", op, "-D", `127.0.0.1:${port}`, sshHostAlias(paths.name)];
}
