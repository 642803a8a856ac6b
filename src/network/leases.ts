import { ipToNumber } from "./ether.js";
import { broadcastOf, formatIPv4 as numberToIp, networkOf, prefixOf } from "./ipv4.js";

/**
 * Addresses of a user-v2 network, one per instance name, kept across restarts of the instance and
 * of the switch (the daemon stores them in leases.json). Pure.
 */

export interface Subnet {
  gateway: string;
  netmask: string;
}

/** The first and last host addresses of the subnet (network and broadcast excluded). */
export function hostRange(s: Subnet): [number, number] {
  const prefix = prefixOf(ipToNumber(s.netmask)) ?? 24;
  const gw = ipToNumber(s.gateway);
  return [networkOf(gw, prefix) + 1, broadcastOf(gw, prefix) - 1];
}

/** Whether `ip` is a host address of the subnet. */
export function inSubnet(s: Subnet, ip: string): boolean {
  const n = ipToNumber(ip);
  const [lo, hi] = hostRange(s);
  return n >= lo && n <= hi;
}

/**
 * The address for `instance`: its recorded one while valid, else the lowest free host address but
 * the gateway. When none is free, addresses of instances `gone` says no longer exist are taken back.
 * Returns the new table (the input is not changed), or undefined when the subnet is full.
 */
export function lease(
  table: Readonly<Record<string, string>>,
  instance: string,
  subnet: Subnet,
  gone: (instance: string) => boolean,
): { ip: string; table: Record<string, string> } | undefined {
  const own = table[instance];
  const gw = ipToNumber(subnet.gateway);
  if (own !== undefined && inSubnet(subnet, own) && ipToNumber(own) !== gw) return { ip: own, table: { ...table } };
  const pick = (t: Record<string, string>) => {
    const used = new Set(Object.entries(t).filter(([k]) => k !== instance).map(([, v]) => v));
    const [lo, hi] = hostRange(subnet);
    for (let n = lo; n <= hi; n++) {
      if (n !== gw && !used.has(numberToIp(n))) return numberToIp(n);
    }
    return undefined;
  };
  let next: Record<string, string> = { ...table };
  let ip = pick(next);
  if (ip === undefined) {
    next = Object.fromEntries(Object.entries(next).filter(([k]) => k === instance || !gone(k)));
    ip = pick(next);
  }
  if (ip === undefined) return undefined;
  next[instance] = ip;
  return { ip, table: next };
}
