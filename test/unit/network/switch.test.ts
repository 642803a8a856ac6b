import { test } from "node:test";
import assert from "node:assert/strict";
import { Switch, type Port } from "../../../src/network/switch.js";
import { buildArp, buildEth, buildIpv4, buildUdp, parseEth, parseIpv4, parseUdp, ETHERTYPE_ARP, ETHERTYPE_IPV4, IP_PROTO_UDP } from "../../../src/network/ether.js";

const GW_MAC = "5a:94:ef:00:00:01";
const leases: Record<string, string> = { a: "192.168.104.2", b: "192.168.104.3", c: "192.168.104.4" };

function rig() {
  const sw = new Switch({ gateway: "192.168.104.1", netmask: "255.255.255.0", gatewayMac: GW_MAC, leaseOf: (i) => leases[i] });
  const got = { a: [] as Buffer[], b: [] as Buffer[], c: [] as Buffer[] };
  const port = (instance: string, mac: string): Port => ({ instance, mac, send: (f) => got[instance as "a" | "b" | "c"].push(f) });
  const a = port("a", "52:55:55:00:00:0a");
  const b = port("b", "52:55:55:00:00:0b");
  const c = port("c", "52:55:55:00:00:0c");
  for (const p of [a, b, c]) sw.attach(p);
  return { sw, got, a, b, c };
}

const udpFrame = (src: Port, dstMac: string, srcIp: string, dstIp: string, dstPort: number, data = Buffer.from("hi")) =>
  buildEth(dstMac, src.mac, ETHERTYPE_IPV4, buildIpv4(srcIp, dstIp, IP_PROTO_UDP, buildUdp(srcIp, dstIp, 4000, dstPort, data)));

test("unicast goes to the destination's port only; broadcast to every other port", () => {
  const { sw, got, a, b } = rig();
  sw.receive(a, udpFrame(a, b.mac, "192.168.104.2", "192.168.104.3", 9000));
  assert.equal(got.b.length, 1);
  assert.equal(got.c.length, 0);
  const who = buildArp({ op: 1, senderMac: a.mac, senderIp: "192.168.104.2", targetMac: "00:00:00:00:00:00", targetIp: "192.168.104.3" });
  sw.receive(a, buildEth("ff:ff:ff:ff:ff:ff", a.mac, ETHERTYPE_ARP, who));
  assert.equal(got.b.length, 2);
  assert.equal(got.c.length, 1);
  assert.equal(got.a.length, 0, "never back to the sender");
});

test("a guest cannot pose as another: foreign source MAC, ARP sender or IPv4 source is dropped; IPv6 too", () => {
  const { sw, got, a, b } = rig();
  const spoofMac = { ...a, mac: "52:55:55:00:00:0c" };
  sw.receive(a, udpFrame(spoofMac, b.mac, "192.168.104.2", "192.168.104.3", 9000));
  sw.receive(a, udpFrame(a, b.mac, "192.168.104.4", "192.168.104.3", 9000));
  const arp = buildArp({ op: 2, senderMac: a.mac, senderIp: "192.168.104.4", targetMac: b.mac, targetIp: "192.168.104.3" });
  sw.receive(a, buildEth(b.mac, a.mac, ETHERTYPE_ARP, arp));
  sw.receive(a, buildEth(b.mac, a.mac, 0x86dd, Buffer.alloc(60)));
  sw.receive(a, Buffer.alloc(5));
  assert.equal(got.b.length, 0);
  assert.equal(sw.counters.dropped, 5);
});

test("the gateway answers ARP for itself and DNS for lima-NAME.internal of attached instances", () => {
  const { sw, got, a, c } = rig();
  const who = buildArp({ op: 1, senderMac: a.mac, senderIp: "192.168.104.2", targetMac: "00:00:00:00:00:00", targetIp: "192.168.104.1" });
  sw.receive(a, buildEth("ff:ff:ff:ff:ff:ff", a.mac, ETHERTYPE_ARP, who));
  const arpReply = got.a.at(-1)!;
  assert.equal(parseEth(arpReply)?.src, GW_MAC);
  const q = (name: string) => {
    const labels = name.split(".").flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    return Buffer.concat([Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  };
  sw.receive(a, udpFrame(a, GW_MAC, "192.168.104.2", "192.168.104.1", 53, q("lima-c.internal")));
  const answer = parseUdp(parseIpv4(parseEth(got.a.at(-1)!)!.payload)!.payload)!.payload;
  assert.deepEqual([...answer.subarray(answer.length - 4)], [192, 168, 104, 4]);
  sw.detach("c", c);
  sw.receive(a, udpFrame(a, GW_MAC, "192.168.104.2", "192.168.104.1", 53, q("lima-c.internal")));
  const gone = parseUdp(parseIpv4(parseEth(got.a.at(-1)!)!.payload)!.payload)!.payload;
  assert.equal(gone.readUInt16BE(2) & 15, 3, "a detached instance has no name");
});

test("a port attached again for the same instance replaces the old one", () => {
  const { sw, got, a } = rig();
  const b2: Port = { instance: "b", mac: "52:55:55:00:00:bb", send: (f) => got.b.push(f) };
  sw.attach(b2);
  sw.receive(a, udpFrame(a, "52:55:55:00:00:0b", "192.168.104.2", "192.168.104.3", 9000));
  assert.equal(got.b.length, 0, "the old MAC is gone");
  sw.receive(a, udpFrame(a, b2.mac, "192.168.104.2", "192.168.104.3", 9000));
  assert.equal(got.b.length, 1);
});
