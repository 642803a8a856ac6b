/**
 * Port forwarding vocabulary. A guest `Listener` (seen by the watcher) meets the rules and becomes a
 * `Forward`: one `ssh -O forward` request on the instance's ControlMaster.
 */

/**
 * A TCP socket in LISTEN state in the guest, or an unconnected bound UDP socket (a UDP server). `ip` is
 * in canonical text form ("127.0.0.1", "::1", "::").
 */
export interface Listener {
  proto: "tcp" | "udp";
  ip: string;
  port: number;
}

/** A TCP address (`ip` + `port`) or a unix socket path. */
export type Endpoint = { ip: string; port: number } | { socket: string };

/**
 * One forward. `reverse: false`: the host listens on `host`, connections go to `guest` in the guest
 * (ssh -L). `reverse: true`: the guest listens on `guest`, connections go to `host` (ssh -R).
 * `rule` names the rule that produced it ("portForwards[2]", "default rule").
 */
export interface Forward {
  host: Endpoint;
  guest: Endpoint;
  reverse: boolean;
  rule: string;
  /** The guest listener this forward serves (dynamic forwards only). */
  listener?: Listener;
  /** "udp": carried by a datagram relay (udp.ts) instead of an ssh -L/-R; absent for TCP and sockets. */
  proto?: "udp";
}

import type { AgentEventBody, PortForwardEvent } from "../store/events.js";

export type { PortForwardEvent };

/** What the forwarding reports to its owner (the host agent's emit): some kinds of AgentEvent. */
export interface PortForwardSink {
  emit(e: Extract<AgentEventBody, { kind: "warning" | "port-forward" }>): void;
  log(message: string): void;
}
