/**
 * What `watch` prints (Lima's `limactl watch`): one line per event of an instance. An event of a
 * host agent (store/events.ts) becomes a WatchEvent in Lima's JSON shape, `{"instance", "event":
 * {"time", "status": {running, degraded, exiting, errors, sshLocalPort, portForward}}}`, with
 * tslima's `kind` and a readable `message` in `event`, and `instanceStatus` on the events that
 * change the instance's status (Running when ready; Stopped, Suspended or Broken when its agent
 * ended). The watcher itself (watch.ts) adds the lifecycle events: created, deleted, starting,
 * stopped. Pure.
 */
import type { AgentEvent, PortForwardEvent } from "../store/events.js";
import type { InstanceStatus } from "../store/status.js";

/** Lima's port-forward event (`status.portForward`). */
export interface WatchPortForward {
  type: "forwarding" | "stopping" | "failed";
  protocol: "tcp" | "udp" | "unix";
  guestAddr: string;
  hostAddr: string;
  /** tslima: a reverse forward (host to guest). */
  reverse?: boolean;
  error?: string;
}

/** The agent's view of the instance, with Lima's field names. */
export interface WatchStatus {
  running?: boolean;
  degraded?: boolean;
  exiting?: boolean;
  errors?: string[];
  sshLocalPort?: number;
  portForward?: WatchPortForward;
}

/** Events the watcher tells of itself: an instance directory appeared or went, its agent began or ended. */
export type LifecycleKind = "created" | "deleted" | "starting" | "stopped";

export type WatchKind = AgentEvent["kind"] | LifecycleKind;

export interface WatchEvent {
  instance: string;
  /** The instance's status after this event, when it changed. */
  instanceStatus?: InstanceStatus;
  event: {
    /** ISO 8601. */
    time: string;
    status: WatchStatus;
    kind: WatchKind;
    /** What happened, in words (the text output's message). */
    message: string;
  };
}

/** The agent event kinds printed only with `--verbose` (boot steps, progress, chatter). */
const VERBOSE_ONLY: ReadonlySet<WatchKind> = new Set<WatchKind>(["step", "progress", "message", "other"]);

/** Whether an event is shown: the routine ones only with `verbose`. */
export function shown(kind: WatchKind, verbose: boolean): boolean {
  return verbose || !VERBOSE_ONLY.has(kind);
}

/** The protocol of a forward: a socket path is unix. */
function protocolOf(pf: PortForwardEvent): WatchPortForward["protocol"] {
  if (pf.proto === "udp") return "udp";
  return /:\d+$/.test(pf.guest) ? "tcp" : "unix";
}

export function portForwardOf(pf: PortForwardEvent): WatchPortForward {
  const type = pf.action === "added" ? "forwarding" : pf.action === "removed" ? "stopping" : "failed";
  return {
    type,
    protocol: protocolOf(pf),
    guestAddr: pf.guest,
    hostAddr: pf.host,
    ...(pf.reverse ? { reverse: true } : {}),
    ...(pf.action === "failed" ? { error: pf.reason ?? "unknown reason" } : {}),
  };
}

function portForwardMessage(p: WatchPortForward): string {
  const [from, to] = p.reverse === true ? [p.hostAddr, p.guestAddr] : [p.guestAddr, p.hostAddr];
  const dir = p.reverse === true ? "host" : "guest";
  if (p.type === "forwarding") return `forwarding ${p.protocol} ${dir} ${from} to ${to}`;
  if (p.type === "stopping") return `stopped forwarding ${p.protocol} ${dir} ${from} to ${to}`;
  return `failed to forward ${p.protocol} ${dir} ${from}: ${p.error ?? "unknown reason"}`;
}

const bytes = (n: number | undefined) => (n === undefined ? "" : ` (${Math.round(n / 1024 / 1024)} MiB of state)`);

/** What an agent event says, in words, with the instance status it brings about. */
function describe(e: AgentEvent): { message: string; instanceStatus?: InstanceStatus } {
  switch (e.kind) {
    case "step":
      return { message: e.message === "" ? e.step : `${e.step}: ${e.message}` };
    case "progress":
      return { message: e.progress.total === undefined ? `progress: ${e.progress.done} bytes` : `progress: ${e.progress.done}/${e.progress.total} bytes` };
    case "message":
      return { message: e.message };
    case "warning":
      return { message: `warning: ${e.warning}` };
    case "port-forward":
      return { message: portForwardMessage(portForwardOf(e.portForward)) };
    case "ready": {
      const ssh = e.status.sshLocalPort === undefined ? "" : `, ssh on port ${e.status.sshLocalPort}`;
      return { message: `${e.resumed === true ? "running (resumed)" : "running"}${e.status.degraded === true ? " (degraded)" : ""}${ssh}`, instanceStatus: "Running" };
    }
    case "failed":
      return { message: `error: ${e.error.message}` };
    case "suspend":
    case "snapshot": {
      const what = e.kind === "suspend" ? "suspend" : "snapshot";
      if (e.phase === "requested") return { message: e.kind === "suspend" ? "suspending" : "taking a snapshot" };
      if (e.phase === "saved") return { message: `${e.kind === "suspend" ? "suspended" : "snapshot saved"}${bytes(e.stateBytes)}` };
      return { message: `${what} failed: ${e.error?.message ?? e.message ?? "unknown reason"}` };
    }
    case "exiting":
      return { message: "exiting" };
    case "other":
      return { message: e.message ?? "(an event of a newer tslima)" };
  }
}

/** The agent's status in Lima's shape (only the fields that are set). */
function statusOf(e: AgentEvent): WatchStatus {
  const s = e.status;
  return {
    ...(s.running === true ? { running: true } : {}),
    ...(s.degraded === true ? { degraded: true } : {}),
    ...(s.exiting === true ? { exiting: true } : {}),
    ...(s.errors !== undefined && s.errors.length > 0 ? { errors: s.errors } : {}),
    ...(s.sshLocalPort !== undefined && s.sshLocalPort !== 0 ? { sshLocalPort: s.sshLocalPort } : {}),
    ...(e.kind === "port-forward" ? { portForward: portForwardOf(e.portForward) } : {}),
  };
}

/** The watch event of an agent event of `instance`. */
export function watchEventOf(instance: string, e: AgentEvent): WatchEvent {
  const { message, instanceStatus } = describe(e);
  return { instance, ...(instanceStatus ? { instanceStatus } : {}), event: { time: e.time, status: statusOf(e), kind: e.kind, message } };
}

const LIFECYCLE_MESSAGE: Record<LifecycleKind, string> = { created: "created", deleted: "deleted", starting: "starting", stopped: "stopped" };

/**
 * A lifecycle event: `instanceStatus` for "created" (the new instance's) and "stopped" (what the
 * agent left: Stopped, Suspended, or Broken when its QEMU runs on).
 */
export function lifecycleEvent(instance: string, kind: LifecycleKind, time: Date, instanceStatus?: InstanceStatus): WatchEvent {
  const message = kind === "stopped" && instanceStatus !== undefined && instanceStatus !== "Stopped" ? `stopped (${instanceStatus})` : LIFECYCLE_MESSAGE[kind];
  return { instance, ...(instanceStatus ? { instanceStatus } : {}), event: { time: time.toISOString(), status: {}, kind, message } };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "2006-01-02 15:04:05" in the local time zone (Lima's text format). */
export function localDateTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Control characters (a terminal escape in a guest's message, a newline) as `\\xNN`. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f\x9b]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** One line of text output: `TIME INSTANCE | MESSAGE`, control characters escaped. */
export function formatWatchText(w: WatchEvent): string {
  return `${localDateTime(new Date(w.event.time))} ${w.instance} | ${printable(w.event.message)}\n`;
}

/** One line of `--json` output. */
export function formatWatchJson(w: WatchEvent): string {
  return `${JSON.stringify(w)}\n`;
}
