import { statSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { fromAgentError } from "../store/agent-error.js";
import { EventFollower } from "../store/follow.js";
import { acquireLock } from "../store/lock.js";
import { tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { isAlive, signalProcess, waitGone } from "../proc/pid.js";
import { poll } from "../proc/wait.js";
import { requireInstance } from "./lookup.js";

export interface SuspendOptions {
  home?: string;
  /** Give up waiting after this long (the agent goes on); default 10 minutes. */
  timeoutMs?: number;
  /** The agent's events of the suspend (unmount, save-state), as they arrive. */
  onEvent?: (e: AgentEvent) => void;
  onMessage?: (m: string) => void;
}

export interface Suspended {
  name: string;
  /** Bytes of the saved state (0 when it already was suspended). */
  stateBytes: number;
  alreadySuspended: boolean;
}

/** What a suspend event means for the one waiting: undefined while it goes on. Pure. */
export function suspendOutcome(e: AgentEvent): "saved" | "failed" | "exited" | undefined {
  if (e.suspend === "saved" || e.suspend === "failed") return e.suspend;
  return e.status.exiting === true ? "exited" : undefined;
}

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Suspends a running instance: its host agent (asked with SIGUSR2) unmounts the guest's mounts,
 * saves the VM state into the instance directory and exits; the instance is then Suspended and the
 * next start resumes it. A refused or failed suspend leaves the VM running and throws the agent's
 * error (SUSPEND_BUSY naming the guest processes, SUSPEND_UNSUPPORTED, SUSPEND_FAILED).
 */
export async function suspendInstance(name: string, opts: SuspendOptions = {}): Promise<Suspended> {
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const say = opts.onMessage ?? (() => undefined);
  const lock = await acquireLock(paths.lock, { timeoutMs, onWait: (pid) => say(`waiting for another tslima process (pid ${pid}) that works on ${name}`) });
  try {
    const st = inspectStatus(paths);
    if (st.status === "Suspended") {
      say(`instance ${name} is already suspended`);
      return { name, stateBytes: 0, alreadySuspended: true };
    }
    if (st.status !== "Running" || st.haPid === undefined) {
      throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}${st.reason ? ` (${st.reason})` : ""}; only a running instance can be suspended`, {
        hint: st.status === "Broken" ? `stop it first: tslima stop -f ${name}` : `start it: tslima start ${name}`,
      });
    }
    const haPid = st.haPid;
    const follower = new EventFollower(paths.haStdoutLog, logSize(paths.haStdoutLog));
    signalProcess(haPid, "SIGUSR2");
    let saved: AgentEvent | undefined;
    const outcome = await poll(
      () => {
        for (const e of follower.poll()) {
          opts.onEvent?.(e);
          const o = suspendOutcome(e);
          if (o === "saved") saved = e;
          if (o === "failed") {
            throw fromAgentError(e.error ?? { code: "SUSPEND_FAILED", message: "the host agent did not say why" }, `suspending ${name} failed`, `logs: ${paths.haStderrLog}`);
          }
          if (o === "exited") return "exited";
        }
        return isAlive(haPid) ? undefined : "exited";
      },
      { timeoutMs, intervalMs: 100 },
    );
    if (outcome === undefined) {
      throw new TslimaError("TIMEOUT", `${name} was not suspended within ${Math.round(timeoutMs / 1000)}s`, { hint: `see ${paths.haStderrLog}; tslima list shows whether it still runs` });
    }
    await waitGone(haPid, 30_000);
    if (saved === undefined || inspectStatus(paths).status !== "Suspended") {
      throw new TslimaError("SUSPEND_FAILED", `the host agent of ${name} exited without saving the VM state`, { hint: `see ${paths.haStderrLog}; the next start boots cold` });
    }
    return { name, stateBytes: saved.stateBytes ?? 0, alreadySuspended: false };
  } finally {
    lock.release();
  }
}
