/**
 * Reading one line of ha.stdout.log (events.ts) back: checked field by field, as a follower must
 * outlive any line (half-written, older, newer). A line from before `kind` existed gets the kind its
 * fields meant; a line of an unknown kind, or whose fields do not fit its kind, is kept as "other"
 * (its status and message still count).
 */
import { readAgentError } from "./agent-error.js";
import { STEPS, type AgentEvent, type AgentEventBody, type AgentStatus, type PortForwardEvent, type Step, type SuspendPhase } from "./events.js";

type Fields = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const isStep = (v: unknown): v is Step => typeof v === "string" && (STEPS as readonly string[]).includes(v);
const isPhase = (v: unknown): v is SuspendPhase => v === "requested" || v === "failed" || v === "saved";
const opt = <K extends string, V>(key: K, v: V | undefined): { [k in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [k in K]?: V }));

function portForward(v: unknown): PortForwardEvent | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Fields;
  if (o.action !== "added" && o.action !== "removed" && o.action !== "failed") return undefined;
  if (typeof o.guest !== "string" || typeof o.host !== "string" || typeof o.reverse !== "boolean" || typeof o.rule !== "string") return undefined;
  return { action: o.action, guest: o.guest, host: o.host, reverse: o.reverse, rule: o.rule, ...(o.proto === "udp" ? { proto: "udp" as const } : {}), ...opt("reason", str(o.reason)) };
}

/** The kind an older line (without `kind`) meant, from the fields it has. */
function legacyKind(o: Fields, status: AgentStatus): string {
  if (o.error !== undefined && (status.errors?.length ?? 0) > 0) return "failed";
  if (o.suspend !== undefined) return "suspend";
  if (o.snapshot !== undefined) return "snapshot";
  if (o.step !== undefined) return "step";
  if (o.progress !== undefined) return "progress";
  if (o.portForward !== undefined) return "port-forward";
  if (o.warning !== undefined) return "warning";
  if (o.message === "exiting" || status.exiting === true) return "exiting";
  if (o.message === "READY" && status.ready === true) return "ready";
  return "message";
}

/** The body of a `kind` from the line's fields; undefined when they do not fit it. */
function body(kind: string, o: Fields): AgentEventBody | undefined {
  const message = str(o.message);
  switch (kind) {
    case "step":
      return isStep(o.step) ? { kind, step: o.step, message: message ?? "" } : undefined;
    case "progress": {
      const p = (typeof o.progress === "object" && o.progress !== null ? o.progress : {}) as Fields;
      const done = num(p.done);
      return done === undefined ? undefined : { kind, progress: { done, ...opt("total", num(p.total)) } };
    }
    case "message":
      return message === undefined ? undefined : { kind, message };
    case "warning": {
      const warning = str(o.warning);
      return warning === undefined ? undefined : { kind, warning };
    }
    case "port-forward": {
      const pf = portForward(o.portForward);
      return pf === undefined ? undefined : { kind, portForward: pf, ...opt("message", message), ...opt("warning", str(o.warning)) };
    }
    case "ready":
      return { kind, message: "READY", ...(o.resumed === true ? { resumed: true } : {}), ...opt("instanceMessage", str(o.instanceMessage)), ...opt("dockerSocket", str(o.dockerSocket)) };
    case "failed": {
      const error = readAgentError(o.error);
      return error === undefined ? undefined : { kind, error, ...opt("message", message) };
    }
    case "suspend":
    case "snapshot": {
      const phase = o.phase ?? o[kind]; // an older line: {"suspend":"saved"}
      if (!isPhase(phase)) return undefined;
      return { kind, phase, ...opt("message", message), ...opt("stateBytes", num(o.stateBytes)), ...opt("error", readAgentError(o.error)) };
    }
    case "exiting":
      return { kind, message: "exiting", ...opt("maxRSSKiB", num(o.maxRSSKiB)) };
    default:
      return undefined;
  }
}

function readStatus(v: Fields): AgentStatus {
  const s: AgentStatus = {};
  for (const k of ["running", "ready", "degraded", "exiting"] as const) if (typeof v[k] === "boolean") s[k] = v[k];
  const port = num(v.sshLocalPort);
  if (port !== undefined) s.sshLocalPort = port;
  if (Array.isArray(v.errors)) s.errors = v.errors.map(String);
  return s;
}

/** Parses one line; undefined for blank or malformed lines (a half-written last line, say). */
export function parseEvent(line: string): AgentEvent | undefined {
  const t = line.trim();
  if (t === "") return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const o = v as Fields;
  if (typeof o.time !== "string" || typeof o.status !== "object" || o.status === null) return undefined;
  const status = readStatus(o.status as Fields);
  const kind = typeof o.kind === "string" ? o.kind : legacyKind(o, status);
  const b = body(kind, o) ?? { kind: "other", ...opt("message", str(o.message)) };
  return { time: o.time, status, ...b };
}
