import type { StdioOptions } from "node:child_process";
import { shellStatus, startChild } from "../proc/child.js";
import type { InstancePaths } from "../store/paths.js";
import { TslimaError } from "../errors.js";
import { sshArgv, type SshArgvOptions } from "./argv.js";
import { hostKeyMismatchError, isHostKeyMismatch } from "./hostkey.js";

export interface SshRunOptions extends Omit<SshArgvOptions, "tty"> {
  /** Remote terminal; default: when our stdin and stdout are terminals. */
  tty?: boolean;
  /** stdio of ssh; default inherit (stdin, stdout, stderr pass through). */
  stdio?: StdioOptions;
  /** The ssh binary; default "ssh" on PATH. */
  ssh?: string;
}

/** ssh's stdin and stdout as asked; its stderr always through us, so its last words can be read. */
function stdioOf(s: StdioOptions | undefined): { stdio: StdioOptions; passStderr: boolean } {
  const [i, o, e] = Array.isArray(s) ? s : [s ?? "inherit", s ?? "inherit", s ?? "inherit"];
  return { stdio: [i ?? "inherit", o ?? "inherit", "pipe"], passStderr: e === "inherit" || e === undefined };
}

/**
 * Runs a command (or a login shell) in the guest with the system ssh, passing stdin/stdout/stderr
 * through, and resolves with its exit code (ssh's 255 when the connection fails; 128+N for a signal).
 * Rejects when ssh cannot be started, and with ERR_TSLIMA_SSH_HOST_KEY when the server on the
 * instance's port does not hold the pinned host key.
 */
export function sshCommandRunner(paths: InstancePaths, o: SshRunOptions = {}): Promise<number> {
  const tty = o.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  const argv = sshArgv(paths, { ...o, tty });
  const { stdio, passStderr } = stdioOf(o.stdio);
  return new Promise((resolve, reject) => {
    const child = startChild(o.ssh ?? "ssh", argv, { stdio });
    let tail = "";
    child.stderr?.on("data", (b: Buffer) => {
      if (passStderr) process.stderr.write(b);
      tail = (tail + b.toString("latin1")).slice(-4096);
    });
    child.on("error", (e) => reject(new TslimaError("SSH", `could not run ssh: ${e.message}`, { hint: "install the OpenSSH client" })));
    child.on("close", (code, signal) => {
      if (code === 255 && isHostKeyMismatch(tail)) reject(hostKeyMismatchError(paths));
      else resolve(shellStatus({ code, signal }));
    });
  });
}
