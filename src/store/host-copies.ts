/**
 * The host files copied from the guest (Lima's `copyToHost`) that go when the instance stops
 * (`deleteOnStop`): `<instance>/copied-to-host.json`, a list of host paths. The agent adds a path
 * before it writes the file and removes them all when it shuts down; a record left by an agent that
 * died is carried out by the next start or stop.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { InstancePaths } from "./paths.js";
import { writeFileAtomic } from "./atomic.js";

const recordOf = (paths: InstancePaths) => join(paths.dir, "copied-to-host.json");

function readRecord(paths: InstancePaths): string[] {
  try {
    const v: unknown = JSON.parse(readFileSync(recordOf(paths), "utf8"));
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === "string" && p.startsWith("/")) : [];
  } catch {
    return [];
  }
}

/** Records `host` as a copy to remove when the instance stops (before it is written). */
export function recordHostCopy(paths: InstancePaths, host: string): void {
  const now = readRecord(paths);
  if (!now.includes(host)) writeFileAtomic(recordOf(paths), `${JSON.stringify([...now, host])}\n`, { durable: true });
}

/**
 * Removes the recorded copies (each a file or a link: a directory put there since is left, with a
 * line to `log`), then the record.
 */
export function removeHostCopies(paths: InstancePaths, log: (m: string) => void): void {
  for (const p of readRecord(paths)) {
    try {
      rmSync(p, { force: true });
      log(`copyToHost: removed ${p} (deleteOnStop)`);
    } catch (e) {
      log(`copyToHost: could not remove ${p}: ${(e as Error).message}`);
    }
  }
  rmSync(recordOf(paths), { force: true });
}
