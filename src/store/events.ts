/**
 * The host agent's event log: one JSON object per line in ha.stdout.log. `start` follows it.
 *
 *   {"time":"2026-01-01T00:00:00.000Z","status":{"running":false},"step":"wait-ssh","message":"Waiting for SSH"}
 *
 * `status` is the agent's view of the instance after the event (Lima's shape: running, degraded,
 * exiting, sshLocalPort, errors); `step` names the boot step that begins with this event.
 */

import { readAgentError, type AgentError } from "./agent-error.js";

/** A change in the forwards, reported in the host agent's event log (`portForward` field). */
export interface PortForwardEvent {
  action: "added" | "removed" | "failed";
  /** "127.0.0.1:8123", "[::1]:8123" or a socket path. */
  guest: string;
  host: string;
  reverse: boolean;
  rule: string;
  /** "udp" for a UDP forward; absent for TCP and unix sockets. */
  proto?: "udp";
  /** Why it failed ("failed" only). */
  reason?: string;
}

export const STEPS = [
  "resolve-image",
  "prepare-disk",
  "user-key",
  "cidata",
  "ssh-config",
  "start-daemons",
  "start-qemu",
  // instead of start-qemu: a QEMU whose agent died is adopted (hostagent/attach.ts)
  "attach",
  "wait-ssh",
  "wait-cloud-init",
  "verify-mounts",
  "probes",
  // the last step of a boot: the guest's file systems written to disk before READY
  "sync-disks",
  // a resume (start of a Suspended instance) instead of wait-cloud-init and probes
  "restore-state",
  "sync-clock",
  "reidentify",
  "remount",
  // a suspend (SIGUSR2 to the agent), after READY
  "unmount",
  "save-state",
  // a booted snapshot (SIGUSR2 with a snapshot request), after save-state: the guest runs on
  "copy-disk",
  "continue",
] as const;
export type Step = (typeof STEPS)[number];

export interface AgentStatus {
  running?: boolean;
  ready?: boolean;
  degraded?: boolean;
  exiting?: boolean;
  sshLocalPort?: number;
  errors?: string[];
}

export interface AgentEvent {
  time: string;
  status: AgentStatus;
  step?: Step;
  message?: string;
  /** Download/copy progress within a step. */
  progress?: { done: number; total?: number };
  /** Why the boot failed, as data with its own code and hint (set with status.errors; see agent-error.ts). */
  error?: AgentError;
  /** Peak resident set size of the agent in KiB, in the final event. */
  maxRSSKiB?: number;
  /** The config's `message` with its template variables filled (READY event only, when there is one). */
  instanceMessage?: string;
  /** READY only, for a docker instance: the host socket its guest docker.sock is forwarded to (see dockerHostSocket). */
  dockerSocket?: string;
  /** Warnings (e.g. accelerator fallback). */
  warning?: string;
  /** A port forward was added, removed or failed (see src/portfwd; the current set is in <instance>/portfwd.json). */
  portForward?: PortForwardEvent;
  /**
   * A suspend's progress: "requested" (it begins), "failed" (with `error`; the VM keeps running),
   * "saved" (the state is committed; the agent exits next). Not a boot failure: status.errors stays unset.
   */
  suspend?: SuspendPhase;
  /** A booted snapshot's progress, as `suspend` (but "saved" means the VM runs on). */
  snapshot?: SuspendPhase;
  /** Bytes of the saved state ("saved" only). */
  stateBytes?: number;
  /** Set on READY when the boot restored a saved state instead of booting. */
  resumed?: boolean;
}

export type SuspendPhase = "requested" | "failed" | "saved";

export function formatEvent(e: Omit<AgentEvent, "time">, now: Date = new Date()): string {
  return `${JSON.stringify({ time: now.toISOString(), ...e })}\n`;
}

/** Parses one line; undefined for blank or malformed lines (a half-written last line, say). */
export function parseEvent(line: string): AgentEvent | undefined {
  const t = line.trim();
  if (t === "") return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.time !== "string" || typeof o.status !== "object" || o.status === null) return undefined;
    const event = v as AgentEvent;
    if (o.error !== undefined) {
      const error = readAgentError(o.error);
      if (error === undefined) delete event.error;
      else event.error = error;
    }
    return event;
  } catch {
    return undefined;
  }
}

/** Splits a growing buffer into complete lines, keeping the unterminated rest. Pure. */
export function splitLines(buffered: string): { lines: string[]; rest: string } {
  const i = buffered.lastIndexOf("\n");
  if (i < 0) return { lines: [], rest: buffered };
  return { lines: buffered.slice(0, i).split("\n"), rest: buffered.slice(i + 1) };
}

export type Outcome = { kind: "ready"; event: AgentEvent } | { kind: "failed"; event: AgentEvent } | { kind: "exited"; event: AgentEvent };

/** What a single event means for someone waiting for the boot to finish. Pure. */
export function outcomeOf(e: AgentEvent): Outcome | undefined {
  if (e.status.errors && e.status.errors.length > 0) return { kind: "failed", event: e };
  if (e.status.exiting) return { kind: "exited", event: e };
  if (e.status.ready) return { kind: "ready", event: e };
  return undefined;
}

/** Phase durations from a list of events: each step lasts until the next event that starts a step or ends the boot. Pure. */
export function phaseDurations(events: AgentEvent[]): Array<{ step: Step | "total"; ms: number }> {
  const out: Array<{ step: Step | "total"; ms: number }> = [];
  let current: { step: Step; at: number } | undefined;
  let first: number | undefined;
  for (const e of events) {
    const at = Date.parse(e.time);
    first ??= at;
    const ends = e.step !== undefined || e.status.ready === true || (e.status.errors?.length ?? 0) > 0;
    if (ends && current && e.step !== current.step) {
      out.push({ step: current.step, ms: at - current.at });
      current = undefined;
    }
    if (e.step !== undefined && current?.step !== e.step) current = { step: e.step, at };
    if (e.status.ready === true) {
      out.push({ step: "total", ms: at - (first ?? at) });
      break;
    }
  }
  return out;
}
