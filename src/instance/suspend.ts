import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { acquireLock } from "../store/lock.js";
import { tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { waitGone } from "../proc/pid.js";
import { requestAgent } from "./agent-request.js";
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

/**
 * Suspends a running instance: its host agent (asked on its control socket ha.sock) unmounts the guest's mounts,
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
        hint: st.status === "Broken" && st.haPid === undefined && st.qemuPid !== undefined
          ? `its QEMU runs without a host agent: tslima start ${name} re-attaches to it`
          : st.status === "Broken" ? `stop it first: tslima stop -f ${name}` : `start it: tslima start ${name}`,
      });
    }
    const haPid = st.haPid;
    const saved = await requestAgent(paths, { type: "suspend" }, { timeoutMs, what: `suspending ${name}`, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    await waitGone(haPid, 30_000);
    const after = inspectStatus(paths);
    if (after.status !== "Suspended") {
      // a dead agent's QEMU runs on: start re-attaches to it
      const next = after.qemuPid !== undefined ? `its VM still runs: tslima start ${name} re-attaches to it` : "the next start boots cold";
      throw new TslimaError("SUSPEND_FAILED", `the host agent of ${name} exited without saving the VM state`, { hint: `see ${paths.haStderrLog}; ${next}` });
    }
    return { name, stateBytes: saved.stateBytes, alreadySuspended: false };
  } finally {
    lock.release();
  }
}
