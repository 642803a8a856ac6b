import { dhcpReply, parseDhcp, DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from "./dhcp.js";
import { dnsAnswer, parseDnsQuery } from "./dns.js";
import {
  BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, IP_PROTO_ICMP, IP_PROTO_UDP,
  buildArp, buildEth, buildIpv4, buildUdp, icmpEchoReply, parseArp, parseEth, parseIpv4, parseUdp,
} from "./ether.js";

/**
 * The user-v2 network's switch: one port per instance (its QEMU's NIC), forwarding by destination
 * MAC, and a gateway (ARP, ICMP echo, DHCP, DNS for `lima-NAME.internal`). Every port is pinned to
 * its instance's MAC and leased address: a frame with another source MAC, an ARP or IPv4 packet
 * from another address (but DHCP's 0.0.0.0), or another EtherType (IPv6 among them) is dropped, so a
 * guest cannot pose as another or reach past IPv4 to its neighbours. No I/O: ports are callbacks.
 */

export interface Port {
  instance: string;
  mac: string;
  send(frame: Buffer): void;
}

export interface SwitchView {
  gateway: string;
  netmask: string;
  gatewayMac: string;
  /** The instance's leased address (allocated when its port is attached). */
  leaseOf(instance: string): string | undefined;
}

export interface SwitchCounters {
  forwarded: number;
  dropped: number;
  gateway: number;
}

const LEASE_SECONDS = 3600;
const DNS_PORT = 53;

function isMulticast(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

export class Switch {
  private readonly byMac = new Map<string, Port>();
  private readonly byInstance = new Map<string, Port>();
  readonly counters: SwitchCounters = { forwarded: 0, dropped: 0, gateway: 0 };

  constructor(private readonly view: SwitchView) {}

  /** Adds a port, replacing the instance's previous one. */
  attach(port: Port): void {
    this.detach(port.instance);
    const other = this.byMac.get(port.mac);
    if (other) this.detach(other.instance);
    this.byInstance.set(port.instance, port);
    this.byMac.set(port.mac, port);
  }

  /** Removes the instance's port, if `port` is given only when it is that one. */
  detach(instance: string, port?: Port): void {
    const p = this.byInstance.get(instance);
    if (!p || (port && p !== port)) return;
    this.byInstance.delete(instance);
    if (this.byMac.get(p.mac) === p) this.byMac.delete(p.mac);
  }

  ports(): Port[] {
    return [...this.byInstance.values()];
  }

  /** A frame from `from`'s guest. */
  receive(from: Port, frame: Buffer): void {
    const eth = parseEth(frame);
    if (!eth || eth.src !== from.mac || this.byInstance.get(from.instance) !== from) return this.drop();
    const own = this.view.leaseOf(from.instance);
    if (eth.type === ETHERTYPE_ARP) {
      const arp = parseArp(eth.payload);
      if (!arp || arp.senderMac !== from.mac || (arp.senderIp !== own && arp.senderIp !== "0.0.0.0")) return this.drop();
      if (arp.op === 1 && arp.targetIp === this.view.gateway) {
        this.counters.gateway++;
        const reply = buildArp({ op: 2, senderMac: this.view.gatewayMac, senderIp: this.view.gateway, targetMac: from.mac, targetIp: arp.senderIp });
        return from.send(buildEth(from.mac, this.view.gatewayMac, ETHERTYPE_ARP, reply));
      }
      return this.forward(from, eth.dst, frame);
    }
    if (eth.type !== ETHERTYPE_IPV4) return this.drop();
    const ip = parseIpv4(eth.payload);
    if (!ip) return this.drop();
    const udp = ip.proto === IP_PROTO_UDP && !ip.fragmented ? parseUdp(ip.payload) : undefined;
    const dhcp = udp?.dstPort === DHCP_SERVER_PORT;
    if (ip.src !== own && !(ip.src === "0.0.0.0" && dhcp)) return this.drop();
    if (dhcp && (ip.dst === this.view.gateway || ip.dst === "255.255.255.255")) return this.dhcp(from, udp.payload);
    if (ip.dst === this.view.gateway) return this.toGateway(from, ip.src, ip.proto, ip.payload, udp);
    return this.forward(from, eth.dst, frame);
  }

  private drop(): void {
    this.counters.dropped++;
  }

  private forward(from: Port, dst: string, frame: Buffer): void {
    if (dst === BROADCAST_MAC || isMulticast(dst)) {
      for (const p of this.byInstance.values()) if (p !== from) p.send(frame);
      this.counters.forwarded++;
      return;
    }
    const to = this.byMac.get(dst);
    if (!to || to === from) return this.drop();
    this.counters.forwarded++;
    to.send(frame);
  }

  private reply(to: Port, dstIp: string, proto: number, payload: Buffer): void {
    this.counters.gateway++;
    to.send(buildEth(to.mac, this.view.gatewayMac, ETHERTYPE_IPV4, buildIpv4(this.view.gateway, dstIp, proto, payload)));
  }

  private dhcp(from: Port, payload: Buffer): void {
    const req = parseDhcp(payload);
    const leased = this.view.leaseOf(from.instance);
    if (!req || req.chaddr !== from.mac || leased === undefined) return this.drop();
    const r = dhcpReply(req, leased, { gateway: this.view.gateway, netmask: this.view.netmask, leaseTime: LEASE_SECONDS });
    if (!r) return;
    this.reply(from, r.dstIp, IP_PROTO_UDP, buildUdp(this.view.gateway, r.dstIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, r.payload));
  }

  private toGateway(from: Port, src: string, proto: number, payload: Buffer, udp: ReturnType<typeof parseUdp>): void {
    if (proto === IP_PROTO_ICMP) {
      const echo = icmpEchoReply(payload);
      return echo ? this.reply(from, src, IP_PROTO_ICMP, echo) : this.drop();
    }
    if (udp?.dstPort === DNS_PORT) {
      const q = parseDnsQuery(udp.payload);
      if (!q) return this.drop();
      const answer = dnsAnswer(q, (name) => (this.byInstance.has(name) ? this.view.leaseOf(name) : undefined));
      return this.reply(from, src, IP_PROTO_UDP, buildUdp(this.view.gateway, src, DNS_PORT, udp.srcPort, answer));
    }
    this.drop();
  }
}
