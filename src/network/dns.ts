import { dnsResponse, NOERROR, NXDOMAIN, REFUSED, TYPE_A, TYPE_ANY, CLASS_IN, type DnsQuestion } from "./dns-message.js";

/**
 * The user-v2 gateway's DNS server: `lima-NAME.internal` is the address leased to instance NAME, as
 * Lima's user-v2 network names them. Only names under `internal.` are answered (the guest routes
 * only those here: its lima0 link has `Domains=~internal` and is no default DNS route); anything
 * else is REFUSED. Pure.
 */

export { parseDnsQuery, type DnsQuestion } from "./dns-message.js";

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
  return dnsResponse(q, rcode, answer ? [ip] : [], { authoritative: internal });
}
