/**
 * Requests to a ready agent (the serve phase): where they come from (RequestInbox: the control
 * socket ha.sock, control.ts, hands them over) and what each does (handleRequest: a suspend, or a
 * booted snapshot). The one who asked gets the outcome: the saved state's size, or the error.
 */
import { basename } from "node:path";
import { TslimaError } from "../errors.js";
import { guestHostname } from "../config/guest.js";
import { toAgentError } from "../store/agent-error.js";
import { writeFileAtomic } from "../store/atomic.js";
import { snapshotPathsIn, type InstancePaths } from "../store/paths.js";
import type { Reporter } from "./agent-io.js";
import { syncGuestClock } from "./clock.js";
import type { Savable } from "./quiesce.js";
import { IDENTITY_SCRIPT } from "./readiness-plan.js";
import { snapshotTakenPath, snapshotVm } from "./snapshot.js";
import { suspendVm } from "./suspend.js";

/** A suspend or a snapshot asked on the control socket, with the asker's answer. */
export interface Request {
  action: { action: "suspend" } | { action: "snapshot"; dir: string };
  resolve: (r: { stateBytes: number }) => void;
  reject: (e: unknown) => void;
}

/** Hands requests to the serve phase one at a time; one that comes while nobody waits is refused. */
export class RequestInbox {
  private waiting: ((r: Request) => void) | undefined;

  constructor(private readonly paths: InstancePaths) {}

  /** Asks the serve phase; NOT_RUNNING when it does not wait (booting, stopping, busy with another). */
  ask(action: Request["action"]): Promise<{ stateBytes: number }> {
    return new Promise((resolve, reject) => {
      const w = this.waiting;
      this.waiting = undefined; // one at a time: another request now is refused
      if (w === undefined) {
        const { name } = this.paths;
        reject(new TslimaError("NOT_RUNNING", `${name} is not ready yet (booting, stopping, or busy with another request)`, { hint: `wait for it to be ready (tslima list ${name}), then ask again` }));
      } else w({ action, resolve, reject });
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

/** Carries out one request and answers it: "exit" when the VM is saved and gone (a suspend), else "serve" on. */
export async function handleRequest(a: RequestHost, req: Request): Promise<"exit" | "serve"> {
  const r = req.action.action === "snapshot" ? await takeSnapshot(a, req.action.dir) : await suspend(a);
  if ("error" in r) req.reject(r.error);
  else req.resolve({ stateBytes: r.stateBytes });
  return r.next;
}

type Outcome = { next: "exit" | "serve"; stateBytes: number } | { next: "serve"; error: unknown };

async function suspend(a: RequestHost): Promise<Outcome> {
  const { status } = a.report;
  status.ready = false;
  a.report.emit({ kind: "suspend", phase: "requested", message: `Suspending ${a.paths.name}` });
  try {
    const record = await suspendVm(a);
    status.running = false;
    a.report.emit({ kind: "suspend", phase: "saved", stateBytes: record.stateBytes, message: `Saved the VM state (${Math.round(record.stateBytes / 1048576)} MiB)` });
    return { next: "exit", stateBytes: record.stateBytes };
  } catch (e) {
    a.report.logError("suspend failed", e);
    status.ready = true;
    a.report.emit({ kind: "suspend", phase: "failed", message: "suspend failed; the VM keeps running", error: toAgentError(e) });
    return { next: "serve", error: e };
  }
}

async function takeSnapshot(a: RequestHost, dir: string): Promise<Outcome> {
  const { paths, report } = a;
  report.status.ready = false;
  report.emit({ kind: "snapshot", phase: "requested", message: `Taking a booted snapshot of ${paths.name}` });
  try {
    const target = snapshotPathsIn(dir, basename(dir));
    const taken = await snapshotVm(a, target, () => syncGuestClock(paths, IDENTITY_SCRIPT, guestHostname(paths.name)).then(() => undefined));
    writeFileAtomic(snapshotTakenPath(target), `${JSON.stringify(taken)}\n`);
    report.status.ready = true;
    report.emit({ kind: "snapshot", phase: "saved", stateBytes: taken.stateBytes, message: `Saved the VM state (${Math.round(taken.stateBytes / 1048576)} MiB) and the disk; the VM runs on` });
    return { next: "serve", stateBytes: taken.stateBytes };
  } catch (e) {
    a.report.logError("snapshot failed", e);
    report.status.ready = true;
    report.emit({ kind: "snapshot", phase: "failed", message: "the snapshot failed; the VM keeps running", error: toAgentError(e) });
    return { next: "serve", error: e };
  }
}
