import type { ChildProcess } from "node:child_process";
import { startChild } from "../../proc/child.js";
import { signalProcess } from "../../proc/pid.js";
import { createWriteStream, type WriteStream } from "node:fs";
import { whichSync } from "../../proc/which.js";
import { delimiter } from "node:path";
import { TslimaError } from "../../errors.js";

/**
 * A build log: every command and all of its output go here; errors quote its last lines. It also
 * carries the build's stop signal, which every command run through it obeys.
 */
export class BuildLog {
  private readonly stream: WriteStream;
  private tail: string[] = [];

  constructor(
    readonly path: string,
    readonly signal?: AbortSignal,
  ) {
    this.stream = createWriteStream(path, { flags: "a" });
  }

  /** Throws INTERRUPTED once the build was asked to stop. */
  checkStopped(): void {
    if (this.signal?.aborted) throw new TslimaError("INTERRUPTED", "the image build was interrupted", { hint: `its partial work is removed; the next build starts over (log: ${this.path})` });
  }

  write(text: string): void {
    this.stream.write(text);
    for (const line of text.split("\n")) if (line.trim() !== "") this.tail.push(line);
    if (this.tail.length > 200) this.tail = this.tail.slice(-40);
  }

  lastLines(n: number): string[] {
    return this.tail.slice(-n);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }
}

/** Finds an executable on PATH, also in the sbin directories a non-login root shell may lack. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return whichSync(name, [env.PATH ?? "", "/usr/local/sbin", "/usr/sbin", "/sbin"].join(delimiter));
}

/** The environment for build commands: sbin on PATH, no prompts, a neutral locale. */
export function buildEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    PATH: `${env.PATH ?? "/usr/bin:/bin"}:/usr/local/sbin:/usr/sbin:/sbin`,
    DEBIAN_FRONTEND: "noninteractive",
    LC_ALL: "C",
    LANG: "C",
  };
}

/**
 * Starts a build command in a process group of its own, so that a stop ends it and everything it
 * started (debootstrap's chroot'ed dpkg and maintainer scripts): the whole group is killed when the
 * log's signal aborts, and when this process exits.
 */
function startBuildChild(log: BuildLog, cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  log.checkStopped();
  const child = startChild(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const killGroup = () => {
    if (child.pid !== undefined) signalProcess(-child.pid, "SIGKILL");
  };
  log.signal?.addEventListener("abort", killGroup, { once: true });
  process.once("exit", killGroup);
  child.once("close", () => {
    log.signal?.removeEventListener("abort", killGroup);
    process.off("exit", killGroup);
  });
  return child;
}

/**
 * Runs one command to completion, its output into the log. Throws a TslimaError that says what ran,
 * how it ended and what it printed last.
 */
export async function run(log: BuildLog, argv: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("run: empty argv");
  log.write(`\n$ ${argv.join(" ")}\n`);
  const child = startBuildChild(log, cmd, args, opts.env ?? buildEnv());
  child.stdout?.setEncoding("utf8").on("data", (d: string) => log.write(d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => log.write(d));
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.on("error", (error) => resolve({ code: null, signal: null, error }));
      child.on("close", (code, signal) => resolve({ code, signal }));
    },
  );
  log.checkStopped();
  if (result.error || result.code !== 0) {
    const how = result.error
      ? `could not start (${result.error.message})`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.code}`;
    const last = log.lastLines(15).map((l) => `  | ${l}`).join("\n");
    throw new TslimaError("IMAGE_BUILD_FAILED", `\`${argv.join(" ")}\` ${how}; last output:\n${last}`, {
      hint: `the full log is ${log.path}`,
    });
  }
}

/** Runs a command and returns its standard output (logged too). */
export async function capture(log: BuildLog, argv: string[]): Promise<string> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("capture: empty argv");
  log.write(`\n$ ${argv.join(" ")}\n`);
  const child = startBuildChild(log, cmd, args, buildEnv());
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => log.write(d));
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", (c) => resolve(c));
  });
  log.write(out);
  log.checkStopped();
  if (code !== 0) {
    throw new TslimaError("IMAGE_BUILD_FAILED", `\`${argv.join(" ")}\` failed (exit ${code})`, {
      hint: `the full log is ${log.path}`,
    });
  }
  return out;
}
