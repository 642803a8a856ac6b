/**
 * One SFTP connection over a child's stdin/stdout (`ssh ... -s sftp`, or sftp-server itself): the
 * INIT/VERSION handshake, request ids with their pending replies (many in flight at once), and the
 * end: when the child dies, its output ends or it sends a malformed packet, every pending and later
 * request rejects with SftpError -1 saying so (the exit status and the child's last stderr line).
 */
import type { ChildProcess } from "node:child_process";
import { describeExit, startChild } from "../proc/child.js";
import { LineSplitter } from "../proc/tail.js";
import { CONNECTION_ENDED, printable, SftpError } from "./sftp-error.js";
import { decodeReply, encodePacket, FXP, PacketFramer, SftpPacketError, type Field, type Reply } from "./sftp-packet.js";

export interface SessionOptions {
  env?: NodeJS.ProcessEnv;
  /** Each line the child writes to stderr. */
  onStderr?: (line: string) => void;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: SftpError) => void;
  path: string | undefined;
}

const STDERR_LINES = 5;
/** How long a child whose stdout ended may take to exit before it is killed. */
const END_GRACE_MS = 2000;

/** Whether p settles within ms. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = await Promise.race([p.then(() => true), late]);
  clearTimeout(timer);
  return done;
}

export class SftpSession {
  private readonly framer = new PacketFramer();
  private readonly pending = new Map<number, Pending>();
  private readonly stderrTail: string[] = [];
  private nextId = 1;
  /** Why the connection ended; set once. */
  private ended: string | undefined;
  private handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private firstBytes: Buffer = Buffer.alloc(0);
  private closing: Promise<void> | undefined;
  /** Resolves on the child's close event: it exited and its pipes are read to their end. */
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly program: string,
    onStderr: ((line: string) => void) | undefined,
  ) {
    const lines = new LineSplitter(4096);
    const stderrLine = (line: string) => {
      if (line.trim() === "") return;
      this.stderrTail.push(printable(line));
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
      onStderr?.(line);
    };
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (s: string) => lines.push(s).forEach(stderrLine));
    child.stderr?.on("end", () => lines.push("\n").forEach(stderrLine));
    child.stdin?.on("error", () => {}); // EPIPE when the child is gone: its close event ends the session
    child.stdout?.on("data", (b: Buffer) => this.onData(b));
    child.stdout?.on("end", () => {
      setTimeout(() => this.fail("its output ended", true), END_GRACE_MS).unref();
    });
    child.on("error", (e) => this.fail(`could not be run: ${e.message}`, false));
    this.closed = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        this.fail(describeExit({ code, signal }), false);
        resolve();
      });
    });
  }

  /** Spawns argv and completes the handshake. */
  static async start(argv: readonly string[], opts: SessionOptions = {}): Promise<SftpSession> {
    const [command, ...args] = argv;
    if (command === undefined || command === "") throw new Error("SftpClient.open: argv is empty: give the program to run, e.g. [\"ssh\", \"-F\", CONFIG, HOST, \"-s\", \"sftp\"]");
    const child = startChild(command, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env });
    const s = new SftpSession(child, command, opts.onStderr);
    await new Promise<void>((resolve, reject) => {
      s.handshake = { resolve, reject };
      child.stdin?.write(encodePacket(FXP.INIT, [3]));
    });
    return s;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** Sends a request (its id is added first) and resolves with the reply to it. */
  request(type: number, fields: readonly Field[], path?: string): Promise<Reply> {
    if (this.ended !== undefined) return Promise.reject(this.endError(path));
    while (this.pending.has(this.nextId)) this.nextId = (this.nextId + 1) >>> 0;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, path });
      this.child.stdin?.write(encodePacket(type, [id, ...fields]));
    });
  }

  /**
   * Ends the session: pending requests reject, stdin closes, the child has 2 s to exit before
   * SIGKILL. Resolves once the child is gone and its stderr read (every line given to onStderr).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.fail("closed by the client", false);
      this.child.stdin?.end();
      if (!(await within(this.closed, END_GRACE_MS))) {
        this.kill();
        await within(this.closed, END_GRACE_MS);
      }
      this.release();
    })();
    return this.closing;
  }

  /** SIGKILL, and the pipes let go (a grandchild may hold them open, e.g. a login script's). */
  private kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    this.release();
  }

  private release(): void {
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  private endError(path?: string): SftpError {
    return new SftpError(CONNECTION_ENDED, `SFTP connection ended: ${this.ended ?? ""}`, path);
  }

  private fail(why: string, kill: boolean): void {
    if (this.ended !== undefined) return;
    const last = this.stderrTail.at(-1);
    this.ended = `${this.program} ${why}${last !== undefined ? `; its last stderr line: ${last}` : ""}`;
    if (kill) this.kill();
    const hs = this.handshake;
    if (hs) {
      this.handshake = undefined;
      const tail = this.stderrTail.length > 0 ? `; its stderr ends: ${this.stderrTail.join(" | ")}` : "";
      hs.reject(new SftpError(CONNECTION_ENDED, `SFTP connection could not start: ${this.program} ${why}${tail}`));
    }
    const err = this.endError();
    for (const p of this.pending.values()) p.reject(new SftpError(CONNECTION_ENDED, err.message, p.path));
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    if (this.ended !== undefined) return;
    if (this.handshake && this.firstBytes.length < 32) this.firstBytes = Buffer.concat([this.firstBytes, chunk]).subarray(0, 32);
    try {
      for (const body of this.framer.push(chunk)) {
        this.onPacket(decodeReply(body));
        if (this.ended !== undefined) return;
      }
    } catch (e) {
      if (!(e instanceof SftpPacketError)) throw e;
      this.fail(this.handshake ? this.notSftp(e.message) : `sent a malformed packet (${e.message}); the connection was closed`, true);
    }
  }

  private notSftp(detail: string): string {
    const start = JSON.stringify(printable(this.firstBytes.toString("latin1")));
    return `did not answer with SFTP (${detail}; its output starts ${start}: does a login script print to stdout?)`;
  }

  private onPacket(r: Reply): void {
    if (this.handshake) {
      if (r.type !== FXP.VERSION) return this.fail(this.notSftp(`its first packet is of type ${r.type}, not VERSION`), true);
      if (r.version !== 3) return this.fail(`speaks SFTP version ${r.version}, not 3`, true);
      const hs = this.handshake;
      this.handshake = undefined;
      return hs.resolve();
    }
    if (r.type === FXP.VERSION) return this.fail("sent a second VERSION packet; the connection was closed", true);
    const p = this.pending.get(r.id);
    if (!p) return this.fail(`answered request ${r.id}, which is not pending; the connection was closed`, true);
    this.pending.delete(r.id);
    p.resolve(r);
  }
}
