import { TslimaError } from "../errors.js";
import type { Mount } from "../config/types.js";
import { sshCommandRunner } from "../ssh/index.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { loadInstanceConfig, requireInstance } from "./inventory.js";
import { inspectStatus } from "../store/status.js";
import { guestExec, type ExecResult } from "../ssh/exec.js";

/**
 * Lima's rule for the guest working directory: the host's cwd when it lies inside a mount
 * (translated to the mount point), else undefined (= the guest home). Pure.
 */
export function guestWorkdir(hostCwd: string, mounts: Pick<Mount, "location" | "mountPoint">[]): string | undefined {
  const cwd = hostCwd.replace(/\/+$/, "") || "/";
  let best: { len: number; dir: string } | undefined;
  for (const m of mounts) {
    const loc = m.location.replace(/\/+$/, "") || "/";
    const inside = cwd === loc || loc === "/" || cwd.startsWith(`${loc}/`);
    if (!inside || (best && best.len >= loc.length)) continue;
    const rest = loc === "/" ? cwd : cwd.slice(loc.length);
    const mp = m.mountPoint.replace(/\/+$/, "");
    best = { len: loc.length, dir: `${mp}${rest}` || "/" };
  }
  return best?.dir;
}

export interface ShellOptions {
  home?: string;
  /** Guest directory to run in; default: Lima's rule (see guestWorkdir). */
  workdir?: string;
  /** Host cwd for Lima's rule; default process.cwd(). */
  cwd?: string;
}

function runningInstance(name: string, home: string): InstancePaths {
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths);
  if (st.status !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}${st.reason ? ` (${st.reason})` : ""}`, {
      hint: `start it: tslima start ${name}`,
    });
  }
  return paths;
}

/** Where to run: --workdir (must exist), else the mounted cwd falling back to the guest home. */
function workdirFor(home: string, paths: InstancePaths, opts: ShellOptions): { workdir?: string; home?: string } {
  if (opts.workdir !== undefined) return { workdir: opts.workdir };
  try {
    const config = loadInstanceConfig(home, paths);
    const dir = guestWorkdir(opts.cwd ?? process.cwd(), config.mounts);
    return dir === undefined ? {} : { workdir: dir, home: config.user.home };
  } catch {
    return {};
  }
}

/**
 * Runs a command (or a login shell when `command` is empty) in the guest with this process's stdio;
 * resolves with its exit code. A TTY is requested when stdin and stdout are terminals.
 */
export function shell(name: string, command: string[], opts: ShellOptions = {}): Promise<number> {
  const home = opts.home ?? tslimaHome();
  const paths = runningInstance(name, home);
  const wd = workdirFor(home, paths, opts);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return sshCommandRunner(paths, { tty, ...(command.length > 0 ? { command } : {}), ...wd });
}

/** Runs a command in the guest and collects its output. */
export function exec(name: string, command: string[], opts: ShellOptions & { input?: string | Buffer; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ExecResult> {
  const home = opts.home ?? tslimaHome();
  const paths = runningInstance(name, home);
  return guestExec(paths, command, {
    login: true,
    ...workdirFor(home, paths, opts),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
}
