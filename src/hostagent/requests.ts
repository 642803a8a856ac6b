/**
 * Requests to a ready agent (the serve phase): where they come from (RequestInbox: SIGUSR2 plus
 * <instance>/request.json today; a control socket can take its place) and what each does
 * (handleRequest: a suspend, or a booted snapshot).
 */
import { basename } from "node:path";
import { guestHostname } from "../config/guest.js";
import { toAgentError } from "../store/agent-error.js";
import { writeFileAtomic } from "../store/atomic.js";
import { snapshotPathsIn, type InstancePaths } from "../store/paths.js";
import { takeRequest, type AgentRequest } from "../store/request.js";
import type { AgentOptions, Reporter } from "./agent-io.js";
import { syncGuestClock } from "./clock.js";
import type { Savable } from "./quiesce.js";
import { IDENTITY_SCRIPT } from "./readiness-plan.js";
import { snapshotTakenPath, snapshotVm } from "./snapshot.js";
import { suspendVm } from "./suspend.js";

export type Request = AgentRequest | { problem: string };

/** Hands requests to the serve phase one at a time; one that comes while nobody waits is refused. */
export class RequestInbox {
  private waiting: ((r: Request) => void) | undefined;

  constructor(paths: InstancePaths, source: AgentOptions["requests"], report: Reporter) {
    source?.on("request", () => {
      const req = takeRequest(paths);
      const w = this.waiting;
      this.waiting = undefined; // one at a time: another request now is refused
      if (w) return w(req);
      const error = { code: "NOT_RUNNING" as const, message: `${paths.name} is not ready yet (booting, stopping, or busy with another request)` };
      report.emit("action" in req && req.action === "snapshot" ? { kind: "snapshot", phase: "failed", error } : { kind: "suspend", phase: "failed", error });
    });
  }

  /** The next request. */
  next(): Promise<Request> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Refuses from now on (the agent shuts down). */
  close(): void {
    this.waiting = undefined;
  }
}

/** What a request needs of the agent: the VM to save, and its voice. */
export interface RequestHost extends Savable {
  readonly report: Reporter;
}

/** Carries out one request: "exit" when the VM is saved and gone (a suspend), else "serve" on. */
export async function handleRequest(a: RequestHost, req: Request): Promise<"exit" | "serve"> {
  if ("problem" in req) {
    a.report.emit({ kind: "suspend", phase: "failed", error: { code: "INTERNAL", message: req.problem } });
    return "serve";
  }
  if (req.action === "snapshot") {
    await takeSnapshot(a, req.dir);
    return "serve";
  }
  return suspend(a);
}

async function suspend(a: RequestHost): Promise<"exit" | "serve"> {
  const { status } = a.report;
  status.ready = false;
  a.report.emit({ kind: "suspend", phase: "requested", message: `Suspending ${a.paths.name}` });
  try {
    const record = await suspendVm(a);
    status.running = false;
    a.report.emit({ kind: "suspend", phase: "saved", stateBytes: record.stateBytes, message: `Saved the VM state (${Math.round(record.stateBytes / 1048576)} MiB)` });
    return "exit";
  } catch (e) {
    a.report.logError("suspend failed", e);
    status.ready = true;
    a.report.emit({ kind: "suspend", phase: "failed", message: "suspend failed; the VM keeps running", error: toAgentError(e) });
    return "serve";
  }
}

async function takeSnapshot(a: RequestHost, dir: string): Promise<void> {
  const { paths, report } = a;
  report.status.ready = false;
  report.emit({ kind: "snapshot", phase: "requested", message: `Taking a booted snapshot of ${paths.name}` });
  try {
    const target = snapshotPathsIn(dir, basename(dir));
    const taken = await snapshotVm(a, target, () => syncGuestClock(paths, IDENTITY_SCRIPT, guestHostname(paths.name)).then(() => undefined));
    writeFileAtomic(snapshotTakenPath(target), `${JSON.stringify(taken)}\n`);
    report.status.ready = true;
    report.emit({ kind: "snapshot", phase: "saved", stateBytes: taken.stateBytes, message: `Saved the VM state (${Math.round(taken.stateBytes / 1048576)} MiB) and the disk; the VM runs on` });
  } catch (e) {
    a.report.logError("snapshot failed", e);
    report.status.ready = true;
    report.emit({ kind: "snapshot", phase: "failed", message: "the snapshot failed; the VM keeps running", error: toAgentError(e) });
  }
}
