/**
 * A failure as data: how an error crosses from the host agent (a separate process) to `start` and
 * the CLI in the event log, keeping its own code and hint instead of becoming text.
 *
 *   {"time":"…","status":{"errors":["mounts[0] (/src -> /mnt/src): the location does not exist …"]},
 *    "message":"failed","error":{"code":"MOUNT_LOCATION","message":"…","hint":"create /src, …","logTail":[…]}}
 */
import { TslimaError, isErrorCode, isTslimaError, type ErrorCode } from "../errors.js";

export interface AgentError {
  /** One of the closed list in src/errors.ts, without the ERR_TSLIMA_ prefix. */
  code: ErrorCode;
  message: string;
  hint?: string;
  /** Lines worth showing with it (cloud-init output, serial console). */
  logTail?: string[];
}

/** An error thrown in the agent as data; anything but a TslimaError is INTERNAL (a bug). */
export function toAgentError(e: unknown, logTail: string[] = []): AgentError {
  const out: AgentError = isTslimaError(e) ? { code: e.kind, message: e.message } : { code: "INTERNAL", message: e instanceof Error ? e.message : String(e) };
  if (isTslimaError(e) && e.hint !== undefined) out.hint = e.hint;
  if (logTail.length > 0) out.logTail = logTail;
  return out;
}

/** The `error` field of a parsed event, checked: a code outside the closed list becomes INTERNAL. */
export function readAgentError(v: unknown): AgentError | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.code !== "string" || typeof o.message !== "string") return undefined;
  const out: AgentError = { code: isErrorCode(o.code) ? o.code : "INTERNAL", message: o.message };
  if (typeof o.hint === "string") out.hint = o.hint;
  if (Array.isArray(o.logTail)) out.logTail = o.logTail.map(String);
  return out;
}

/** The agent's error as a TslimaError with its own code and hint; `context` prefixes the message. */
export function fromAgentError(e: AgentError, context: string, extraHint?: string): TslimaError {
  const tail = e.logTail && e.logTail.length > 0 ? `\n${e.logTail.join("\n")}` : "";
  const hints = [e.hint, extraHint].filter((h): h is string => h !== undefined && h !== "");
  return new TslimaError(e.code, `${context}: ${e.message}${tail}`, hints.length > 0 ? { hint: hints.join("\n      ") } : undefined);
}
