import { existsSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { poll } from "../proc/wait.js";
import type { Mount } from "../config/types.js";
import { reroot } from "../store/mount-paths.js";
import { sshCommandRunner } from "../ssh/runner.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { requireInstance } from "./lookup.js";
import { inspectStatus } from "../store/status.js";
import { readShellFacts, type ShellFacts } from "../store/shell-facts.js";
import { closeControlMaster, guestExec } from "../ssh/exec.js";
import { preservedEnv } from "../ssh/shell-env.js";
import type { StartOptions } from "./start.js";
import type { SyncOptions } from "./shell-sync.js";

/** A finished guest command (every exec of the library returns one). A non-zero exit is a result, not an error. */
export interface ExecResult {
  /** The status a shell reports: the command's exit code, 128+N after signal N, 255 when ssh failed. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The command ran past `timeoutMs` and was killed. */
  timedOut: boolean;
  /** The signal that ended it (ssh, on the host side), or null. */
  signal: NodeJS.Signals | null;
}

/** How to run a command with exec. */
export interface ExecOptions {
  /** Goes to the command's stdin. */
  input?: string | Buffer;
  /** Guest directory to run in; default the mounted host cwd (Lima's rule, see guestWorkdir), else the guest home. */
  workdir?: string;
  timeoutMs?: number;
  /** Aborting kills the command; exec then rejects with INTERRUPTED. */
  signal?: AbortSignal;
  /** stdout and stderr each keep at most their last this many bytes, after a note of how much was cut; default 64 MiB. */
  maxOutputBytes?: number;
}

// The path of every `tslima shell`: keep its imports light. Nothing here loads src/config (the YAML
// pipeline) unless the agent's record (shell.json) is missing; test/unit/cli-lazy.test.ts checks it.

/**
 * Lima's rule for the guest working directory: the host's cwd when it lies inside a mount
 * (translated to the mount point), else undefined (= the guest home). Pure.
 */
export function guestWorkdir(hostCwd: string, mounts: Pick<Mount, "location" | "mountPoint">[]): string | undefined {
  return reroot(hostCwd, mounts, "location", "mountPoint");
}

export interface ShellOptions {
  home?: string;
  /** Guest directory to run in; default: Lima's rule (see guestWorkdir). */
  workdir?: string;
  /** Host cwd for Lima's rule; default process.cwd(). */
  cwd?: string;
  /** The guest shell that runs the command (Lima's `--shell`); default the guest user's `$SHELL`. */
  shell?: string;
  /**
   * Pass host environment variables to the command (Lima's `--preserve-env`): those of `env`
   * (default process.env) that LIMA_SHELLENV_ALLOW / LIMA_SHELLENV_BLOCK let through (see
   * ssh/shell-env.ts).
   */
  preserveEnv?: boolean;
  env?: NodeJS.ProcessEnv;
  /** End the instance's ssh ControlMaster first, so that this command opens a new one (`--reconnect`). */
  reconnect?: boolean;
  /**
   * Start the instance first when it is not running (`--start`), with these of start's options
   * (its events and messages, its timeout); false or absent: a stopped instance is an error.
   */
  start?: boolean | Pick<StartOptions, "onEvent" | "onMessage" | "timeoutMs" | "signal">;
  /**
   * Lima's `--sync DIR`: copy the host directory `dir` into the guest (under the guest home, at the
   * same path), run the command there, then copy its changes back (`apply`: ask on the terminal,
   * yes, no). Needs rsync on the host and an instance without mounts; not with `workdir`.
   */
  sync?: SyncOptions;
}

function runningInstance(name: string, home: string): InstancePaths {
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths);
  if (st.status !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}${st.reason ? ` (${st.reason})` : ""}`, {
      hint: `start it: tslima start ${name} (or shell --start)`,
    });
  }
  return paths;
}

/** The booted config's home and mounts: the agent's record, else (an agent without one) lima.yaml. */
async function shellFacts(home: string, paths: InstancePaths): Promise<ShellFacts> {
  const recorded = readShellFacts(paths);
  if (recorded !== undefined) return recorded;
  const { loadInstanceConfig } = await import("./inventory.js");
  const config = loadInstanceConfig(home, paths);
  return { home: config.user.home, mounts: config.mounts };
}

/** Where to run: --workdir (must exist), else the mounted cwd falling back to the guest home. */
async function workdirFor(home: string, paths: InstancePaths, opts: ShellOptions): Promise<{ workdir?: string; home?: string }> {
  if (opts.workdir !== undefined) return { workdir: opts.workdir };
  try {
    const facts = await shellFacts(home, paths);
    const dir = guestWorkdir(opts.cwd ?? process.cwd(), facts.mounts);
    return dir === undefined ? {} : { workdir: dir, home: facts.home };
  } catch {
    return {};
  }
}

/**
 * Runs a command (or a login shell when `command` is empty) in the guest with this process's stdio;
 * resolves with its exit code. A TTY is requested when stdin and stdout are terminals.
 */
export async function shell(name: string, command: string[], opts: ShellOptions = {}): Promise<number> {
  const home = opts.home ?? tslimaHome();
  const paths = opts.start !== undefined && opts.start !== false ? await startedInstance(name, home, opts.start === true ? {} : opts.start) : runningInstance(name, home);
  if (opts.sync !== undefined && opts.workdir !== undefined) {
    throw new TslimaError("SHELL_SYNC", "shell: --workdir and --sync cannot be used together", { hint: "drop --workdir: with --sync the command runs in the guest's copy of the directory" });
  }
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (opts.reconnect === true) await reconnect(paths);
  const run = (wd: { workdir?: string; home?: string }): Promise<number> =>
    sshCommandRunner(paths, {
      tty,
      ...(command.length > 0 ? { command } : {}),
      ...wd,
      ...(opts.shell !== undefined ? { shell: opts.shell } : {}),
      ...(opts.preserveEnv === true ? { env: preservedEnv(opts.env ?? process.env) } : {}),
    });
  if (opts.sync === undefined) return run(await workdirFor(home, paths, opts));
  const facts = await shellFacts(home, paths);
  const { withSyncedDir } = await import("./shell-sync.js");
  const target = { name, paths, guestHome: facts.home, mounts: facts.mounts };
  return withSyncedDir(target, { ...opts.sync, cwd: opts.cwd ?? process.cwd() }, (workdir) => run({ workdir }));
}

/**
 * Ends the ControlMaster and waits (up to 10 s: its exit takes seconds on a loaded host) for its
 * socket to go, so that the next ssh becomes the new master instead of finding the old socket and
 * running without one. The socket is not removed here: the old master unlinks it when it exits,
 * and would then remove a new master's socket made at the same path in the meantime.
 */
async function reconnect(paths: InstancePaths): Promise<void> {
  closeControlMaster(paths);
  await poll(() => (existsSync(paths.sshSock) ? undefined : true), { timeoutMs: 10_000, intervalMs: 20 });
}

/** The instance, started first (with the whole library: only then is it loaded) unless it runs. */
async function startedInstance(name: string, home: string, o: StartOptions): Promise<InstancePaths> {
  const paths = requireInstance(home, name);
  if (inspectStatus(paths).status !== "Running") {
    const { startInstance } = await import("./start.js");
    await startInstance(name, { ...o, home });
  }
  return runningInstance(name, home);
}

/** What exec keeps of each output stream by default (the last bytes, after a note of the cut). */
export const EXEC_OUTPUT_MAX = 64 << 20;

/** Runs a command in the guest and collects its output (at most `maxOutputBytes` per stream, default EXEC_OUTPUT_MAX). */
export async function exec(name: string, command: string[], opts: ExecOptions & Pick<ShellOptions, "home" | "cwd"> = {}): Promise<ExecResult> {
  const home = opts.home ?? tslimaHome();
  const paths = runningInstance(name, home);
  const r = await guestExec(paths, command, {
    login: true,
    maxOutputBytes: opts.maxOutputBytes ?? EXEC_OUTPUT_MAX,
    ...(await workdirFor(home, paths, opts)),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  if (opts.signal?.aborted) throw new TslimaError("INTERRUPTED", `${command.join(" ")} in ${name} was aborted`);
  return { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut, signal: r.signal };
}
