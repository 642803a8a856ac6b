/**
 * The user-v2 gateway's DNS server: `lima-NAME.internal` is the address leased to instance NAME, as
 * Lima's user-v2 network names them. Only names under `internal.` are answered (the guest routes
 * only those here: its lima0 link has `Domains=~internal` and is no default DNS route); anything
 * else is REFUSED. Pure.
 */

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

const TYPE_A = 1;
const TYPE_ANY = 255;
const CLASS_IN = 1;

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
  const qtype = p.readUInt16BE(i + 1);
  const qclass = p.readUInt16BE(i + 3);
  return { id: p.readUInt16BE(0), flags, name: labels.join("."), qtype, qclass, raw: p.subarray(12, i + 5) };
}

const NOERROR = 0;
const NXDOMAIN = 3;
const REFUSED = 5;

/** The instance a name under internal. stands for: `lima-NAME.internal` → NAME. */
export function internalInstance(name: string): string | undefined {
  const m = /^lima-([^.]+)\.internal$/.exec(name);
  return m?.[1];
}

/** The response to `q`; `lookup` gives an instance's leased address. Pure. */
export function dnsAnswer(q: DnsQuestion, lookup: (instance: string) => string | undefined): Buffer {
  const internal = q.name === "internal" || q.name.endsWith(".internal");
  const instance = internalInstance(q.name);
  const ip = instance !== undefined ? lookup(instance) : undefined;
  const rcode = !internal ? REFUSED : ip === undefined ? NXDOMAIN : NOERROR;
  const answer = ip !== undefined && q.qclass === CLASS_IN && (q.qtype === TYPE_A || q.qtype === TYPE_ANY);
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  // QR, the query's opcode and RD, AA for our zone, RA off
  head.writeUInt16BE(0x8000 | (q.flags & 0x0100) | (internal ? 0x0400 : 0) | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(answer ? 1 : 0, 6);
  if (!answer) return Buffer.concat([head, q.raw]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // the question's name
  rr.writeUInt16BE(TYPE_A, 2);
  rr.writeUInt16BE(CLASS_IN, 4);
  rr.writeUInt32BE(5, 6); // TTL: addresses follow instances coming and going
  rr.writeUInt16BE(4, 10);
  ip.split(".").forEach((o, k) => (rr[12 + k] = Number(o)));
  return Buffer.concat([head, q.raw, rr]);
}
