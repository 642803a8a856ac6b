/**
 * The host agent's control socket, `<instance>/ha.sock` (Lima's idea of ha.sock; the protocol is in
 * store/control-protocol.ts): `status`, `suspend`, `snapshot {dir}` and `events {since?}`. The agent
 * gives it three handlers and every event it emits (`publish`); nothing here knows how a suspend
 * is done. A subscriber that reads too slowly (more than MAX_QUEUED_BYTES unread) or goes away is
 * dropped: the agent never waits for a client.
 */
import { chmodSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { checkSocketPath } from "../qemu/index.js";
import type { AgentEvent, AgentEventBody, AgentStatus } from "../store/events.js";
import { toAgentError } from "../store/agent-error.js";
import { activityAfter, decodeRequest, encode, takeLines, type Activity, type ControlReply, type ControlRequest, type ControlStatus } from "../store/control-protocol.js";

export interface ControlHandlers {
  status(): { status: AgentStatus; qemuPid?: number };
  /** Resolve when done, or throw the agent's error (a refusal: NOT_RUNNING when not ready or busy). */
  suspend(): Promise<{ stateBytes: number }>;
  snapshot(dir: string): Promise<{ stateBytes: number }>;
}

/** Unread bytes a client may leave queued before it is dropped. */
export const MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Events kept for `events {since}`. */
const KEPT_EVENTS = 1000;

interface Subscription {
  conn: Socket;
  id: number;
}

export class ControlServer {
  private readonly conns = new Set<Socket>();
  private readonly subs = new Set<Subscription>();
  private readonly kept: Array<{ seq: number; event: AgentEvent }> = [];
  private seq = 0;
  private activity: Activity = "starting";
  private step: string | undefined;
  private readonly unlinkAtExit = () => rmSync(this.path, { force: true });

  private constructor(
    private readonly server: Server,
    private readonly path: string,
    private readonly handlers: ControlHandlers,
  ) {
    server.on("connection", (c) => this.accept(c));
    server.unref(); // the agent's own work keeps it alive, not a listener left by a crash
    process.once("exit", this.unlinkAtExit);
  }

  /**
   * Listens on `path` (0600; a stale socket there is removed: the caller holds the instance's pid
   * file). SOCKET_PATH_TOO_LONG when the path does not fit a unix socket address.
   */
  static async listen(path: string, handlers: ControlHandlers): Promise<ControlServer> {
    checkSocketPath(path, "the host agent's control socket");
    rmSync(path, { force: true });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    return new ControlServer(server, path, handlers);
  }

  /** Every event the agent emits, in order: kept for `since`, sent to subscribers. */
  publish(e: { status: AgentStatus } & AgentEventBody, now: Date = new Date()): void {
    const event: AgentEvent = { time: now.toISOString(), ...e };
    this.activity = activityAfter(this.activity, e);
    if (e.kind === "step") this.step = e.step;
    const seq = ++this.seq;
    this.kept.push({ seq, event });
    if (this.kept.length > KEPT_EVENTS) this.kept.shift();
    for (const s of this.subs) this.send(s.conn, { id: s.id, type: "event", seq, event });
  }

  /** Stops listening, lets queued replies go out (at most `graceMs`), removes the socket file. */
  async close(graceMs = 2000): Promise<void> {
    this.server.close();
    const ends = [...this.conns].map((c) => new Promise<void>((resolve) => (c.destroyed ? resolve() : (c.once("close", () => resolve()), c.end()))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ends), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const c of this.conns) c.destroy();
    this.unlinkAtExit();
    process.off("exit", this.unlinkAtExit);
  }

  private accept(conn: Socket): void {
    this.conns.add(conn);
    conn.setEncoding("utf8");
    let buffered = "";
    conn.on("data", (chunk: string) => {
      const { lines, rest, overflow } = takeLines(buffered + chunk);
      buffered = rest;
      for (const line of lines) this.handle(conn, line);
      if (overflow) {
        this.send(conn, { id: null, type: "error", error: { code: "CONTROL_REQUEST", message: "a request line is too long; the connection is closed" } });
        conn.end();
        buffered = "";
      }
    });
    conn.on("error", () => undefined);
    conn.on("close", () => {
      this.conns.delete(conn);
      for (const s of this.subs) if (s.conn === conn) this.subs.delete(s);
    });
  }

  private send(conn: Socket, m: ControlReply): void {
    if (conn.destroyed || !conn.writable) return;
    conn.write(encode(m));
    if (conn.writableLength > MAX_QUEUED_BYTES) conn.destroy(); // a subscriber that does not read
  }

  private handle(conn: Socket, line: string): void {
    const req = decodeRequest(line);
    if ("problem" in req) {
      this.send(conn, { id: req.id, type: "error", error: { code: "CONTROL_REQUEST", message: req.problem } });
      return;
    }
    switch (req.type) {
      case "status":
        this.send(conn, { id: req.id, type: "status", status: this.status() });
        return;
      case "events": {
        this.send(conn, { id: req.id, type: "subscribed", seq: this.seq });
        if (req.since !== undefined) for (const k of this.kept) if (k.seq > req.since) this.send(conn, { id: req.id, type: "event", seq: k.seq, event: k.event });
        this.subs.add({ conn, id: req.id });
        return;
      }
      case "suspend":
      case "snapshot":
        void this.run(conn, req);
    }
  }

  private async run(conn: Socket, req: Extract<ControlRequest, { type: "suspend" | "snapshot" }>): Promise<void> {
    const sub = { conn, id: req.id };
    if (req.progress === true) this.subs.add(sub);
    try {
      const done = await (req.type === "suspend" ? this.handlers.suspend() : this.handlers.snapshot(req.dir));
      this.subs.delete(sub);
      this.send(conn, { id: req.id, type: "done", stateBytes: done.stateBytes });
    } catch (e) {
      this.subs.delete(sub);
      this.send(conn, { id: req.id, type: "error", error: toAgentError(e) });
    }
  }

  private status(): ControlStatus {
    const { status, qemuPid } = this.handlers.status();
    return {
      ...status,
      pid: process.pid,
      ...(qemuPid !== undefined ? { qemuPid } : {}),
      activity: this.activity,
      ...(this.step !== undefined ? { step: this.step } : {}),
    };
  }
}
