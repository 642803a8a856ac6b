import { joinHostPort } from "./ip.js";
import { decide, type Rule } from "./rules.js";
import type { Endpoint, Forward, Listener } from "./types.js";

/** From listeners and rules to ssh forward requests, and the changes between two sets of them. Pure. */

/** "127.0.0.1:8080", "[::1]:8080" or the socket path. */
export function endpointText(e: Endpoint): string {
  return "socket" in e ? e.socket : joinHostPort(e.ip, e.port);
}

/** Identifies a forward the way `ssh -O cancel` does: direction, listen side and target (UDP ones apart). */
export function forwardKey(f: Forward): string {
  return `${f.proto === "udp" ? "U" : f.reverse ? "R" : "L"} ${endpointText(f.host)} ${endpointText(f.guest)}`;
}

/** The side that listens: the host for -L, the guest for -R. */
export function listenSide(f: Forward): Endpoint {
  return f.reverse ? f.guest : f.host;
}

/** A human description: "guest 127.0.0.1:80 -> host 127.0.0.1:8080 (portForwards[0])", "... (udp, default rule)". */
export function describeForward(f: Forward): string {
  if (f.proto === "udp") return `guest ${endpointText(f.guest)} -> host ${endpointText(f.host)} (udp, ${f.rule})`;
  const [from, to] = f.reverse ? [`host ${endpointText(f.host)}`, `guest ${endpointText(f.guest)}`] : [`guest ${endpointText(f.guest)}`, `host ${endpointText(f.host)}`];
  return `${from} -> ${to} (${f.rule})`;
}

/**
 * The ssh option for a forward: `-L HOST:GUEST` or `-R GUEST:HOST`, each side `ip:port` (IPv6 in
 * brackets) or a socket path. ssh splits the spec at colons, so a socket path with a colon cannot be
 * forwarded: that is reported as a problem instead.
 */
export function sshForwardArgs(f: Forward): { args: string[] } | { problem: string } {
  if (f.proto === "udp") return { problem: "ssh cannot forward UDP (a UDP forward goes through the relay)" };
  for (const e of [f.host, f.guest]) {
    if ("socket" in e && e.socket.includes(":")) return { problem: `the socket path ${e.socket} contains ":", which ssh cannot forward` };
  }
  const [host, guest] = [endpointText(f.host), endpointText(f.guest)];
  return { args: f.reverse ? ["-R", `${guest}:${host}`] : ["-L", `${host}:${guest}`] };
}

export interface DesiredForwards {
  forwards: Forward[];
  /** Listeners left alone, with the reason (for the log). */
  skipped: Array<{ listener: Listener; reason: string }>;
}

/**
 * The forwards a set of guest listeners asks for. Several listeners may map to one host address
 * (a server on both 127.0.0.1:80 and ::1:80): the first one, IPv4 first, gets it.
 */
export function desiredForwards(listeners: readonly Listener[], rules: readonly Rule[]): DesiredForwards {
  const byHost = new Map<string, Forward>();
  const skipped: DesiredForwards["skipped"] = [];
  const v6 = (l: Listener) => (l.ip.includes(":") ? 1 : 0);
  const ordered = [...listeners].sort((a, b) => v6(a) - v6(b) || a.port - b.port);
  for (const l of ordered) {
    const d = decide(rules, l);
    if ("ignore" in d) {
      skipped.push({ listener: l, reason: d.ignore });
      continue;
    }
    const key = `${d.forward.proto ?? "tcp"} ${endpointText(d.forward.host)}`;
    const taken = byHost.get(key);
    if (taken) {
      skipped.push({ listener: l, reason: `host ${endpointText(d.forward.host)} already serves guest ${endpointText(taken.guest)}` });
      continue;
    }
    byHost.set(key, d.forward);
  }
  return { forwards: [...byHost.values()], skipped };
}

/** What to cancel and what to add to get from `active` to `desired` (cancels first: they free ports). */
export function diffForwards(active: readonly Forward[], desired: readonly Forward[]): { cancel: Forward[]; add: Forward[] } {
  const want = new Set(desired.map(forwardKey));
  const have = new Set(active.map(forwardKey));
  return { cancel: active.filter((f) => !want.has(forwardKey(f))), add: desired.filter((f) => !have.has(forwardKey(f))) };
}
