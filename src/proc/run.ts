import { spawn } from "node:child_process";
import { TslimaError } from "../errors.js";

export interface RunResult {
  command: string;
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
}

/** Runs a program to completion, collecting output; SIGTERM then SIGKILL after `timeoutMs`. Never throws. */
export function runProgram(command: string, args: string[], opts: { timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
            killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
          }, opts.timeoutMs);
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      const r: RunResult = {
        command,
        args,
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
      };
      if (spawnError) r.spawnError = spawnError;
      resolve(r);
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string[] {
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-n);
}

/** "exited with code 1" / "was killed by SIGKILL" / "timed out after 30s" / "could not be started: ...". */
export function describeEnd(r: RunResult, timeoutMs?: number): string {
  if (r.spawnError) return `could not be started: ${r.spawnError.message}`;
  if (r.timedOut) return `timed out${timeoutMs !== undefined ? ` after ${Math.round(timeoutMs / 1000)}s` : ""} and was killed`;
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.code ?? "?"}`;
}

/** A TslimaError saying what ran, how it ended and the last lines it printed on stderr. */
export function processError(code: string, what: string, r: RunResult, hint: string, timeoutMs?: number): TslimaError {
  const tail = lastLines(r.stderr, 5);
  const cmd = [r.command, ...r.args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(" ");
  const msg = `${what}: \`${cmd}\` ${describeEnd(r, timeoutMs)}${tail.length > 0 ? `:\n  ${tail.join("\n  ")}` : ""}`;
  return new TslimaError(code, msg, { hint });
}
