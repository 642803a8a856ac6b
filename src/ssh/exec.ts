import { spawn } from "node:child_process";
import { sshArgv } from "./index.js";
import type { InstancePaths } from "../store/paths.js";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in the guest over ssh (ControlMaster via ssh.config) and collects its output.
 * `command` is an argv; `input` goes to its stdin. Runs without a login shell unless `login` is
 * set (the host agent's checks do not need the user's profile). Never throws for a non-zero exit.
 */
export function guestExec(
  paths: InstancePaths,
  command: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; workdir?: string; home?: string; login?: boolean } = {},
): Promise<ExecResult> {
  const argv = sshArgv(paths, {
    tty: false,
    command,
    login: opts.login ?? false,
    ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
    ...(opts.home !== undefined ? { home: opts.home } : {}),
  });
  return runCollect("ssh", argv, opts.input, opts.timeoutMs);
}

/** Spawns a program and collects stdout/stderr; code 255 + message when it cannot be started. */
export function runCollect(program: string, argv: string[], input?: string | Buffer, timeoutMs?: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(program, argv, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    }
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 255, stdout: "", stderr: `${program}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 + 9 : 255),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
    child.stdin.end(input ?? "");
  });
}

/** `sh -c SCRIPT` as an argv (the guest's login shell may not be sh). */
export function shScript(script: string): string[] {
  return ["sh", "-c", script];
}
