import { isIP } from "node:net";

/**
 * What the host resolver answers from lima.yaml alone (hostResolver.hosts, Lima's rules): a name's
 * entry is an address, or another name (looked up in the entries again, then on the host). Pure.
 */

/** In the instance directory: the port the host resolver last had (reused when free, so the guest's config stays). */
export const HOST_RESOLVER_PORT_FILE = "host-resolver.port";

/** `host.lima.internal`: the host as the guest reaches it (QEMU's user network). */
export const HOST_LIMA_INTERNAL = "host.lima.internal";

/** The entries by lower-case name, with host.lima.internal unless the config names it. */
export function hostsTable(hosts: Readonly<Record<string, string>>, hostIp: string): Map<string, string> {
  const t = new Map<string, string>([[HOST_LIMA_INTERNAL, hostIp]]);
  for (const [k, v] of Object.entries(hosts)) t.set(k.toLowerCase().replace(/\.$/, ""), v.trim());
  return t;
}

/**
 * The entry for `name`: `{ ip }` when it (or the chain of names it points to, at most 8) ends at an
 * address, `{ name }` when it ends at a name the entries do not hold (to look up on the host), or
 * undefined when the entries do not hold `name`.
 */
export function hostsEntry(table: ReadonlyMap<string, string>, name: string): { ip: string } | { name: string } | undefined {
  let cur = name.toLowerCase().replace(/\.$/, "");
  if (!table.has(cur)) return undefined;
  for (let hops = 0; hops < 8; hops++) {
    const v = table.get(cur);
    if (v === undefined) return { name: cur };
    if (isIP(v) !== 0) return { ip: v };
    cur = v.toLowerCase().replace(/\.$/, "");
  }
  return { name: cur };
}

/** The nameservers of a resolv.conf text, in order (port 53). */
export function resolvConfServers(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((s): s is string => s !== undefined && isIP(s.replace(/%.*$/, "")) !== 0);
}
