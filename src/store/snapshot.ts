/**
 * Booted snapshots on disk: `TSLIMA_HOME/_snapshots/NAME/` holds a frozen disk (`disk`, a qcow2
 * over `basedisk`), the memory and devices at the same instant (`vmstate`), the source's lima.yaml,
 * kernel, initrd and guest host key, and the record (`snapshot.json`, store/snapshot-record.ts).
 * A snapshot is made in `.NAME.tmp-*` and renamed into place once complete, so a name is either a
 * whole snapshot or absent; a kill leaves only a temporary directory that the next snapshot
 * command of that name removes. Every file is read-only to its owner alone (0400, store/private.ts):
 * instances made from it link to them.
 */
import { chmodSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { snapshotPaths, snapshotPathsIn, snapshotsRoot, type SnapshotPaths } from "./paths.js";
import { parseSnapshotRecord, type SnapshotRecord } from "./snapshot-record.js";
import { fsyncPath, writeFileAtomic } from "./atomic.js";
import { FROZEN_FILE_MODE, makePrivateDir, makePrivateTempDir } from "./private.js";

/** A complete snapshot: its files and its record. */
export interface Snapshot {
  paths: SnapshotPaths;
  record: SnapshotRecord;
}

/** The snapshot NAME of `home`, or why it cannot be used (missing, half-made, unreadable record). */
export function readSnapshot(home: string, name: string): Snapshot | { problem: string } {
  const paths = snapshotPaths(home, name);
  let text: string;
  try {
    text = readFileSync(paths.record, "utf8");
  } catch {
    return { problem: `there is no snapshot ${name} in ${snapshotsRoot(home)}` };
  }
  const r = parseSnapshotRecord(text);
  if ("problem" in r) return { problem: `the record of snapshot ${name} is unusable (${r.problem})` };
  let size: number | undefined;
  try {
    size = statSync(paths.vmState).size;
  } catch {
    size = undefined;
  }
  if (size !== r.record.stateBytes) return { problem: `snapshot ${name} is incomplete: its vmstate has ${size ?? "no"} bytes, not ${r.record.stateBytes}` };
  return { paths, record: r.record };
}

/** The snapshot or SNAPSHOT_NOT_FOUND. */
export function requireSnapshot(home: string, name: string): Snapshot {
  const s = readSnapshot(home, name);
  if ("problem" in s) {
    throw new TslimaError("SNAPSHOT_NOT_FOUND", s.problem, { hint: "tslima snapshot list shows the booted snapshots; tslima snapshot create --running INSTANCE NAME makes one" });
  }
  return s;
}

/** Every complete snapshot of `home`, by name. */
export function listSnapshots(home: string): Snapshot[] {
  let names: string[];
  try {
    names = readdirSync(snapshotsRoot(home)).filter((n) => !n.startsWith(".")).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const s = readSnapshot(home, n);
    return "problem" in s ? [] : [s];
  });
}

/**
 * A fresh temporary directory for snapshot NAME (`.NAME.tmp-*` beside the snapshots), after
 * removing what an earlier, killed attempt at the same name left.
 */
export function snapshotWorkDir(home: string, name: string): SnapshotPaths {
  const root = snapshotsRoot(home);
  makePrivateDir(root);
  for (const n of readdirSync(root)) if (n.startsWith(`.${name}.tmp-`)) rmSync(join(root, n), { recursive: true, force: true });
  return snapshotPathsIn(makePrivateTempDir(root, `.${name}.tmp-`), name);
}

/**
 * Makes a finished work directory the snapshot: the files become read-only, the record is written
 * (durably), and the directory renamed into place. SNAPSHOT_EXISTS when the name was taken meanwhile.
 */
export function commitSnapshot(home: string, work: SnapshotPaths, record: SnapshotRecord): Snapshot {
  for (const f of readdirSync(work.dir)) chmodSync(join(work.dir, f), FROZEN_FILE_MODE);
  writeFileAtomic(work.record, `${JSON.stringify(record, null, 2)}\n`, { mode: FROZEN_FILE_MODE, durable: true });
  const final = snapshotPaths(home, work.name);
  try {
    renameSync(work.dir, final.dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      rmSync(work.dir, { recursive: true, force: true });
      throw new TslimaError("SNAPSHOT_EXISTS", `a snapshot named ${work.name} exists already`, { hint: `choose another name, or delete it first: tslima snapshot delete ${work.name}` });
    }
    throw e;
  }
  fsyncPath(snapshotsRoot(home));
  return { paths: final, record };
}

/** Removes snapshot NAME (instances made from it keep their own links to its files). */
export function deleteSnapshot(home: string, name: string): void {
  const s = requireSnapshot(home, name);
  // the record goes first: a kill midway leaves no half snapshot that looks whole
  rmSync(s.paths.record, { force: true });
  rmSync(s.paths.dir, { recursive: true, force: true });
}
