/**
 * The record `bin/tslima`'s shell fast path reads (`<instance>/shell-fast`): while the instance is
 * READY, everything `tslima shell NAME COMMAND...` needs to run ssh without starting Node (issue 11:
 * Node's own start-up is most of what a shell costs beyond its ssh). The host agent writes it at
 * READY and removes it when it stops; the launcher trusts it only while both recorded processes are
 * alive with the recorded start times, so a crash leaves a record that is simply ignored.
 *
 * Format (version 1), one field per line, TAB-separated, read by POSIX sh's `read`:
 *   tslima-shell-fast 1
 *   ha PID STARTTIME        the host agent (STARTTIME: field 22 of /proc/PID/stat)
 *   qemu PID STARTTIME
 *   home GUEST_HOME
 *   mount HOST_LOCATION GUEST_MOUNT_POINT     (one line per mount, in the config's order)
 * A value with a TAB or a newline cannot be written this way: then there is no record, and the
 * Node CLI serves every shell. Linux only (/proc); elsewhere there is never a record.
 */
import { readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import type { InstancePaths } from "./paths.js";
import type { ShellFacts } from "./shell-facts.js";

export const SHELL_FAST_MAGIC = "tslima-shell-fast 1";

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): tells a recycled pid apart. */
  startTime: string;
}

/** The record's text, or undefined when a value cannot be written in it. Pure. */
export function formatShellFast(facts: ShellFacts, ha: ProcessIdentity, qemu: ProcessIdentity): string | undefined {
  const values = [facts.home, ...facts.mounts.flatMap((m) => [m.location, m.mountPoint])];
  if (values.some((v) => /[\t\n\r]/.test(v) || v === "")) return undefined;
  const lines = [
    SHELL_FAST_MAGIC,
    `ha\t${ha.pid}\t${ha.startTime}`,
    `qemu\t${qemu.pid}\t${qemu.startTime}`,
    `home\t${facts.home}`,
    ...facts.mounts.map((m) => `mount\t${m.location}\t${m.mountPoint}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold blanks). Pure. */
export function parseStartTime(stat: string): string | undefined {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const v = rest[19];
  return v !== undefined && /^\d+$/.test(v) ? v : undefined;
}

/** The pid with its start time, or undefined without /proc or when the process is gone. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const startTime = parseStartTime(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return startTime === undefined ? undefined : { pid, startTime };
  } catch {
    return undefined;
  }
}

/** Writes the record for a READY instance (or removes a stale one when it cannot be written). */
export function writeShellFast(paths: InstancePaths, facts: ShellFacts, haPid: number, qemuPid: number | undefined): void {
  const ha = processIdentity(haPid);
  const qemu = qemuPid === undefined ? undefined : processIdentity(qemuPid);
  const text = ha && qemu ? formatShellFast(facts, ha, qemu) : undefined;
  if (text === undefined) removeShellFast(paths);
  else writeFileAtomic(paths.shellFast, text);
}

export function removeShellFast(paths: InstancePaths): void {
  rmSync(paths.shellFast, { force: true });
}
