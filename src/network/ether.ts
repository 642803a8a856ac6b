import { formatIPv4, parseIPv4 } from "./ipv4.js";

/**
 * Ethernet, ARP, IPv4, UDP and ICMP framing for the user-v2 switch (network/switch.ts): parsing that
 * never trusts a length a guest wrote, and building with correct checksums. Pure.
 */

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_UDP = 17;
export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";

/** "52:55:55:01:02:03" from 6 bytes at `off`. */
export function macString(b: Buffer, off: number): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i]!.toString(16).padStart(2, "0"));
  return out.join(":");
}

/** The 6 bytes of a MAC written as colon- or dash-separated hex. */
export function macBytes(mac: string): Buffer {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${mac}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** Dotted quad to a 32-bit unsigned number (ipv4.ts), throwing on anything else (our own addresses only). */
export function ipToNumber(ip: string): number {
  const n = parseIPv4(ip);
  if (n === undefined) throw new Error(`not an IPv4 address: ${ip}`);
  return n;
}

export function ipBytes(ip: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(ipToNumber(ip));
  return b;
}

export function ipString(b: Buffer, off: number): string {
  return formatIPv4(b.readUInt32BE(off));
}

/** The Internet checksum (RFC 1071) of `b`, with `initial` (a pseudo-header's sum) added. */
export function inetChecksum(b: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface EthFrame {
  dst: string;
  src: string;
  type: number;
  payload: Buffer;
}

/** The Ethernet header of a frame, or undefined for one shorter than a header. */
export function parseEth(frame: Buffer): EthFrame | undefined {
  if (frame.length < ETH_HEADER) return undefined;
  return { dst: macString(frame, 0), src: macString(frame, 6), type: frame.readUInt16BE(12), payload: frame.subarray(ETH_HEADER) };
}

export function buildEth(dst: string, src: string, type: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(ETH_HEADER);
  macBytes(dst).copy(head, 0);
  macBytes(src).copy(head, 6);
  head.writeUInt16BE(type, 12);
  return Buffer.concat([head, payload]);
}

export interface Arp {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** An Ethernet/IPv4 ARP packet, or undefined. */
export function parseArp(p: Buffer): Arp | undefined {
  if (p.length < 28 || p.readUInt16BE(0) !== 1 || p.readUInt16BE(2) !== ETHERTYPE_IPV4 || p[4] !== 6 || p[5] !== 4) return undefined;
  return { op: p.readUInt16BE(6), senderMac: macString(p, 8), senderIp: ipString(p, 14), targetMac: macString(p, 18), targetIp: ipString(p, 24) };
}

export function buildArp(a: Arp): Buffer {
  const p = Buffer.alloc(28);
  p.writeUInt16BE(1, 0);
  p.writeUInt16BE(ETHERTYPE_IPV4, 2);
  p[4] = 6;
  p[5] = 4;
  p.writeUInt16BE(a.op, 6);
  macBytes(a.senderMac).copy(p, 8);
  ipBytes(a.senderIp).copy(p, 14);
  macBytes(a.targetMac).copy(p, 18);
  ipBytes(a.targetIp).copy(p, 24);
  return p;
}

export interface Ipv4 {
  src: string;
  dst: string;
  proto: number;
  ttl: number;
  /** The payload as the header's total length says (never past the buffer). */
  payload: Buffer;
  fragmented: boolean;
}

/** An IPv4 packet, or undefined when its header is malformed or its lengths do not fit. */
export function parseIpv4(p: Buffer): Ipv4 | undefined {
  if (p.length < 20 || p[0]! >> 4 !== 4) return undefined;
  const ihl = (p[0]! & 15) * 4;
  const total = p.readUInt16BE(2);
  if (ihl < 20 || total < ihl || total > p.length) return undefined;
  const flagsFrag = p.readUInt16BE(6);
  return {
    src: ipString(p, 12),
    dst: ipString(p, 16),
    proto: p[9]!,
    ttl: p[8]!,
    payload: p.subarray(ihl, total),
    fragmented: (flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0,
  };
}

export function buildIpv4(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(0x4000, 6); // don't fragment
  h[8] = 64;
  h[9] = proto;
  ipBytes(src).copy(h, 12);
  ipBytes(dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

export interface Udp {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export function parseUdp(p: Buffer): Udp | undefined {
  if (p.length < 8) return undefined;
  const len = p.readUInt16BE(4);
  if (len < 8 || len > p.length) return undefined;
  return { srcPort: p.readUInt16BE(0), dstPort: p.readUInt16BE(2), payload: p.subarray(8, len) };
}

/** A UDP datagram with its checksum over the IPv4 pseudo-header. */
export function buildUdp(src: string, dst: string, srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const u = Buffer.alloc(8);
  u.writeUInt16BE(srcPort, 0);
  u.writeUInt16BE(dstPort, 2);
  u.writeUInt16BE(8 + payload.length, 4);
  const datagram = Buffer.concat([u, payload]);
  const pseudo = Buffer.concat([ipBytes(src), ipBytes(dst), Buffer.from([0, IP_PROTO_UDP]), Buffer.from([(datagram.length >> 8) & 255, datagram.length & 255])]);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += pseudo.readUInt16BE(i);
  const c = inetChecksum(datagram, sum);
  datagram.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  return datagram;
}

/** An ICMP echo reply to an echo request (type 8), or undefined for anything else. */
export function icmpEchoReply(p: Buffer): Buffer | undefined {
  if (p.length < 8 || p[0] !== 8 || p[1] !== 0) return undefined;
  const r = Buffer.from(p);
  r[0] = 0;
  r.writeUInt16BE(0, 2);
  r.writeUInt16BE(inetChecksum(r), 2);
  return r;
}
