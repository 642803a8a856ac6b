import { spawnSync } from "node:child_process";
import { TslimaError, type ErrorCode } from "../errors.js";
import { startChild, type Exit } from "./child.js";
import { TailBuffer } from "./tail.js";

export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** SIGTERM after this long, SIGKILL `killGraceMs` later; the result says timedOut. */
  timeoutMs?: number;
  /** Aborting ends the program the same way (SIGTERM, then SIGKILL); the result says aborted. */
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL; default 2 s. */
  killGraceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each of stdout and stderr keeps at most its last this many bytes (after a note of the cut); default DEFAULT_MAX_OUTPUT. */
  maxOutputBytes?: number;
}

/** The default bound on the output runProgram keeps per stream. */
export const DEFAULT_MAX_OUTPUT = 16 << 20;

/** How a program run to completion ended, with everything it printed. */
export interface RunResult extends Exit {
  command: string;
  args: string[];
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/**
 * The one process runner: runs a program to completion and collects its output. Never throws;
 * see processError for turning a failed result into an error.
 */
export function runProgram(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = startChild(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
    });
    const out = new TailBuffer(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    const err = new TailBuffer(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const end = () => {
      child.kill("SIGTERM");
      killTimer ??= setTimeout(() => child.kill("SIGKILL"), opts.killGraceMs ?? 2000);
    };
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), end()), opts.timeoutMs);
    const onAbort = () => ((aborted = true), end());
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.stdin?.on("error", () => undefined);
    child.on("error", (e: NodeJS.ErrnoException) => (spawnError = e));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener("abort", onAbort);
      const r: RunResult = {
        command,
        args,
        code,
        signal,
        stdout: out.text(),
        stderr: err.text(),
        timedOut,
        aborted,
        durationMs: Date.now() - started,
      };
      if (spawnError) r.spawnError = spawnError;
      resolve(r);
    });
    child.stdin?.end(opts.input ?? "");
  });
}

/**
 * runProgram for the few places that must not yield to the event loop (cleanup on the way out, a
 * one-off probe): same result shape, no abort.
 */
export function runProgramSync(command: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const started = Date.now();
  const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: opts.timeoutMs, killSignal: "SIGKILL", ...(opts.env !== undefined ? { env: opts.env } : {}) });
  const error: NodeJS.ErrnoException | undefined = r.error;
  const result: RunResult = {
    command,
    args,
    code: r.status,
    signal: r.signal,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    timedOut: error?.code === "ETIMEDOUT",
    aborted: false,
    durationMs: Date.now() - started,
  };
  if (error && error.code !== "ETIMEDOUT") result.spawnError = error;
  return result;
}

/**
 * Runs a program on the user's terminal (stdin, stdout and stderr inherited), e.g. an editor, and
 * returns its exit code (null when killed or it could not start).
 */
export function runOnTerminal(command: string, args: string[]): number | null {
  const r = spawnSync(command, args, { stdio: "inherit" });
  return r.error ? null : r.status;
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string[] {
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-n);
}

/** "exited with code 1" / "was killed by SIGKILL" / "timed out after 30s" / "could not be started: ...". */
export function describeEnd(r: RunResult): string {
  if (r.spawnError) return `could not be started: ${r.spawnError.message}`;
  if (r.timedOut) return `timed out after ${Math.round(r.durationMs / 1000)}s and was killed`;
  if (r.aborted) return "was cancelled";
  if (r.signal) return `was killed by ${r.signal}`;
  return `exited with code ${r.code ?? "?"}`;
}

/** A TslimaError saying what ran, how it ended and the last lines it printed on stderr. */
export function processError(code: ErrorCode, what: string, r: RunResult, hint: string): TslimaError {
  const tail = lastLines(r.stderr, 5);
  const cmd = [r.command, ...r.args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(" ");
  const msg = `${what}: \`${cmd}\` ${describeEnd(r)}${tail.length > 0 ? `:\n  ${tail.join("\n  ")}` : ""}`;
  return new TslimaError(code, msg, { hint });
}
