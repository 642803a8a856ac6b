import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_IP } from "../config/guest.js";
import { SwitchLink } from "../network/client.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";
import { isPort } from "../store/snapshot-record.js";
import type { Reporter } from "./agent-io.js";
import { HostResolver } from "./host-resolver.js";
import { HOST_RESOLVER_PORT_FILE, hostsTable } from "./host-resolver-plan.js";
import type { OnClose } from "./on-close.js";
import type { BootPlan } from "./plan.js";

/**
 * What the host agent serves the guest's networking with, besides QEMU: the host resolver's DNS
 * server and the links of user-v2 NICs to their networks' switches. Each registers its cleanup.
 */

/**
 * hostResolver: the DNS server the guest is pointed at (host-resolver.ts), started by gather (its port
 * goes into the cidata) on the port this instance had before when it is free (so the cidata, and a
 * light boot's guest, find it where it was), else another.
 */
export async function startHostResolver(hr: { hosts: Record<string, string>; ipv6: boolean }, paths: InstancePaths, onClose: OnClose, log: (m: string) => void): Promise<HostResolver> {
  const before = readHostResolverPort(paths.dir) ?? 0;
  const r = await HostResolver.listen(before, { hosts: hostsTable(hr.hosts, HOST_IP), ipv6: hr.ipv6, log });
  onClose.add("host resolver", () => r.close());
  if (r.port !== before) writeHostResolverPort(paths.dir, r.port);
  log(`host resolver on 127.0.0.1:${r.port} (udp, tcp)`);
  return r;
}

/** The port the instance's host resolver last had (HOST_RESOLVER_PORT_FILE in `dir`), if it is a port. */
export function readHostResolverPort(dir: string): number | undefined {
  const file = join(dir, HOST_RESOLVER_PORT_FILE);
  const port = Number(existsSync(file) ? readFileSync(file, "utf8").trim() : NaN);
  return isPort(port) ? port : undefined;
}

/** Records the host resolver's port in the instance directory `dir` (a clone's: the snapshot source's). */
export function writeHostResolverPort(dir: string, port: number): void {
  writeFileAtomic(join(dir, HOST_RESOLVER_PORT_FILE), `${port}\n`, 0o600);
}

export interface NetworkAgent {
  home: string;
  paths: InstancePaths;
  report: Reporter;
  onClose: OnClose;
  log: (m: string) => void;
}

/**
 * Attaches each user-v2 NIC to its network's switch (started when none runs; network/client.ts),
 * which then keeps the link: a switch that dies is started again and the NIC re-attached.
 */
export async function joinNetworks(plan: BootPlan, a: NetworkAgent): Promise<void> {
  for (const nic of plan.nics) {
    a.report.step("networks", `Attaching ${nic.interface} to network ${nic.network.name}`);
    const link = new SwitchLink(a.home, nic.network, { instance: a.paths.name, socket: nic.socket, mac: nic.mac }, a.log);
    a.onClose.add(`network ${nic.network.name}`, () => link.close());
    await link.open();
    a.log(`network ${nic.network.name}: ${nic.interface} attached, leased ${link.ip}`);
  }
}
