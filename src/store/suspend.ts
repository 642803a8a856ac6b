/**
 * The saved state of a suspended instance on disk: `vmstate` (QEMU's migration stream) and
 * `suspend.json` (its record, see suspend-record.ts). The record is the commit point: it is written
 * (to a temporary name, fsynced, renamed) only once the state file is complete and QEMU is gone, and
 * removed (fsynced) before a restored guest can run. An instance is Suspended exactly when a valid
 * record and a state file of the recorded size exist; anything else boots cold.
 */
import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { fsyncPath, writeFileAtomic } from "./atomic.js";
import type { InstancePaths } from "./paths.js";
import { parseSuspendRecord, type FileIdentity, type SuspendRecord } from "./suspend-record.js";

/** Where the state is written while QEMU saves it; renamed to `vmstate` when complete. */
export function vmStateTemp(paths: InstancePaths): string {
  return `${paths.vmState}.tmp`;
}

const HEAD_BYTES = 64 * 1024;

/** The identity of a file (see FileIdentity); undefined when it does not exist. */
export function fileIdentity(path: string): FileIdentity | undefined {
  let st;
  try {
    st = statSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  const head = Buffer.alloc(HEAD_BYTES);
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, HEAD_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  return {
    size: Number(st.size),
    mtimeNs: st.mtimeNs.toString(),
    ino: st.ino.toString(),
    dev: st.dev.toString(),
    headSha256: createHash("sha256").update(head.subarray(0, n)).digest("hex"),
  };
}

/** The files a state is tied to: diffdisk, basedisk, the snapshot's disk and the UEFI variable store when there are. */
export function diskIdentities(paths: InstancePaths): Record<string, FileIdentity> {
  const out: Record<string, FileIdentity> = {};
  for (const f of [paths.diffdisk, paths.basedisk, paths.snapshotDisk, paths.efiVars]) {
    const id = fileIdentity(f);
    if (id !== undefined) out[basename(f)] = id;
  }
  return out;
}

/** The current identities of the files a record names, by the same names. */
export function currentIdentities(paths: InstancePaths, names: string[]): Record<string, FileIdentity | undefined> {
  return Object.fromEntries(names.map((n) => [n, fileIdentity(`${paths.dir}/${n}`)]));
}

/** The saved record: undefined when there is none, `{ problem }` when it cannot be used. */
export function readSuspendRecord(paths: InstancePaths): { record: SuspendRecord } | { problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(paths.suspendRecord, "utf8");
  } catch {
    return undefined;
  }
  return parseSuspendRecord(text);
}

/** Size of the state file, undefined when it does not exist. */
export function stateFileBytes(paths: InstancePaths): number | undefined {
  try {
    return statSync(paths.vmState).size;
  } catch {
    return undefined;
  }
}

/** Whether the instance holds a state a start would try to restore (for status: Suspended). */
export function hasSavedState(paths: InstancePaths): boolean {
  const r = readSuspendRecord(paths);
  return r !== undefined && "record" in r && stateFileBytes(paths) === r.record.stateBytes;
}

/**
 * Commits a suspend: the complete state in vmStateTemp() becomes `vmstate`, then the record is
 * written to a temporary name, fsynced and renamed into place, and the directory fsynced.
 */
export function commitSuspendRecord(paths: InstancePaths, record: SuspendRecord): void {
  fsyncPath(vmStateTemp(paths));
  renameSync(vmStateTemp(paths), paths.vmState);
  writeFileAtomic(paths.suspendRecord, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, durable: true });
}

/**
 * Records the disks' current identities in a valid saved record (after a change that leaves what
 * the guest sees of them as it was: an internal qcow2 snapshot taken or deleted by
 * `snapshot --tag`), so the next start still resumes. Returns whether there was a record to update.
 */
export function rerecordDiskIdentities(paths: InstancePaths): boolean {
  const read = readSuspendRecord(paths);
  if (read === undefined || "problem" in read) return false;
  const now = diskIdentities(paths);
  const disks = Object.fromEntries(Object.keys(read.record.disks).map((n) => [n, now[n] ?? read.record.disks[n]!]));
  writeFileAtomic(paths.suspendRecord, `${JSON.stringify({ ...read.record, disks }, null, 2)}\n`, { mode: 0o600, durable: true });
  return true;
}

/**
 * Makes the record invalid, durably, before a restored guest can run (the state file stays, to be
 * loaded): a kill from here on leaves an instance that boots cold.
 */
export function invalidateSuspendRecord(paths: InstancePaths): void {
  rmSync(paths.suspendRecord, { force: true });
  rmSync(`${paths.suspendRecord}.tmp`, { force: true });
  fsyncPath(paths.dir);
}

/** Removes the record first, then the state files (the instance then boots cold). */
export function discardSavedState(paths: InstancePaths): void {
  invalidateSuspendRecord(paths);
  rmSync(paths.vmState, { force: true });
  rmSync(vmStateTemp(paths), { force: true });
}
