import type { StdioOptions } from "node:child_process";
import { shellStatus, startChild } from "../proc/child.js";
import type { InstancePaths } from "../store/paths.js";
import { sshArgv, type SshArgvOptions } from "./argv.js";

export interface SshRunOptions extends Omit<SshArgvOptions, "tty"> {
  /** Remote terminal; default: when our stdin and stdout are terminals. */
  tty?: boolean;
  /** stdio of ssh; default inherit (stdin, stdout, stderr pass through). */
  stdio?: StdioOptions;
  /** The ssh binary; default "ssh" on PATH. */
  ssh?: string;
}

/**
 * Runs a command (or a login shell) in the guest with the system ssh, passing stdin/stdout/stderr
 * through, and resolves with its exit code (ssh's 255 when the connection fails; 128+N for a signal).
 */
export function sshCommandRunner(paths: InstancePaths, o: SshRunOptions = {}): Promise<number> {
  const tty = o.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  const argv = sshArgv(paths, { ...o, tty });
  return new Promise((resolve) => {
    const child = startChild(o.ssh ?? "ssh", argv, { stdio: o.stdio ?? "inherit" });
    child.on("error", (e) => {
      process.stderr.write(`tslima: cannot run ssh: ${e.message}\n`);
      resolve(255);
    });
    child.on("close", (code, signal) => resolve(shellStatus({ code, signal })));
  });
}
