import { statSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { fromAgentError } from "../store/agent-error.js";
import { EventFollower } from "../store/follow.js";
import type { InstancePaths } from "../store/paths.js";
import { writeRequest, type AgentRequest } from "../store/request.js";
import { isAlive, signalProcess } from "../proc/pid.js";
import { poll } from "../proc/wait.js";

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What an event means for the one waiting on a request: undefined while it goes on. Pure. */
export function requestOutcome(e: AgentEvent, action: AgentRequest["action"]): "saved" | "failed" | "exited" | undefined {
  if (e.kind === action && (e.phase === "saved" || e.phase === "failed")) return e.phase;
  // "failed" with status.exiting: the agent crashed
  return e.kind === "exiting" || e.status.exiting === true ? "exited" : undefined;
}

export interface AgentAnswer {
  /** The "saved" event, or undefined when the agent exited without one. */
  saved: AgentEvent | undefined;
}

/**
 * Asks the running host agent `haPid` for `req` (request.json, then SIGUSR2) and follows its events
 * until the request is done: resolves with the "saved" event (undefined when the agent exited
 * first), throws the agent's own error when it failed, TIMEOUT after `timeoutMs`. The caller holds
 * the instance lock.
 */
export async function requestAgent(
  paths: InstancePaths,
  haPid: number,
  req: AgentRequest,
  o: { timeoutMs: number; what: string; onEvent?: (e: AgentEvent) => void },
): Promise<AgentAnswer> {
  const follower = new EventFollower(paths.haStdoutLog, logSize(paths.haStdoutLog));
  writeRequest(paths, req);
  signalProcess(haPid, "SIGUSR2");
  let saved: AgentEvent | undefined;
  const outcome = await poll(
    () => {
      for (const e of follower.poll()) {
        o.onEvent?.(e);
        const r = requestOutcome(e, req.action);
        if (r === "saved") {
          saved = e;
          if (req.action === "snapshot") return "saved";
        }
        if (r === "failed") {
          throw fromAgentError((e.kind === req.action ? e.error : undefined) ?? { code: req.action === "suspend" ? "SUSPEND_FAILED" : "SNAPSHOT_FAILED", message: "the host agent did not say why" }, `${o.what} failed`, `logs: ${paths.haStderrLog}`);
        }
        if (r === "exited") return "exited";
      }
      return isAlive(haPid) ? undefined : "exited";
    },
    { timeoutMs: o.timeoutMs, intervalMs: 100 },
  );
  if (outcome === undefined) {
    throw new TslimaError("TIMEOUT", `${o.what} did not finish within ${Math.round(o.timeoutMs / 1000)}s`, { hint: `see ${paths.haStderrLog}; tslima list shows whether the instance still runs` });
  }
  return { saved };
}
