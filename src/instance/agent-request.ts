/**
 * The client of the host agent's control socket `<instance>/ha.sock` (hostagent/control.ts, protocol
 * in store/control-protocol.ts): a suspend or snapshot request waited for until done, the agent's
 * status, and its events as they are emitted.
 */
import { connect, type Socket } from "node:net";
import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { fromAgentError } from "../store/agent-error.js";
import { decodeReply, encode, takeLines, type ControlReply, type ControlRequest, type ControlStatus } from "../store/control-protocol.js";
import type { InstancePaths } from "../store/paths.js";
import { readPidFile } from "../store/pidfile.js";
import { isAlive } from "../proc/pid.js";

type Body<R> = R extends ControlRequest ? Omit<R, "id"> : never;

/** An open connection to ha.sock; replies go to the handler registered for their id. */
class AgentConnection {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: ControlReply) => void>();
  private problem: string | undefined;
  readonly closed: Promise<void>;

  private constructor(
    readonly paths: InstancePaths,
    private readonly conn: Socket,
  ) {
    conn.setEncoding("utf8");
    let buffered = "";
    conn.on("data", (chunk: string) => {
      const { lines, rest, overflow } = takeLines(buffered + chunk);
      buffered = rest;
      for (const line of lines) {
        const r = decodeReply(line);
        if ("problem" in r) this.problem ??= r.problem;
        else if (r.id !== null) this.waiting.get(r.id)?.(r);
        else if (r.type === "error") this.problem ??= r.error.message;
      }
      if (overflow) {
        this.problem ??= "a reply line is too long";
        conn.destroy();
      }
    });
    conn.on("error", () => undefined);
    this.closed = new Promise((resolve) => conn.once("close", () => resolve()));
  }

  /** Connects: a clear error when there is no agent, or an agent of an older tslima (no ha.sock). */
  static open(paths: InstancePaths): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      const conn = connect(paths.haSock);
      conn.once("connect", () => resolve(new AgentConnection(paths, conn)));
      conn.once("error", (e: NodeJS.ErrnoException) => {
        const pid = readPidFile(paths.haPid);
        if (pid !== undefined && isAlive(pid) && e.code === "ENOENT") {
          reject(
            new TslimaError("AGENT_UNREACHABLE", `the host agent of ${paths.name} (pid ${pid}) has no control socket ${paths.haSock}: it was started by an older tslima`, {
              hint: `restart the instance with this tslima: tslima restart ${paths.name}`,
            }),
          );
        } else {
          reject(new TslimaError("NOT_RUNNING", `the host agent of ${paths.name} does not answer on ${paths.haSock} (${e.code ?? e.message}): it is not running`, { hint: `tslima list shows the instance's status; start it: tslima start ${paths.name}` }));
        }
      });
    });
  }

  /** Sends `req`; `onReply` gets each reply with its id until it returns true. */
  send(req: Body<ControlRequest>, onReply: (r: ControlReply) => boolean): number {
    const id = this.nextId++;
    this.waiting.set(id, (r) => {
      if (onReply(r)) this.waiting.delete(id);
    });
    this.conn.write(encode({ ...req, id }));
    return id;
  }

  /** Why the connection ended without a reply: a protocol problem, or the agent went away. */
  lost(what: string): TslimaError {
    if (this.problem !== undefined) return new TslimaError("AGENT_UNREACHABLE", `${what}: the host agent of ${this.paths.name} answered badly on ${this.paths.haSock}: ${this.problem}`, { hint: `see ${this.paths.haStderrLog}` });
    return new TslimaError("AGENT_UNREACHABLE", `${what}: the host agent of ${this.paths.name} ended before it answered`, { hint: `see ${this.paths.haStderrLog}; tslima list shows whether the instance still runs` });
  }

  close(): void {
    this.conn.destroy();
  }
}

/** Sends one request and waits for its final reply (not `event`); TIMEOUT after `timeoutMs`. */
async function call(paths: InstancePaths, req: Body<ControlRequest>, o: { timeoutMs: number; what: string; onEvent?: (e: AgentEvent) => void }): Promise<ControlReply> {
  const agent = await AgentConnection.open(paths);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<ControlReply>((resolve, reject) => {
      agent.send(req, (r) => {
        if (r.type === "event") {
          o.onEvent?.(r.event);
          return false;
        }
        resolve(r);
        return true;
      });
      void agent.closed.then(() => reject(agent.lost(o.what)));
      timer = setTimeout(() => reject(new TslimaError("TIMEOUT", `${o.what} did not finish within ${Math.round(o.timeoutMs / 1000)}s`, { hint: `see ${paths.haStderrLog}; tslima list shows whether the instance still runs` })), o.timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    agent.close();
  }
}

/**
 * Asks the running host agent for a suspend (it saves the VM and exits) or a booted snapshot into
 * `dir` (the VM runs on) and waits until it is done: the bytes of the saved state, or the agent's
 * own error (NOT_RUNNING when it is not ready or busy with another request). Progress events go
 * to `onEvent`. The caller holds the instance lock.
 */
export async function requestAgent(
  paths: InstancePaths,
  req: { type: "suspend" } | { type: "snapshot"; dir: string },
  o: { timeoutMs: number; what: string; onEvent?: (e: AgentEvent) => void },
): Promise<{ stateBytes: number }> {
  const r = await call(paths, { ...req, progress: o.onEvent !== undefined }, o);
  if (r.type === "done") return { stateBytes: r.stateBytes };
  if (r.type === "error") throw fromAgentError(r.error, `${o.what} failed`, `logs: ${paths.haStderrLog}`);
  throw new TslimaError("AGENT_UNREACHABLE", `${o.what}: the host agent answered ${r.type}`, { hint: "this is a bug in tslima" });
}

/** The running host agent's own status: ready, ssh port, pids, what it is doing. */
export async function agentStatus(paths: InstancePaths, o: { timeoutMs?: number } = {}): Promise<ControlStatus> {
  const what = `the status of ${paths.name}'s host agent`;
  const r = await call(paths, { type: "status" }, { timeoutMs: o.timeoutMs ?? 10_000, what });
  if (r.type === "status") return r.status;
  if (r.type === "error") throw fromAgentError(r.error, what);
  throw new TslimaError("AGENT_UNREACHABLE", `${what}: the host agent answered ${r.type}`, { hint: "this is a bug in tslima" });
}

export interface AgentEvents {
  /** The sequence number of the last event before the subscription. */
  seq: number;
  /** Resolves when the agent ends (or `close` is called). */
  closed: Promise<void>;
  close(): void;
}

/**
 * Subscribes to the agent's events: `onEvent` gets each as it is emitted (from `since` on, when
 * given: a `seq` seen before, 0 for all the agent keeps). Resolves once subscribed.
 */
export async function subscribeAgentEvents(paths: InstancePaths, o: { since?: number; onEvent: (e: AgentEvent, seq: number) => void; timeoutMs?: number }): Promise<AgentEvents> {
  const agent = await AgentConnection.open(paths);
  let timer: NodeJS.Timeout | undefined;
  try {
    const seq = await new Promise<number>((resolve, reject) => {
      agent.send({ type: "events", ...(o.since !== undefined ? { since: o.since } : {}) }, (r) => {
        if (r.type === "subscribed") resolve(r.seq);
        else if (r.type === "event") o.onEvent(r.event, r.seq);
        else if (r.type === "error") reject(fromAgentError(r.error, "subscribing to the agent's events"));
        return false;
      });
      void agent.closed.then(() => reject(agent.lost("subscribing to the agent's events")));
      timer = setTimeout(() => reject(new TslimaError("TIMEOUT", `the host agent of ${paths.name} did not answer within ${Math.round((o.timeoutMs ?? 10_000) / 1000)}s`, { hint: `see ${paths.haStderrLog}` })), o.timeoutMs ?? 10_000);
    });
    return { seq, closed: agent.closed, close: () => agent.close() };
  } catch (e) {
    agent.close();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
