import { shellStatus } from "../proc/child.js";
import { runProgram, runProgramSync } from "../proc/run.js";
import { sshArgv, sshControlExitArgv } from "./argv.js";
import type { InstancePaths } from "../store/paths.js";

/**
 * A finished program (ssh, scp, ...) as tslima's own callers read it: `code` is the status a shell
 * reports (128+N after signal N). The library hands it on as ExecResult (instance/shell.ts).
 */
export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a command in the guest over ssh (ControlMaster via ssh.config) and collects its output.
 * `command` is an argv; `input` goes to its stdin. Runs without a login shell unless `login` is
 * set (the host agent's checks do not need the user's profile). Never throws for a non-zero exit.
 * stdout and stderr keep at most their last `maxOutputBytes` (default GUEST_OUTPUT_MAX) each: the
 * guest decides how much it prints.
 */
export function guestExec(
  paths: InstancePaths,
  command: string[],
  opts: { input?: string | Buffer; timeoutMs?: number; signal?: AbortSignal; workdir?: string; home?: string; login?: boolean; maxOutputBytes?: number } = {},
): Promise<SshResult> {
  const argv = sshArgv(paths, {
    tty: false,
    command,
    login: opts.login ?? false,
    ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
    ...(opts.home !== undefined ? { home: opts.home } : {}),
  });
  return runCollect("ssh", argv, opts.input, opts.timeoutMs, opts.signal, opts.maxOutputBytes ?? GUEST_OUTPUT_MAX);
}

/** What guestExec keeps of each output stream by default (the agent's checks print a few lines). */
export const GUEST_OUTPUT_MAX = 1 << 20;

/** Runs a program to completion (see runProgram); code 255 + message when it cannot be started. */
export async function runCollect(program: string, argv: string[], input?: string | Buffer, timeoutMs?: number, signal?: AbortSignal, maxOutputBytes?: number): Promise<SshResult> {
  const r = await runProgram(program, argv, {
    ...(maxOutputBytes !== undefined ? { maxOutputBytes } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  if (r.spawnError) return { code: 255, stdout: "", stderr: `${program}: ${r.spawnError.message}`, timedOut: false, signal: null };
  return { code: shellStatus(r), stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, signal: r.signal };
}

/** Ends the instance's ssh ControlMaster, if one runs (synchronously: also used on the way out). */
export function closeControlMaster(paths: InstancePaths): void {
  runProgramSync("ssh", sshControlExitArgv(paths), { timeoutMs: 5000 });
}

/** `sh -c SCRIPT` as an argv (the guest's login shell may not be sh). */
export function shScript(script: string): string[] {
  return ["sh", "-c", script];
}
