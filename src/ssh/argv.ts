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
}

/**
 * The shell script sent to the guest, following `limactl shell`:
 * `cd WORKDIR || cd HOME || exit 1; exec "$SHELL" -l -c 'QUOTED COMMAND'`. Pure.
 */
export function remoteScript(o: Omit<SshArgvOptions, "tty">): string {
  const parts: string[] = [];
  if (o.workdir !== undefined) {
    const cds = [`cd ${shellQuote(o.workdir)}`];
    if (o.home !== undefined && o.home !== o.workdir) cds.push(`cd ${shellQuote(o.home)}`);
    parts.push(`${cds.join(" || ")} || exit 1`);
  }
  const login = o.login ?? true;
  if (o.command === undefined || o.command.length === 0) {
    parts.push('exec "$SHELL" -l');
  } else if (login) {
    parts.push(`exec "$SHELL" -l -c ${shellQuote(shellJoin(o.command))}`);
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
