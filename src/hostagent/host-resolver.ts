import { lookup } from "node:dns/promises";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readFileSync, statSync } from "node:fs";
import { createServer, isIP, type Server, type Socket } from "node:net";
import { dnsResponse, parseDnsQuery, CLASS_IN, NOERROR, SERVFAIL, TYPE_A, TYPE_AAAA, type DnsQuestion } from "../network/dns-message.js";
import { hostsEntry, resolvConfServers } from "./host-resolver-plan.js";

/**
 * Lima's host resolver (`hostResolver.enabled`, the default): a DNS server of the host agent on
 * 127.0.0.1 (UDP and TCP, one port), which the guest reaches as 192.168.5.2:PORT (QEMU's user network
 * maps it to the host's loopback; the guest's systemd-resolved is pointed at it by the host-resolver
 * readiness step). A and AAAA questions are answered as the host itself resolves the name (getaddrinfo:
 * /etc/hosts, nsswitch, the host's current DNS, a VPN's), or from hostResolver.hosts; AAAA is empty
 * unless hostResolver.ipv6. Every other question goes, as it came, to the nameservers of the host's
 * /etc/resolv.conf (read again when it changes).
 */

const MAX_IN_FLIGHT = 256;
const UPSTREAM_TIMEOUT_MS = 2000;

export interface HostResolverOptions {
  hosts: ReadonlyMap<string, string>;
  ipv6: boolean;
  log: (line: string) => void;
  /** Test seam: the host's lookup (default getaddrinfo through node:dns). */
  lookupAll?: (name: string) => Promise<string[]>;
}

async function systemLookup(name: string): Promise<string[]> {
  try {
    return (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

export class HostResolver {
  private inFlight = 0;
  private resolv = { mtimeMs: -1, servers: [] as string[] };

  private constructor(
    readonly port: number,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    private readonly o: HostResolverOptions,
  ) {}

  /** Listens on 127.0.0.1:`port` (UDP and TCP; 0 or a busy port: a free one) . */
  static async listen(port: number, o: HostResolverOptions): Promise<HostResolver> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const want = attempt === 0 ? port : 0;
      const udp = createSocket("udp4");
      const bound = await new Promise<number | undefined>((resolve) => {
        udp.once("error", () => resolve(undefined));
        udp.bind(want, "127.0.0.1", () => resolve(udp.address().port));
      });
      if (bound === undefined) {
        udp.close();
        continue;
      }
      const tcp = createServer();
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once("error", () => resolve(false));
        tcp.listen(bound, "127.0.0.1", () => resolve(true));
      });
      if (!ok) {
        udp.close();
        continue;
      }
      const r = new HostResolver(bound, udp, tcp, o);
      r.serve();
      return r;
    }
    throw new Error("no free port for the host resolver on 127.0.0.1");
  }

  private serve(): void {
    this.udp.on("message", (msg, rinfo) => {
      void this.handle(msg).then((reply) => reply && this.udp.send(reply, rinfo.port, rinfo.address));
    });
    this.udp.on("error", (e) => this.o.log(`host resolver (udp): ${e.message}`));
    this.tcp.on("connection", (c) => this.tcpClient(c));
  }

  private tcpClient(c: Socket): void {
    let buf = Buffer.alloc(0);
    c.setTimeout(10_000, () => c.destroy());
    c.on("error", () => undefined);
    c.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > 70_000) return void c.destroy();
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handle(msg).then((reply) => {
          if (!reply || c.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          c.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one message, or undefined (garbage, or too many in flight). */
  async handle(msg: Buffer): Promise<Buffer | undefined> {
    if (this.inFlight >= MAX_IN_FLIGHT) return undefined;
    this.inFlight++;
    try {
      const q = parseDnsQuery(msg);
      if (q === undefined) return msg.length >= 12 ? await this.forward(msg) : undefined;
      return (await this.answer(q)) ?? (await this.forward(msg)) ?? dnsResponse(q, SERVFAIL, [], { ra: true });
    } finally {
      this.inFlight--;
    }
  }

  private async answer(q: DnsQuestion): Promise<Buffer | undefined> {
    if (q.qclass !== CLASS_IN || (q.qtype !== TYPE_A && q.qtype !== TYPE_AAAA)) return undefined;
    const fam = q.qtype === TYPE_A ? 4 : 6;
    const entry = hostsEntry(this.o.hosts, q.name);
    if (fam === 6 && !this.o.ipv6) return dnsResponse(q, NOERROR, [], { ra: true });
    const all = entry && "ip" in entry ? [entry.ip] : await (this.o.lookupAll ?? systemLookup)(entry ? entry.name : q.name);
    const addrs = [...new Set(all.filter((a) => isIP(a) === fam))].slice(0, 16);
    if (addrs.length === 0 && entry === undefined && all.length === 0) return undefined; // unknown here: the host's DNS says why
    return dnsResponse(q, NOERROR, addrs, { ra: true });
  }

  private upstream(): string[] {
    try {
      const st = statSync("/etc/resolv.conf");
      if (st.mtimeMs !== this.resolv.mtimeMs) this.resolv = { mtimeMs: st.mtimeMs, servers: resolvConfServers(readFileSync("/etc/resolv.conf", "utf8")) };
    } catch {
      this.resolv = { mtimeMs: -1, servers: [] };
    }
    return this.resolv.servers;
  }

  /** The message as it came to the host's nameservers, in turn; their first answer. */
  private async forward(msg: Buffer): Promise<Buffer | undefined> {
    for (const server of this.upstream()) {
      const reply = await new Promise<Buffer | undefined>((resolve) => {
        const s = createSocket(isIP(server) === 6 ? "udp6" : "udp4");
        const done = (r: Buffer | undefined) => (clearTimeout(t), s.close(), resolve(r));
        const t = setTimeout(() => done(undefined), UPSTREAM_TIMEOUT_MS);
        s.once("error", () => done(undefined));
        s.once("message", (r) => done(r));
        s.send(msg, 53, server);
      });
      if (reply && reply.length >= 12 && reply.readUInt16BE(0) === msg.readUInt16BE(0)) return reply;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.tcp.close(() => r()));
    await new Promise<void>((r) => this.udp.close(() => r()));
  }
}
