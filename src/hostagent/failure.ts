import { readFileSync } from "node:fs";
import { toAgentError } from "../store/agent-error.js";
import type { InstancePaths } from "../store/paths.js";
import type { Reporter } from "./agent-io.js";
import { cloudInitOutputTail } from "./guest.js";

function tail(path: string, lines: number): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").slice(-lines);
  } catch {
    return [];
  }
}

/**
 * Reports a failed start: logged (with its stack when it is not a TslimaError: a bug), then the
 * "failed" event with the error as data and the tails of cloud-init's output (when the guest can
 * still be asked) and of the serial console.
 */
export async function reportFailure(paths: InstancePaths, e: unknown, report: Reporter, guestReachable: boolean): Promise<void> {
  report.logError("error", e);
  const logTail: string[] = [];
  if (guestReachable) {
    const ci = await cloudInitOutputTail(paths);
    if (ci.length > 0) logTail.push("--- /var/log/cloud-init-output.log (tail) ---", ...ci);
  }
  const serial = tail(paths.serialLog, 20);
  if (serial.length > 0) logTail.push("--- serial.log (tail) ---", ...serial);
  const error = toAgentError(e, logTail);
  report.status.errors = [error.message];
  report.emit({ kind: "failed", message: "failed", error });
  report.status.errors = undefined;
}
