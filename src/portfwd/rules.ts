import type { PortForward } from "../config/types.js";
import { canonicalIP, isIPv6, isUnspecified } from "./ip.js";
import type { Endpoint, Forward, Listener } from "./types.js";

/**
 * Lima's port forwarding rules. The list the host agent matches against is: an ignore rule for the
 * guest's port 22 and one for the host's ssh port (on any guest address, so no user rule can forward
 * them), then the user's `portForwards` in order, an ignore rule for LLMNR's port 5355, then Lima's
 * fallback "default rule" (guest 127.0.0.1, ::1 or 0.0.0.0/:: on any port -> the same port on the
 * host's 127.0.0.1). The first
 * matching rule decides; a listener no rule matches (e.g. 10.0.2.15:80) is not forwarded. A rule's
 * `proto` (tcp, udp or any) must match the listener's; the builtin rules are `any`, so a guest UDP
 * server on 127.0.0.1 or 0.0.0.0 is forwarded by the default rule as Lima 2 does. Pure.
 */

/** A filled rule with a name for messages: "portForwards[1]", "default rule", "ssh port 22". */
export interface Rule extends PortForward {
  label: string;
}

function rule(label: string, r: Partial<PortForward>): Rule {
  return {
    guestIPMustBeZero: false,
    guestIP: "127.0.0.1",
    guestPort: 0,
    guestPortRange: [1, 65535],
    guestSocket: "",
    hostIP: "127.0.0.1",
    hostPort: 0,
    hostPortRange: [1, 65535],
    hostSocket: "",
    proto: "tcp",
    reverse: false,
    ignore: false,
    ...r,
    label,
  };
}

/** The ordered rule list for an instance: builtin ignores, the config's portForwards, the default rule. */
export function forwardingRules(portForwards: readonly PortForward[], sshLocalPort?: number): Rule[] {
  const never = (label: string, port: number) =>
    rule(label, { guestIP: "0.0.0.0", guestPort: port, guestPortRange: [port, port], hostPortRange: [port, port], proto: "any", ignore: true });
  const rules = [never("ssh port 22", 22)];
  if (sshLocalPort !== undefined && sshLocalPort !== 22) rules.push(never(`host ssh port ${sshLocalPort}`, sshLocalPort));
  rules.push(...portForwards.map((p, i) => ({ ...p, label: `portForwards[${i}]` })));
  // systemd-resolved's LLMNR responder listens on 0.0.0.0:5355 in most guests; forwarding it by default
  // only makes a second instance warn that the host port is taken. A user rule above still can.
  rules.push(never("LLMNR port 5355 (systemd-resolved)", 5355));
  // the guest's DHCP client listens on UDP 0.0.0.0:68; it is nothing a host client wants
  rules.push(never("DHCP client port 68", 68));
  rules.push(rule("default rule", { proto: "any" }));
  return rules;
}

/** Does the rule's guest address match a listener's? (Lima's matching, including its quirks.) */
function guestIPMatches(r: Rule, ip: string): boolean {
  const ruleIP = canonicalIP(r.guestIP) ?? r.guestIP;
  if (isUnspecified(ip)) return true; // a listener on any address matches every rule
  if (ip === ruleIP) return true;
  if (ip === "::1" && ruleIP === "127.0.0.1") return true;
  return isUnspecified(ruleIP) && !r.guestIPMustBeZero;
}

/** Where a client in the guest reaches the listener: the loopback address for 0.0.0.0 and ::. */
export function guestConnectAddress(l: Listener): string {
  if (!isUnspecified(l.ip)) return l.ip;
  return isIPv6(l.ip) ? "::1" : "127.0.0.1";
}

export type Decision = { forward: Forward } | { ignore: string };

/** What to do with one guest listener: forward it (to which host address, by which rule) or not (why). */
export function decide(rules: readonly Rule[], l: Listener): Decision {
  for (const r of rules) {
    if (r.guestSocket !== "") continue;
    if (r.proto !== l.proto && r.proto !== "any") continue;
    if (l.port < r.guestPortRange[0] || l.port > r.guestPortRange[1]) continue;
    if (!guestIPMatches(r, l.ip)) continue;
    if (r.ignore) {
      // An ignore rule for a specific address does not stop a listener on all addresses.
      if (isUnspecified(l.ip) && !isUnspecified(canonicalIP(r.guestIP) ?? r.guestIP)) continue;
      return { ignore: `ignored by ${r.label}` };
    }
    const host: Endpoint = r.hostSocket !== "" ? { socket: r.hostSocket } : { ip: canonicalIP(r.hostIP) ?? r.hostIP, port: l.port + r.hostPortRange[0] - r.guestPortRange[0] };
    if (l.proto === "udp" && "socket" in host) return { ignore: `${r.label}: a UDP port cannot be forwarded to a unix socket` };
    const forward: Forward = { host, guest: { ip: guestConnectAddress(l), port: l.port }, reverse: false, rule: r.label, listener: l, ...(l.proto === "udp" ? { proto: "udp" as const } : {}) };
    return { forward };
  }
  return { ignore: "no rule matches" };
}

/**
 * The host socket a docker instance's daemon is reached at: the first rule that forwards a guest
 * socket named `docker.sock` (tslima's template:docker, Lima's docker*.yaml: rootful
 * /var/run/docker.sock or rootless /run/user/UID/docker.sock) to a host socket. Undefined when the
 * config has none: the instance is not a docker one, and gets no docker context. Pure.
 */
export function dockerHostSocket(portForwards: readonly PortForward[]): string | undefined {
  const r = portForwards.find((p) => !p.ignore && !p.reverse && p.hostSocket !== "" && /(^|\/)docker\.sock$/.test(p.guestSocket));
  return r?.hostSocket;
}

/**
 * The static unix socket forwards: every rule with a guestSocket. `reverse: false` makes the guest
 * socket available on the host (hostSocket, or hostIP:hostPort); `reverse: true` the host socket in
 * the guest. Rules that name no host side are returned as problems.
 */
export function socketForwards(rules: readonly Rule[]): { forwards: Forward[]; problems: string[] } {
  const forwards: Forward[] = [];
  const problems: string[] = [];
  for (const r of rules) {
    if (r.guestSocket === "" || r.ignore) continue;
    let host: Endpoint;
    if (r.hostSocket !== "") host = { socket: r.hostSocket };
    else if (r.hostPort > 0 && !r.reverse) host = { ip: canonicalIP(r.hostIP) ?? r.hostIP, port: r.hostPort };
    else {
      problems.push(`${r.label}: guestSocket ${r.guestSocket} needs a hostSocket${r.reverse ? "" : " or a hostPort"}; not forwarded`);
      continue;
    }
    forwards.push({ host, guest: { socket: r.guestSocket }, reverse: r.reverse, rule: r.label });
  }
  return { forwards, problems };
}
