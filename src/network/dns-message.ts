import { ipBytes } from "./ether.js";

/**
 * DNS messages as tslima's two small servers answer them (the user-v2 gateway, network/dns.ts; the
 * host resolver, hostagent/host-resolver.ts): a standard query with one question, and a response
 * carrying A/AAAA records for it. Pure.
 */

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
export const NOERROR = 0;
export const SERVFAIL = 2;
export const NXDOMAIN = 3;
export const REFUSED = 5;

export interface DnsQuestion {
  id: number;
  flags: number;
  /** Lower case, without the trailing dot. */
  name: string;
  qtype: number;
  qclass: number;
  /** The question section as received, for the answer. */
  raw: Buffer;
}

/** A standard query with exactly one question, or undefined. */
export function parseDnsQuery(p: Buffer): DnsQuestion | undefined {
  if (p.length < 12) return undefined;
  const flags = p.readUInt16BE(2);
  if ((flags & 0x8000) !== 0 || ((flags >> 11) & 15) !== 0 || p.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let i = 12;
  for (;;) {
    if (i >= p.length) return undefined;
    const len = p[i]!;
    if (len === 0) break;
    if (len > 63 || i + 1 + len > p.length) return undefined; // no compression in a question we accept
    labels.push(p.subarray(i + 1, i + 1 + len).toString("latin1").toLowerCase());
    i += 1 + len;
  }
  if (i + 5 > p.length) return undefined;
  return { id: p.readUInt16BE(0), flags, name: labels.join("."), qtype: p.readUInt16BE(i + 1), qclass: p.readUInt16BE(i + 3), raw: p.subarray(12, i + 5) };
}

/**
 * The response to `q` with `rcode` and the addresses of the question's name (each an A or AAAA
 * record by its form), TTL `ttl`; `authoritative` sets AA. Recursion is available (RA) when `ra`.
 */
export function dnsResponse(q: DnsQuestion, rcode: number, addresses: readonly string[], o: { authoritative?: boolean; ra?: boolean; ttl?: number } = {}): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8000 | (q.flags & 0x0100) | (o.authoritative ? 0x0400 : 0) | (o.ra ? 0x0080 : 0) | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((ip) => {
    const v6 = ip.includes(":");
    const data = v6 ? ipv6Bytes(ip) : ipBytes(ip);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the question's name
    rr.writeUInt16BE(v6 ? TYPE_AAAA : TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(o.ttl ?? 5, 6);
    rr.writeUInt16BE(data.length, 10);
    return Buffer.concat([rr, data]);
  });
  return Buffer.concat([head, q.raw, ...records]);
}

/** The 16 bytes of an IPv6 address in any textual form (:: and an embedded IPv4 tail included). */
export function ipv6Bytes(ip: string): Buffer {
  let text = ip;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail.push(...ipBytes(v4[1]!));
    text = `${text.slice(0, v4.index)}0:0`;
  }
  const [left, right] = text.includes("::") ? text.split("::") : [text, undefined];
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = groups(right);
  const all = right === undefined ? l : [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`not an IPv6 address: ${ip}`);
  const out = Buffer.alloc(16);
  all.forEach((g, k) => out.writeUInt16BE(g, k * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}
