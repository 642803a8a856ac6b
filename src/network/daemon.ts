import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { writeFileAtomic } from "../store/atomic.js";
import { tryLock, type InstanceLock } from "../store/lock.js";
import { FrameReader, frameOf } from "./frames.js";
import { lease } from "./leases.js";
import { switchFiles } from "./paths.js";
import { parseSwitchRequest, type SwitchReply, type SwitchRequest } from "./protocol.js";
import { Switch, type Port } from "./switch.js";

/**
 * The switch daemon of one user-v2 network: a process of its own (network/switch-main.ts), started
 * by the first host agent whose instance is on the network (network/client.ts) and ending when no
 * instance has been attached for `idleMs`. It connects to each member's QEMU (`-netdev
 * stream,server=on`: QEMU listens and accepts again after a disconnect, so a daemon that dies and is
 * started again reconnects every member and the guests keep their addresses, kept in leases.json).
 */

export interface DaemonOptions {
  dir: string;
  /** TSLIMA_HOME: an instance without a directory there gives its address back when the subnet is full. */
  home: string;
  name: string;
  gateway: string;
  netmask: string;
  idleMs?: number;
  log?: (line: string) => void;
}

/** A guest that does not read is not waited for: frames to it are dropped past this much queued. */
const MAX_QUEUED = 4 * 1024 * 1024;

export function gatewayMac(network: string): string {
  const h = createHash("sha256").update(`tslima-user-v2-gateway:${network}`).digest();
  return ["5a", "94", "ef", h[0]!, h[1]!, h[2]!].map((b) => (typeof b === "number" ? b.toString(16).padStart(2, "0") : b)).join(":");
}

export class SwitchDaemon {
  private readonly files;
  private leases: Record<string, string> = {};
  private readonly sw: Switch;
  private readonly qemu = new Map<string, { socket: Socket; port: Port; path: string }>();
  private readonly clients = new Set<Socket>();
  private server?: Server;
  private lock?: InstanceLock;
  private idleSince = Date.now();
  private timer?: NodeJS.Timeout;
  private done!: () => void;
  readonly finished = new Promise<void>((r) => (this.done = r));

  constructor(private readonly opts: DaemonOptions) {
    this.files = switchFiles(opts.dir);
    this.sw = new Switch({ gateway: opts.gateway, netmask: opts.netmask, gatewayMac: gatewayMac(opts.name), leaseOf: (i) => this.leases[i] });
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`)))(line);
  }

  /** Takes the network's lock and listens; false when another daemon serves the network already. */
  async start(): Promise<boolean> {
    const lock = tryLock(this.files.pid);
    if (!("release" in lock)) return false;
    this.lock = lock;
    this.leases = this.readLeases();
    rmSync(this.files.sock, { force: true });
    const server = createServer((c) => this.client(c));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.files.sock, () => resolve());
    });
    this.timer = setInterval(() => this.checkIdle(), 1000);
    this.log(`network ${this.opts.name}: switch up (gateway ${this.opts.gateway}/${this.opts.netmask})`);
    return true;
  }

  private readLeases(): Record<string, string> {
    try {
      const v = JSON.parse(readFileSync(this.files.leases, "utf8")) as unknown;
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).flatMap(([k, ip]): Array<[string, string]> => (typeof ip === "string" ? [[k, ip]] : [])));
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") this.log(`leases.json unreadable, starting afresh: ${(e as Error).message}`);
    }
    return {};
  }

  private checkIdle(): void {
    if (this.qemu.size > 0 || this.clients.size > 0) this.idleSince = Date.now();
    else if (Date.now() - this.idleSince >= (this.opts.idleMs ?? 10_000)) void this.stop("no instance attached");
  }

  async stop(why: string): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.log(`network ${this.opts.name}: switch down (${why})`);
    for (const { socket } of this.qemu.values()) socket.destroy();
    for (const c of this.clients) c.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.files.sock, { force: true });
    this.lock?.release();
    this.done();
  }

  private client(c: Socket): void {
    this.clients.add(c);
    let buf = "";
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      buf += d;
      if (buf.length > 65536) return void c.destroy();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void this.handle(line).then((r) => c.write(`${JSON.stringify(r)}\n`));
      }
    });
    c.on("close", () => this.clients.delete(c));
    c.on("error", () => undefined);
  }

  private async handle(line: string): Promise<SwitchReply> {
    const req = parseSwitchRequest(line);
    if (typeof req === "string") return { ok: false, error: req };
    try {
      return await this.request(req);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  private base(): { ok: true; gateway: string; netmask: string; pid: number } {
    return { ok: true, gateway: this.opts.gateway, netmask: this.opts.netmask, pid: process.pid };
  }

  private async request(req: SwitchRequest): Promise<SwitchReply> {
    if (req.op === "status") {
      const ports = this.sw.ports().map((p) => ({ instance: p.instance, mac: p.mac, ip: this.leases[p.instance] ?? "" }));
      return { ...this.base(), ports };
    }
    if (req.op === "detach") {
      this.qemu.get(req.instance)?.socket.destroy();
      return this.base();
    }
    const ip = this.leaseFor(req.instance);
    const current = this.qemu.get(req.instance);
    if (current && current.path === req.socket && current.port.mac === req.mac && !current.socket.destroyed) return { ...this.base(), ip };
    current?.socket.destroy();
    await this.connectQemu(req.instance, req.socket, req.mac);
    return { ...this.base(), ip };
  }

  private leaseFor(instance: string): string {
    const r = lease(this.leases, instance, this.opts, (i) => !existsSync(join(this.opts.home, i)));
    if (!r) throw new Error(`network ${this.opts.name} has no free address left (${this.opts.gateway}/${this.opts.netmask})`);
    if (JSON.stringify(r.table) !== JSON.stringify(this.leases)) {
      this.leases = r.table;
      writeFileAtomic(this.files.leases, `${JSON.stringify(this.leases, null, 2)}\n`, 0o600);
    }
    return r.ip;
  }

  private connectQemu(instance: string, path: string, mac: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const reader = new FrameReader();
      const port: Port = {
        instance,
        mac,
        send: (frame) => {
          if (socket.writableLength < MAX_QUEUED) socket.write(frameOf(frame));
        },
      };
      socket.once("connect", () => {
        this.qemu.set(instance, { socket, port, path });
        this.sw.attach(port);
        this.log(`${instance}: attached (${mac}, ${this.leases[instance]})`);
        resolve();
      });
      socket.on("data", (chunk: Buffer) => {
        let frames: Buffer[];
        try {
          frames = reader.push(chunk);
        } catch (e) {
          this.log(`${instance}: ${(e as Error).message}; disconnecting`);
          return void socket.destroy();
        }
        for (const f of frames) this.sw.receive(port, f);
      });
      socket.on("error", (e) => reject(new Error(`cannot connect to ${instance}'s QEMU at ${path}: ${e.message}`)));
      socket.on("close", () => {
        this.sw.detach(instance, port);
        if (this.qemu.get(instance)?.socket === socket) {
          this.qemu.delete(instance);
          this.log(`${instance}: detached`);
        }
      });
    });
  }
}
