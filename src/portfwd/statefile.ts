import { readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "../store/atomic.js";
import { join } from "node:path";
import { endpointText } from "./plan.js";
import type { Forward } from "./types.js";

/**
 * `<instance>/portfwd.json`: the forwards that are active right now, rewritten (atomically) by the
 * host agent on every change and removed when it stops. For scripts and tests:
 *
 *   {"forwards":[{"guest":"127.0.0.1:8123","host":"127.0.0.1:8123","reverse":false,"rule":"default rule"}]}
 */

export interface ActiveForward {
  /** "127.0.0.1:8123", "[::1]:8123" or a socket path. */
  guest: string;
  host: string;
  reverse: boolean;
  rule: string;
  /** "udp" for a UDP forward; absent for TCP and unix sockets. */
  proto?: "udp";
}

export function portForwardStatePath(instanceDir: string): string {
  return join(instanceDir, "portfwd.json");
}

/** The file's text for a set of forwards. Pure. */
export function formatPortForwardState(forwards: readonly Forward[]): string {
  const list: ActiveForward[] = forwards.map((f) => ({ guest: endpointText(f.guest), host: endpointText(f.host), reverse: f.reverse, rule: f.rule, ...(f.proto ? { proto: f.proto } : {}) }));
  return `${JSON.stringify({ forwards: list })}\n`;
}

export function writePortForwardState(instanceDir: string, forwards: readonly Forward[]): void {
  const path = portForwardStatePath(instanceDir);
  writeFileAtomic(path, formatPortForwardState(forwards));
}

export function removePortForwardState(instanceDir: string): void {
  rmSync(portForwardStatePath(instanceDir), { force: true });
}

/** The active forwards of a running instance; [] when it has none or is not running. */
export function readPortForwards(instanceDir: string): ActiveForward[] {
  try {
    const v = JSON.parse(readFileSync(portForwardStatePath(instanceDir), "utf8")) as { forwards?: unknown };
    return Array.isArray(v.forwards) ? (v.forwards as ActiveForward[]) : [];
  } catch {
    return [];
  }
}
