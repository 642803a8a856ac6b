/**
 * `mcp serve --from SNAP`: a fresh instance for one agent connection, made from a booted snapshot
 * (a resume: seconds, not a boot) and deleted when the connection ends. The instance is owned by
 * the server process (store/owner.ts), so when the server dies without deleting it (SIGKILL), the
 * next tslima command does (src/sandboxes.ts). The agent's project folder is mounted into it
 * (reverse-sshfs, writable) unless the snapshot has mounts of its own or `mounts` says otherwise.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfigText } from "../config/index.js";
import { probeHostFacts } from "../host/facts.js";
import { createFromSnapshot } from "../instance/from-snapshot.js";
import { deleteOwned, writeOwner } from "../instance/owned.js";
import { startInstance } from "../instance/start.js";
import { requireSnapshot } from "../store/snapshot.js";
import { ownerRecord } from "../store/owner.js";
import { instancePaths } from "../store/paths.js";
import type { MountInput } from "../config/types.js";

export interface SandboxFromOptions {
  home: string;
  /** The instance's name; default `mcp-SNAP-XXXXXX`. */
  name?: string;
  /** Its own mounts (when the snapshot has none); default the project folder, writable. */
  mounts?: MountInput[];
  project: string;
  onMessage?: (m: string) => void;
  signal?: AbortSignal;
}

/** How many mounts the snapshot's machine booted with (its instances keep those, and have no others). */
export function snapshotMountCount(home: string, snap: string): number {
  const s = requireSnapshot(home, snap);
  const text = readFileSync(s.paths.limaYaml, "utf8");
  return loadConfigText(text, s.paths.limaYaml, { hostFacts: probeHostFacts(), tslimaHome: home, instanceName: snap }).config.mounts.length;
}

/** Makes and starts the sandbox instance: its name and the mounts of its own. Nothing is left behind when it fails. */
export async function startSandbox(snap: string, o: SandboxFromOptions): Promise<{ name: string; mounts: MountInput[] | undefined }> {
  const name = o.name ?? `mcp-${snap}-${randomBytes(3).toString("hex")}`;
  const own = snapshotMountCount(o.home, snap) === 0;
  const mounts = own ? (o.mounts ?? [{ location: o.project, writable: true }]) : undefined;
  await createFromSnapshot(snap, name, { home: o.home, ...(mounts !== undefined && mounts.length > 0 ? { config: { mounts } } : {}) });
  writeOwner(instancePaths(o.home, name).dir, ownerRecord(`mcp serve --from ${snap}`));
  try {
    await startInstance(name, { home: o.home, ...(o.onMessage ? { onMessage: o.onMessage } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  } catch (e) {
    await deleteOwned(o.home, name);
    throw e;
  }
  return { name, mounts };
}
