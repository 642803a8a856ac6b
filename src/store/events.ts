/**
 * The host agent's event log: one JSON object per line in ha.stdout.log. `start` follows it.
 *
 *   {"time":"2026-01-01T00:00:00.000Z","status":{"running":false},"kind":"step","step":"wait-ssh","message":"Waiting for SSH"}
 *
 * `status` is the agent's view of the instance after the event (Lima's shape: running, degraded,
 * exiting, sshLocalPort, errors); `kind` tells the events apart (AgentEventBody).
 */

import type { AgentError } from "./agent-error.js";

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
  // Lima user-v2 networks: the switch attached (the agent), then the guest's NICs and addresses
  "networks",
  // the last step of a boot: the guest's file systems written to disk before READY
  "sync-disks",
  // after the readiness steps, before READY: Lima's copyToHost (hostagent/copy-to-host.ts)
  "copy-to-host",
  // a resume (start of a Suspended instance) instead of wait-cloud-init and probes
  "restore-state",
  "sync-clock",
  "reidentify",
  "remount",
  // a suspend (asked on the agent's control socket ha.sock), after READY
  "unmount",
  "save-state",
  // a booted snapshot (a snapshot request on ha.sock), after save-state: the guest runs on
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

/** What every event line carries: when, and the agent's view of the instance after it (Lima's shape). */
export interface EventHead {
  time: string;
  status: AgentStatus;
}

/** A suspend's or a booted snapshot's progress (see the "suspend" and "snapshot" events). */
export type SuspendPhase = "requested" | "failed" | "saved";

/**
 * What happened, told apart by `kind`. A line written by an older agent has no `kind`: parseEvent
 * (event-parse.ts) derives it from the fields; a kind it does not know is read as "other".
 */
export type AgentEventBody =
  /** A boot (or suspend, snapshot) step begins. */
  | { kind: "step"; step: Step; message: string }
  /** Download/copy progress within a step. */
  | { kind: "progress"; progress: { done: number; total?: number } }
  /** Something worth telling (cloud-init's mode, a build step, what a guest step said). */
  | { kind: "message"; message: string }
  /** Not fatal (e.g. the accelerator fallback, a failed provisioning step). */
  | { kind: "warning"; warning: string }
  /** A port forward was added, removed or failed (src/portfwd; the current set is in <instance>/portfwd.json). */
  | { kind: "port-forward"; portForward: PortForwardEvent; message?: string; warning?: string }
  /**
   * The instance is ready. `resumed`: a saved state was restored instead of a boot. `instanceMessage`:
   * the config's `message`, its template variables filled. `dockerSocket`: for a docker instance, the
   * host socket its guest docker.sock is forwarded to (see dockerHostSocket).
   */
  | { kind: "ready"; message: "READY"; resumed?: boolean; instanceMessage?: string; dockerSocket?: string }
  /** The boot failed (status.errors is set too), or the agent crashed (status.exiting as well). */
  | { kind: "failed"; message?: string; error: AgentError }
  /**
   * A suspend's progress: "requested" (it begins), "failed" (with `error`; the VM keeps running),
   * "saved" (the state is committed, `stateBytes` long; the agent exits next). Not a boot failure:
   * status.errors stays unset.
   */
  | { kind: "suspend"; phase: SuspendPhase; message?: string; stateBytes?: number; error?: AgentError }
  /** A booted snapshot's progress, as "suspend" (but "saved" means the VM runs on). */
  | { kind: "snapshot"; phase: SuspendPhase; message?: string; stateBytes?: number; error?: AgentError }
  /** The agent's last event: `maxRSSKiB` is its peak resident set size. */
  | { kind: "exiting"; message: "exiting"; maxRSSKiB?: number }
  /** A line of a kind this version does not know (a newer agent's): only its status and message are read. */
  | { kind: "other"; message?: string };

export type AgentEvent = EventHead & AgentEventBody;
export type AgentEventKind = AgentEventBody["kind"];

export function formatEvent(e: { status: AgentStatus } & AgentEventBody, now: Date = new Date()): string {
  return `${JSON.stringify({ time: now.toISOString(), ...e })}\n`;
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
  if (e.kind === "failed") return { kind: "failed", event: e };
  if (e.kind === "exiting") return { kind: "exited", event: e };
  if (e.kind === "ready") return { kind: "ready", event: e };
  // a line this version cannot read (a newer agent's): its status still tells a failure or the end
  if (e.kind === "other" && (e.status.errors?.length ?? 0) > 0) return { kind: "failed", event: e };
  if (e.kind === "other" && e.status.exiting === true) return { kind: "exited", event: e };
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
    const step = e.kind === "step" ? e.step : undefined;
    const ends = step !== undefined || e.kind === "ready" || e.kind === "failed";
    if (ends && current && step !== current.step) {
      out.push({ step: current.step, ms: at - current.at });
      current = undefined;
    }
    if (step !== undefined && current?.step !== step) current = { step, at };
    if (e.kind === "ready") {
      out.push({ step: "total", ms: at - (first ?? at) });
      break;
    }
  }
  return out;
}
