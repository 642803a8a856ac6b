import { shQuote } from "./shell.js";

/**
 * The guest side of the host resolver (hostagent/host-resolver.ts): a systemd-resolved drop-in that
 * makes HOST_IP:PORT the DNS server for every name (`~.`); the user-mode NIC's own DNS (QEMU's,
 * 192.168.5.3) stays configured, unused. Pure.
 */

export const HOST_RESOLVER_DROP_IN = "/etc/systemd/resolved.conf.d/tslima-host-resolver.conf";

/** The drop-in's text (without the final newline, as `$(cat FILE)` reads it). */
export function hostResolverDropIn(hostIp: string, port: number): string {
  return `[Resolve]\nDNS=${hostIp}:${port}\nDomains=~.`;
}

/**
 * The bootcmd of a full boot (as root, before cloud-init's later stages fetch anything): the drop-in
 * written and resolved restarted to read it. A light boot's resolved reads it as it starts.
 */
export function hostResolverBootCommand(hostIp: string, port: number): string {
  const dir = HOST_RESOLVER_DROP_IN.slice(0, HOST_RESOLVER_DROP_IN.lastIndexOf("/"));
  return `mkdir -p ${dir} && printf '%s\\n' ${shQuote(hostResolverDropIn(hostIp, port))} > ${HOST_RESOLVER_DROP_IN} && systemctl try-restart systemd-resolved || true`;
}
