import { connect, type Socket } from "node:net";
import { TslimaError } from "../errors.js";
import { Deadline, poll } from "../proc/wait.js";

export interface QmpEvent {
  event: string;
  data?: unknown;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface QmpConnectOptions {
  /** Give up after this long (connecting, greeting and capabilities negotiation). Default 10s. */
  timeoutMs?: number;
  /** Keep retrying while the socket does not exist or refuses (QEMU still starting). Default false. */
  retry?: boolean;
  /** Default timeout of execute(). Default 30s. */
  commandTimeoutMs?: number;
}

/** A QMP error reply: `class` is QEMU's error class (e.g. "CommandNotFound"). */
export class QmpError extends TslimaError {
  readonly errorClass: string;
  constructor(command: string, errorClass: string, desc: string) {
    super("QMP_ERROR", `QMP ${command} failed: ${errorClass}: ${desc}`, { hint: "see serial.log and ha.stderr.log of the instance" });
    this.errorClass = errorClass;
  }
}

/**
 * A client for QEMU's machine protocol over a unix socket: reads the greeting, negotiates
 * capabilities, then runs commands (matched to replies by id) and delivers asynchronous events.
 */
export class QmpClient {
  /** QEMU's version from the greeting, e.g. { qemu: { major: 7, minor: 2, micro: 0 }, package: "..." }. */
  greeting: unknown;
  private buf = "";
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private closedError: Error | undefined;
  private lineWaiter: { resolve: (msg: Record<string, unknown>) => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly path: string,
    private readonly commandTimeoutMs: number,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.onData(chunk));
    socket.on("error", (e) => this.fail(new TslimaError("QMP_CLOSED", `QMP connection ${path} failed: ${e.message}`)));
    socket.on("close", () => this.fail(new TslimaError("QMP_CLOSED", `QMP connection ${path} was closed (QEMU exited?)`)));
  }

  /** Connects, waits for the greeting and enters command mode. */
  static async connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const deadline = new Deadline(timeoutMs);
    const cannot = (e: unknown) =>
      new TslimaError("QMP_CONNECT", `cannot connect to QMP socket ${path}: ${(e as Error).message}`, { hint: "is the instance running? see `tslima list`" });
    let lastError: unknown;
    const socket = await poll(
      async () => {
        try {
          return await openSocket(path, Math.max(1, deadline.remaining()));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (!opts.retry || (code !== "ENOENT" && code !== "ECONNREFUSED")) throw cannot(e);
          lastError = e;
          return undefined;
        }
      },
      { timeoutMs, intervalMs: 100 },
    );
    if (socket === undefined) throw cannot(lastError);
    const client = new QmpClient(socket, path, opts.commandTimeoutMs ?? 30_000);
    try {
      const greeting = await client.nextMessage(Math.max(1, deadline.remaining()));
      if (!("QMP" in greeting)) throw new TslimaError("QMP_PROTOCOL", `${path} did not greet with QMP: ${JSON.stringify(greeting)}`);
      client.greeting = (greeting.QMP as { version?: unknown }).version;
      await client.execute("qmp_capabilities", undefined, Math.max(1, deadline.remaining()));
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  /** Runs a command; resolves with its `return` value, rejects with QmpError on an `error` reply. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = this.commandTimeoutMs): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = `tslima-${this.nextId++}`;
    const msg: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) msg.arguments = args;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TslimaError("QMP_TIMEOUT", `QMP ${command} got no reply within ${Math.round(timeoutMs / 1000)}s`, { hint: "QEMU may be hung; stop it with `tslima stop -f`" }));
      }, timeoutMs);
      this.pending.set(id, { command, resolve, reject, timer });
      this.socket.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the next event named `name` (e.g. "SHUTDOWN"), or rejects after `timeoutMs`. */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new TslimaError("QMP_TIMEOUT", `no QMP ${name} event within ${Math.round(timeoutMs / 1000)}s`));
      }, timeoutMs);
      const off = this.onEvent((e) => {
        if (e.event !== name) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }

  /** Closes the connection; pending commands are rejected. */
  close(): void {
    this.fail(new TslimaError("QMP_CLOSED", `QMP connection ${this.path} was closed`));
    this.socket.destroy();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private nextMessage(timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lineWaiter = undefined;
        reject(new TslimaError("QMP_TIMEOUT", `no QMP greeting on ${this.path} within ${Math.round(timeoutMs / 1000)}s`));
      }, timeoutMs);
      this.lineWaiter = {
        resolve: (msg) => {
          clearTimeout(timer);
          resolve(msg);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line === "") continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.fail(new TslimaError("QMP_PROTOCOL", `QMP ${this.path} sent a line that is not JSON: ${line.slice(0, 200)}`));
        this.socket.destroy();
        return;
      }
      this.dispatch(msg);
    }
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (this.lineWaiter) {
      const w = this.lineWaiter;
      this.lineWaiter = undefined;
      w.resolve(msg);
      return;
    }
    if (typeof msg.event === "string") {
      for (const l of [...this.listeners]) l(msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === "string" ? msg.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return; // a reply to nothing we asked: ignored
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ("error" in msg) {
      const err = (msg.error ?? {}) as { class?: unknown; desc?: unknown };
      p.reject(new QmpError(p.command, typeof err.class === "string" ? err.class : "GenericError", typeof err.desc === "string" ? err.desc : JSON.stringify(err.desc ?? "")));
    } else {
      p.resolve(msg.return);
    }
  }

  private fail(e: Error): void {
    if (this.closedError) return;
    this.closedError = e;
    if (this.lineWaiter) {
      const w = this.lineWaiter;
      this.lineWaiter = undefined;
      w.reject(e);
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`timed out after ${timeoutMs}ms`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Asks the guest to power off (QMP system_powerdown = the ACPI power button). False when QMP is unreachable. */
export async function qmpPowerdown(socketPath: string): Promise<boolean> {
  try {
    const qmp = await QmpClient.connect(socketPath);
    try {
      await qmp.execute("system_powerdown");
    } finally {
      qmp.close();
    }
    return true;
  } catch {
    return false;
  }
}
