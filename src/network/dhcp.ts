import { ipBytes, ipString, macBytes, macString } from "./ether.js";

/**
 * The user-v2 switch's DHCP server (RFC 2131, the part a Linux client uses): the address is the
 * one leased to the switch port the request came in on (its instance), whatever the client asks
 * for, so a guest cannot take another's address. No router option: the guest's default route
 * stays on its user-mode NIC (eth0); the DNS server is the gateway, which answers `.internal`. Pure.
 */

const MAGIC = 0x63825363;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export const DISCOVER = 1;
export const OFFER = 2;
export const REQUEST = 3;
export const ACK = 5;
export const NAK = 6;

export interface DhcpRequest {
  type: number;
  xid: number;
  flags: number;
  ciaddr: string;
  chaddr: string;
  /** Option 50, the address asked for. */
  requestedIp?: string;
  /** Option 54: a REQUEST naming another server is not for us. */
  serverId?: string;
}

/** A BOOTREQUEST with Ethernet hardware addresses and a message type, or undefined. */
export function parseDhcp(p: Buffer): DhcpRequest | undefined {
  if (p.length < 240 || p[0] !== 1 || p[1] !== 1 || p[2] !== 6 || p.readUInt32BE(236) !== MAGIC) return undefined;
  const req: DhcpRequest = { type: 0, xid: p.readUInt32BE(4), flags: p.readUInt16BE(10), ciaddr: ipString(p, 12), chaddr: macString(p, 28) };
  let i = 240;
  while (i < p.length) {
    const code = p[i]!;
    if (code === 255) break;
    if (code === 0) {
      i++;
      continue;
    }
    if (i + 1 >= p.length) return undefined;
    const len = p[i + 1]!;
    const v = p.subarray(i + 2, i + 2 + len);
    if (v.length !== len) return undefined;
    if (code === 53 && len === 1) req.type = v[0]!;
    if (code === 50 && len === 4) req.requestedIp = ipString(v, 0);
    if (code === 54 && len === 4) req.serverId = ipString(v, 0);
    i += 2 + len;
  }
  return req.type === 0 ? undefined : req;
}

export interface DhcpServerView {
  gateway: string;
  netmask: string;
  /** Seconds. */
  leaseTime: number;
}

export interface DhcpReply {
  /** The BOOTP payload (UDP from 67 to 68). */
  payload: Buffer;
  /** Where to send it: the client's address when it has one (a renewal), else broadcast. */
  dstIp: string;
}

/**
 * The answer to `req` from a port whose lease is `leased`: OFFER to a DISCOVER, ACK to a REQUEST
 * for that address, NAK to a REQUEST for another (the client then starts over and gets this one).
 * Nothing for a REQUEST to another server, a RELEASE, DECLINE or INFORM. Pure.
 */
export function dhcpReply(req: DhcpRequest, leased: string, view: DhcpServerView): DhcpReply | undefined {
  if (req.serverId !== undefined && req.serverId !== view.gateway) return undefined;
  let type: number;
  if (req.type === DISCOVER) type = OFFER;
  else if (req.type === REQUEST) {
    const wanted = req.requestedIp ?? (req.ciaddr !== "0.0.0.0" ? req.ciaddr : undefined);
    type = wanted === leased ? ACK : NAK;
  } else return undefined;
  const head = Buffer.alloc(240);
  head[0] = 2;
  head[1] = 1;
  head[2] = 6;
  head.writeUInt32BE(req.xid, 4);
  head.writeUInt16BE(req.flags, 10);
  if (type !== NAK) {
    ipBytes(req.ciaddr).copy(head, 12);
    ipBytes(leased).copy(head, 16);
  }
  ipBytes(view.gateway).copy(head, 20);
  macBytes(req.chaddr).copy(head, 28);
  head.writeUInt32BE(MAGIC, 236);
  const opts: Buffer[] = [Buffer.from([53, 1, type]), Buffer.concat([Buffer.from([54, 4]), ipBytes(view.gateway)])];
  if (type !== NAK) {
    const time = Buffer.alloc(4);
    time.writeUInt32BE(view.leaseTime);
    opts.push(Buffer.concat([Buffer.from([51, 4]), time]));
    opts.push(Buffer.concat([Buffer.from([1, 4]), ipBytes(view.netmask)]));
    opts.push(Buffer.concat([Buffer.from([6, 4]), ipBytes(view.gateway)]));
  }
  opts.push(Buffer.from([255]));
  const dstIp = type !== NAK && req.ciaddr !== "0.0.0.0" ? req.ciaddr : "255.255.255.255";
  return { payload: Buffer.concat([head, ...opts]), dstIp };
}
