/**
 * What a SIGUSR2 asks the host agent for: `<instance>/request.json`, written (atomically) by the
 * one process that holds the instance lock, then taken (read and removed) by the agent when the
 * signal arrives. No file means a suspend (as before requests existed).
 */
import { readFileSync, rmSync } from "node:fs";
import type { InstancePaths } from "./paths.js";
import { writeFileAtomic } from "./atomic.js";

export type AgentRequest = { action: "suspend" } | { action: "snapshot"; dir: string };

export function writeRequest(paths: InstancePaths, r: AgentRequest): void {
  writeFileAtomic(paths.request, `${JSON.stringify(r)}\n`, { mode: 0o600 });
}

/** Reads and removes the request: no file is a suspend; a file that is no request says so. */
export function takeRequest(paths: InstancePaths): AgentRequest | { problem: string } {
  let text: string;
  try {
    text = readFileSync(paths.request, "utf8");
  } catch {
    return { action: "suspend" };
  }
  rmSync(paths.request, { force: true });
  return parseRequest(text);
}

/** A request file's text as a request, or what is wrong with it. Pure. */
export function parseRequest(text: string): AgentRequest | { problem: string } {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { problem: "request.json is not JSON" };
  }
  if (o === null || typeof o !== "object") return { problem: "request.json is not an object" };
  if (o.action === "suspend") return { action: "suspend" };
  if (o.action === "snapshot" && typeof o.dir === "string" && o.dir.startsWith("/")) return { action: "snapshot", dir: o.dir };
  return { problem: `request.json asks for ${JSON.stringify(o.action)} (not suspend, or snapshot with an absolute dir)` };
}
