/**
 * run_shell_command's result from a finished guest command (pure): Lima's fields (`stdout`,
 * `stderr`, `exit_code`, and `error` as Go's os/exec words it: "exit status 13", "signal: killed"),
 * and under tslima's flavour whether the timeout killed it and whether the output was cut.
 */
import { cutNotice } from "../proc/tail.js";
import type { Flavour } from "./schemas.js";

export interface ShellResult {
  stdout: string;
  stderr: string;
  error?: string;
  exit_code?: number;
  timed_out?: boolean;
  truncated?: boolean;
}

export interface FinishedCommand {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
}

/** The exit status of GNU timeout when it stopped the command. */
const TIMEOUT_STATUS = 124;

const cutPrefix = cutNotice(0).split("0")[0] ?? "";

export function shellResult(r: FinishedCommand, timeoutSeconds: number, flavour: Flavour): ShellResult {
  const res: ShellResult = { stdout: r.stdout, stderr: r.stderr };
  const timedOut = r.timedOut || r.exitCode === TIMEOUT_STATUS;
  if (timedOut) {
    res.error = `timed out after ${timeoutSeconds} s: the command was killed (exit status ${r.exitCode})`;
  } else if (r.signal !== null) {
    res.error = `signal: ${r.signal}`;
  } else if (r.exitCode !== 0) {
    res.error = `exit status ${r.exitCode}`;
  }
  res.exit_code = r.exitCode;
  if (flavour === "tslima") {
    if (timedOut) res.timed_out = true;
    if (r.stdout.startsWith(cutPrefix) || r.stderr.startsWith(cutPrefix)) res.truncated = true;
  }
  return res;
}
