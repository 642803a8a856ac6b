import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { dhcpReply, parseDhcp, ACK, DISCOVER, NAK, OFFER, REQUEST } from "../../../src/network/dhcp.js";
import { dnsAnswer, parseDnsQuery } from "../../../src/network/dns.js";
import { buildIpv4, buildUdp, inetChecksum, ipToNumber, parseIpv4, parseUdp, icmpEchoReply, macBytes, macString } from "../../../src/network/ether.js";
import { FrameReader, frameOf, MAX_FRAME } from "../../../src/network/frames.js";
import { hostRange, lease } from "../../../src/network/leases.js";
import { formatIPv4 as numberToIp } from "../../../src/network/ipv4.js";

const view = { gateway: "192.168.104.1", netmask: "255.255.255.0", leaseTime: 3600 };

/** A DHCP client message as networkd sends one (BOOTREQUEST, Ethernet, the magic cookie, options). */
function dhcpRequest(type: number, opts: { mac?: string; ciaddr?: string; requested?: string; server?: string } = {}): Buffer {
  const b = Buffer.alloc(240);
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  b.writeUInt32BE(0xdeadbeef, 4);
  Buffer.from((opts.ciaddr ?? "0.0.0.0").split(".").map(Number)).copy(b, 12);
  macBytes(opts.mac ?? "52:55:55:00:00:01").copy(b, 28);
  b.writeUInt32BE(0x63825363, 236);
  const o: number[] = [53, 1, type];
  if (opts.requested) o.push(50, 4, ...opts.requested.split(".").map(Number));
  if (opts.server) o.push(54, 4, ...opts.server.split(".").map(Number));
  o.push(255);
  return Buffer.concat([b, Buffer.from(o)]);
}

function replyType(p: Buffer): number {
  let i = 240;
  while (p[i] !== 53) i += 2 + p[i + 1]!;
  return p[i + 2]!;
}

test("DHCP: DISCOVER gets an OFFER of the port's lease, with mask and DNS but no router", () => {
  const req = parseDhcp(dhcpRequest(DISCOVER));
  assert.ok(req);
  const r = dhcpReply(req, "192.168.104.7", view);
  assert.ok(r);
  assert.equal(replyType(r.payload), OFFER);
  assert.equal([...r.payload.subarray(16, 20)].join("."), "192.168.104.7");
  assert.equal(r.dstIp, "255.255.255.255");
  const opts = r.payload.subarray(240);
  assert.ok(opts.includes(Buffer.from([1, 4, 255, 255, 255, 0])), "netmask");
  assert.ok(opts.includes(Buffer.from([6, 4, 192, 168, 104, 1])), "DNS: the gateway");
  let i = 0;
  const codes: number[] = [];
  while (opts[i] !== 255) {
    codes.push(opts[i]!);
    i += 2 + opts[i + 1]!;
  }
  assert.ok(!codes.includes(3), "no router: the default route stays on eth0");
});

test("DHCP: a REQUEST for the lease is ACKed, for another address NAKed, for another server ignored", () => {
  const ack = dhcpReply(parseDhcp(dhcpRequest(REQUEST, { requested: "192.168.104.7" }))!, "192.168.104.7", view);
  assert.equal(replyType(ack!.payload), ACK);
  const renew = dhcpReply(parseDhcp(dhcpRequest(REQUEST, { ciaddr: "192.168.104.7" }))!, "192.168.104.7", view);
  assert.equal(renew!.dstIp, "192.168.104.7", "a renewal is answered to the client's address");
  // a guest resumed from another instance's snapshot asks for that instance's address
  const nak = dhcpReply(parseDhcp(dhcpRequest(REQUEST, { requested: "192.168.104.2" }))!, "192.168.104.7", view);
  assert.equal(replyType(nak!.payload), NAK);
  assert.equal(dhcpReply(parseDhcp(dhcpRequest(REQUEST, { requested: "192.168.104.7", server: "10.0.0.1" }))!, "192.168.104.7", view), undefined);
});

test("DHCP: truncated or malformed messages are not parsed", () => {
  const good = dhcpRequest(DISCOVER);
  assert.equal(parseDhcp(good.subarray(0, 200)), undefined);
  const badLen = Buffer.concat([good.subarray(0, 240), Buffer.from([53, 9, 1])]);
  assert.equal(parseDhcp(badLen), undefined);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    parseDhcp(Buffer.from(bytes)); // never throws
  }));
});

function dnsQuery(name: string, qtype = 1): Buffer {
  const head = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
  return Buffer.concat([head, ...labels, Buffer.from([0, 0, qtype, 0, 1])]);
}

test("DNS: lima-NAME.internal is the instance's lease; unknown .internal names NXDOMAIN; others REFUSED", () => {
  const lookup = (n: string) => (n === "db" ? "192.168.104.3" : undefined);
  const a = dnsAnswer(parseDnsQuery(dnsQuery("lima-DB.internal"))!, lookup);
  assert.equal(a.readUInt16BE(0), 0x1234);
  assert.equal(a.readUInt16BE(2) & 15, 0);
  assert.equal(a.readUInt16BE(6), 1, "one answer");
  assert.deepEqual([...a.subarray(a.length - 4)], [192, 168, 104, 3]);
  const aaaa = dnsAnswer(parseDnsQuery(dnsQuery("lima-db.internal", 28))!, lookup);
  assert.equal(aaaa.readUInt16BE(2) & 15, 0, "NOERROR, no IPv6 address");
  assert.equal(aaaa.readUInt16BE(6), 0);
  assert.equal(dnsAnswer(parseDnsQuery(dnsQuery("lima-web.internal"))!, lookup).readUInt16BE(2) & 15, 3);
  assert.equal(dnsAnswer(parseDnsQuery(dnsQuery("deb.debian.org"))!, lookup).readUInt16BE(2) & 15, 5);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    const q = parseDnsQuery(Buffer.from(bytes));
    if (q) dnsAnswer(q, lookup);
  }));
});

test("IPv4/UDP: built packets parse back and carry valid checksums", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1400 }), fc.integer({ min: 1, max: 65535 }), (data, port) => {
    const udp = buildUdp("192.168.104.2", "192.168.104.3", port, 53, Buffer.from(data));
    const ip = buildIpv4("192.168.104.2", "192.168.104.3", 17, udp);
    assert.equal(inetChecksum(ip.subarray(0, 20)), 0);
    const p = parseIpv4(ip);
    assert.ok(p);
    assert.deepEqual(parseUdp(p.payload)?.payload, Buffer.from(data));
  }));
  assert.equal(parseIpv4(Buffer.from([0x45, 0, 0xff, 0xff, ...Array<number>(16).fill(0)])), undefined, "a total length past the buffer");
  const echo = Buffer.from([8, 0, 0, 0, 0, 1, 0, 1, 9, 9]);
  echo.writeUInt16BE(inetChecksum(echo), 2);
  const reply = icmpEchoReply(echo);
  assert.equal(reply?.[0], 0);
  assert.ok(reply);
  assert.equal(inetChecksum(reply), 0);
});

test("addresses and MACs round-trip", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => assert.equal(ipToNumber(numberToIp(n)), n)));
  assert.equal(macString(macBytes("52:55:55:AB:cd:0f"), 0), "52:55:55:ab:cd:0f");
  assert.throws(() => macBytes("52:55:55:ab:cd"));
});

test("frames: QEMU's length prefix, split anywhere; an impossible length is refused", () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 8 }), fc.integer({ min: 1, max: 50 }), (frames, step) => {
    const stream = Buffer.concat(frames.map((f) => frameOf(Buffer.from(f))));
    const r = new FrameReader();
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i += step) got.push(...r.push(stream.subarray(i, i + step)));
    assert.deepEqual(got.map((b) => [...b]), frames.map((f) => [...f]));
  }));
  const big = Buffer.alloc(4);
  big.writeUInt32BE(MAX_FRAME + 1);
  assert.throws(() => new FrameReader().push(big), /more than/);
});

test("leases: stable per instance, the lowest free address, taken back from instances gone when full", () => {
  const s = { gateway: "192.168.104.1", netmask: "255.255.255.0" };
  assert.deepEqual(hostRange(s).map(numberToIp), ["192.168.104.1", "192.168.104.254"]);
  const a = lease({}, "a", s, () => false)!;
  assert.equal(a.ip, "192.168.104.2");
  const b = lease(a.table, "b", s, () => false)!;
  assert.equal(b.ip, "192.168.104.3");
  assert.equal(lease(b.table, "a", s, () => false)!.ip, "192.168.104.2", "a keeps its address");
  const tiny = { gateway: "10.0.0.1", netmask: "255.255.255.252" }; // hosts .1 (gateway) and .2
  const t1 = lease({}, "x", tiny, () => false)!;
  assert.equal(lease(t1.table, "y", tiny, () => false), undefined, "full");
  assert.equal(lease(t1.table, "y", tiny, (n) => n === "x")!.ip, "10.0.0.2", "x's instance is gone: its address is taken back");
});
