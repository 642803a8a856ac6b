/**
 * Deleting the instances whose owner process ended without doing it (store/owner.ts): an MCP
 * server's `--from` sandbox left by a SIGKILL or a crash is stopped (QEMU and its host agent) and
 * deleted, with the snapshots made for it, by the next tslima command (src/sandboxes.ts).
 */
import { existsSync } from "node:fs";
import { deleteSnapshot, readSnapshot } from "../store/snapshot.js";
import { join } from "node:path";
import { writeFileAtomic } from "../store/atomic.js";
import { OWNER_FILE, orphanedInstances, readOwner, type OwnerRecord } from "../store/owner.js";
import { instancePaths } from "../store/paths.js";
import { deleteInstance } from "./delete.js";

/** Records the instance's owner (this process, by default: see ownerRecord). */
export function writeOwner(instanceDir: string, r: OwnerRecord): void {
  writeFileAtomic(join(instanceDir, OWNER_FILE), `${JSON.stringify(r)}\n`, 0o600);
}

/** Deletes one owned instance and its snapshots (also while it runs). Idempotent. */
export async function deleteOwned(home: string, name: string, r: OwnerRecord | undefined = readOwner(instancePaths(home, name).dir)): Promise<void> {
  if (existsSync(instancePaths(home, name).dir)) await deleteInstance(name, { home, force: true });
  for (const s of r?.snapshots ?? []) if (!("problem" in readSnapshot(home, s))) deleteSnapshot(home, s);
}

/** Adds a snapshot to the instance's owner record (it is deleted with the instance). */
export function recordOwnedSnapshot(home: string, name: string, snap: string): void {
  const dir = instancePaths(home, name).dir;
  const r = readOwner(dir);
  if (r !== undefined && !r.snapshots.includes(snap)) writeOwner(dir, { ...r, snapshots: [...r.snapshots, snap] });
}

/** Deletes every instance of `home` whose owner has ended; returns what was deleted, with its owner's purpose. */
export async function reapOrphans(home: string): Promise<{ name: string; purpose: string }[]> {
  const done: { name: string; purpose: string }[] = [];
  for (const [name, r] of orphanedInstances(home)) {
    try {
      await deleteOwned(home, name, r);
      done.push({ name, purpose: r.purpose });
    } catch {
      // another command deletes it at the same time, or it is busy: the next command tries again
    }
  }
  return done;
}
