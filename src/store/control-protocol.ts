/**
 * The host agent's control protocol, spoken on `<instance>/ha.sock` (hostagent/control.ts serves
 * it, instance/agent-request.ts is its client): newline-delimited JSON, any number of requests on
 * one connection, each with an `id` that its replies carry.
 *
 *   → {"id":1,"type":"status"}
 *   ← {"id":1,"type":"status","status":{"pid":…,"running":true,"ready":true,"sshLocalPort":60022,"activity":"ready"}}
 *   → {"id":2,"type":"suspend","progress":true}
 *   ← {"id":2,"type":"event","seq":41,"event":{"time":…,"step":"unmount",…}}    (with progress only)
 *   ← {"id":2,"type":"done","stateBytes":123456789}
 *   → {"id":3,"type":"events","since":0}
 *   ← {"id":3,"type":"subscribed","seq":41}, then {"id":3,"type":"event",…} as the agent emits them
 *
 * Refusals and failures are `{"id":…,"type":"error","error":{code,message,hint}}` (AgentError); a
 * line that is no request gets one with `id: null`. Pure: encode, decode, validate.
 */
import { readAgentError, type AgentError } from "./agent-error.js";
import type { AgentEvent, AgentEventBody, AgentStatus } from "./events.js";
import { parseEvent } from "./event-parse.js";

/** The longest line either side accepts (an event with a log tail fits; a runaway peer does not). */
export const MAX_LINE_BYTES = 1024 * 1024;

export type ControlRequest =
  | { id: number; type: "status" }
  | { id: number; type: "suspend"; progress?: boolean }
  | { id: number; type: "snapshot"; dir: string; progress?: boolean }
  /** From `since` on (a `seq` seen before; 0 = every event the agent still holds), or only new ones. */
  | { id: number; type: "events"; since?: number };

export type RequestType = ControlRequest["type"];

/** What the agent is doing, for `status`. */
export type Activity = "starting" | "booting" | "ready" | "suspending" | "snapshotting" | "exiting" | "failed";

export interface ControlStatus extends AgentStatus {
  /** The agent's pid, and QEMU's when it runs. */
  pid: number;
  qemuPid?: number;
  activity: Activity;
  /** The boot step under way (activity "booting") or the last one. */
  step?: string;
}

export type ControlReply =
  | { id: number; type: "status"; status: ControlStatus }
  /** A suspend (the agent exits next) or a snapshot (the VM runs on) is done. */
  | { id: number; type: "done"; stateBytes: number }
  | { id: number; type: "subscribed"; seq: number }
  | { id: number; type: "event"; seq: number; event: AgentEvent }
  | { id: number | null; type: "error"; error: AgentError };

export function encode(m: ControlRequest | ControlReply): string {
  return `${JSON.stringify(m)}\n`;
}

type Decoded<T> = T | { id: number | null; problem: string };

function object(line: string): Record<string, unknown> | string {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return `the line is longer than ${MAX_LINE_BYTES} bytes`;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return "the line is not JSON";
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "the line is not a JSON object";
  return v as Record<string, unknown>;
}

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isCount = isId;

/** One request line, checked; anything else says what is wrong (with the id when it has one). */
export function decodeRequest(line: string): Decoded<ControlRequest> {
  const o = object(line);
  if (typeof o === "string") return { id: null, problem: o };
  if (!isId(o.id)) return { id: null, problem: "the request has no id (a non-negative integer)" };
  const id = o.id;
  const bad = (problem: string) => ({ id, problem });
  if (o.progress !== undefined && typeof o.progress !== "boolean") return bad("progress is not a boolean");
  const progress = o.progress === undefined ? {} : { progress: o.progress };
  switch (o.type) {
    case "status":
      return { id, type: "status" };
    case "suspend":
      return { id, type: "suspend", ...progress };
    case "snapshot":
      if (typeof o.dir !== "string" || !o.dir.startsWith("/")) return bad("a snapshot request needs an absolute dir");
      return { id, type: "snapshot", dir: o.dir, ...progress };
    case "events":
      if (o.since !== undefined && !isCount(o.since)) return bad("since is not a non-negative integer");
      return { id, type: "events", ...(o.since !== undefined ? { since: o.since } : {}) };
    default:
      return bad(`unknown request type ${JSON.stringify(o.type)} (status, suspend, snapshot, events)`);
  }
}

const ACTIVITIES: readonly string[] = ["starting", "booting", "ready", "suspending", "snapshotting", "exiting", "failed"] satisfies Activity[];

function readStatus(v: unknown): ControlStatus | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (!isCount(s.pid) || typeof s.activity !== "string" || !ACTIVITIES.includes(s.activity)) return undefined;
  if (s.qemuPid !== undefined && !isCount(s.qemuPid)) return undefined;
  if (s.sshLocalPort !== undefined && !isCount(s.sshLocalPort)) return undefined;
  return v as ControlStatus;
}

/** One reply line, checked. */
export function decodeReply(line: string): Decoded<ControlReply> {
  const o = object(line);
  if (typeof o === "string") return { id: null, problem: o };
  const id = isId(o.id) ? o.id : null;
  const bad = (problem: string) => ({ id, problem });
  if (o.type === "error") {
    const error = readAgentError(o.error);
    return error === undefined ? bad("an error reply without an error") : { id, type: "error", error };
  }
  if (id === null) return bad("the reply has no id");
  switch (o.type) {
    case "status": {
      const status = readStatus(o.status);
      return status === undefined ? bad("a status reply without a valid status") : { id, type: "status", status };
    }
    case "done":
      return isCount(o.stateBytes) ? { id, type: "done", stateBytes: o.stateBytes } : bad("a done reply without stateBytes");
    case "subscribed":
      return isCount(o.seq) ? { id, type: "subscribed", seq: o.seq } : bad("a subscribed reply without seq");
    case "event": {
      const event = parseEvent(JSON.stringify(o.event ?? null));
      return isCount(o.seq) && event !== undefined ? { id, type: "event", seq: o.seq, event } : bad("an event reply without seq or a valid event");
    }
    default:
      return bad(`unknown reply type ${JSON.stringify(o.type)}`);
  }
}

/** What the agent is doing after event `e`, given what it did before. Pure. */
export function activityAfter(before: Activity, e: { status: AgentStatus } & AgentEventBody): Activity {
  if (e.status.exiting === true) return "exiting";
  if ((e.status.errors?.length ?? 0) > 0) return "failed";
  if (e.kind === "suspend" || e.kind === "snapshot") {
    if (e.phase === "requested") return e.kind === "suspend" ? "suspending" : "snapshotting";
    if (e.phase === "failed" || e.kind === "snapshot") return e.status.ready === true ? "ready" : before;
  }
  if (e.status.ready === true) return "ready";
  if (e.kind === "step" && before !== "suspending" && before !== "snapshotting") return "booting";
  return before;
}

/** Splits off complete lines from a connection's buffer; `overflow` when the rest is too long. Pure. */
export function takeLines(buffered: string): { lines: string[]; rest: string; overflow: boolean } {
  const i = buffered.lastIndexOf("\n");
  const lines = i < 0 ? [] : buffered.slice(0, i).split("\n").filter((l) => l.trim() !== "");
  const rest = i < 0 ? buffered : buffered.slice(i + 1);
  return { lines, rest, overflow: Buffer.byteLength(rest) > MAX_LINE_BYTES };
}
