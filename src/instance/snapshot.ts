/**
 * Booted snapshots of running instances: `tslima snapshot create --running NAME SNAP`. The host
 * agent saves the VM's memory and devices and copies its disk at the same instant (the guest stands
 * still in between, its mounts unmounted as for a suspend), then the VM runs on; here the snapshot
 * is completed (the source's image, kernel, config and guest host key beside them, the disk made
 * to point at its own copy of the image) and committed under its name. See store/snapshot.ts for
 * the files and from-snapshot.ts for instances made from it.
 */
import { chownSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { AgentEvent } from "../store/events.js";
import { acquireLock } from "../store/lock.js";
import { globalPaths, tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { linkOrCopy } from "../store/atomic.js";
import { commitSnapshot, deleteSnapshot, listSnapshots, readSnapshot, snapshotWorkDir, type Snapshot } from "../store/snapshot.js";
import { SNAPSHOT_RECORD_VERSION, type SnapshotRecord } from "../store/snapshot-record.js";
import { guestHostname } from "../config/guest.js";
import { qemuImgRebase, qemuImgRebaseUnsafe } from "../qemu/index.js";
import { readImageRecord } from "../hostagent/prepare.js";
import { snapshotTakenPath, type SnapshotTaken } from "../hostagent/snapshot.js";
import { readHostResolverPort } from "../hostagent/guest-net.js";
import { requireInstance } from "./lookup.js";
import { instanceNameProblem } from "./names.js";
import { requestAgent } from "./agent-request.js";
import { loadInstanceConfig } from "./inventory.js";
import { snapshotLimaYaml } from "./snapshot-yaml.js";

export interface SnapshotCreateOptions {
  home?: string;
  /** Give up waiting after this long; default 10 minutes. */
  timeoutMs?: number;
  /** The agent's events of the snapshot (unmount, save-state, copy-disk, continue), as they arrive. */
  onEvent?: (e: AgentEvent) => void;
  onMessage?: (m: string) => void;
}

/** Refuses a snapshot name that is not an instance name (it becomes a directory name). */
export function validateSnapshotName(name: string): string {
  const problem = instanceNameProblem(name);
  if (problem !== undefined) {
    throw new TslimaError("INVALID_NAME", `invalid snapshot name ${JSON.stringify(name)}: ${problem}`, { hint: "a snapshot name follows the rules of instance names" });
  }
  return name;
}

/**
 * Takes a booted snapshot SNAP of the running instance NAME: its disk and memory at one instant,
 * from which `createFromSnapshot` makes new instances that resume instead of booting. The
 * instance keeps running (its mounts are unmounted for the instant of the save and mounted again).
 * A refusal (virtiofs, a busy mount) or failure leaves the VM running and no snapshot.
 */
export async function createSnapshot(name: string, snap: string, opts: SnapshotCreateOptions = {}): Promise<Snapshot> {
  const home = opts.home ?? tslimaHome();
  validateSnapshotName(snap);
  const paths = requireInstance(home, name);
  if (!("problem" in readSnapshot(home, snap))) {
    throw new TslimaError("SNAPSHOT_EXISTS", `a snapshot named ${snap} exists already`, { hint: `choose another name, or delete it first: tslima snapshot delete ${snap}` });
  }
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const say = opts.onMessage ?? (() => undefined);
  const lock = await acquireLock(paths.lock, { timeoutMs, onWait: (pid) => say(`waiting for another tslima process (pid ${pid}) that works on ${name}`) });
  const work = snapshotWorkDir(home, snap);
  try {
    // the agent writes the state and the disk copy: it may run as the instance directory's owner
    const owner = statSync(paths.dir);
    if (process.getuid?.() === 0 && owner.uid !== 0) chownSync(work.dir, owner.uid, owner.gid);
    const st = inspectStatus(paths);
    if (st.status !== "Running" || st.haPid === undefined) {
      throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}; a booted snapshot is taken of a running instance`, { hint: `start it first: tslima start ${name}` });
    }
    const image = readImageRecord(paths);
    if (image === undefined) throw new TslimaError("SNAPSHOT_FAILED", `instance ${name} has no image record (image.json)`, { hint: `restart it: tslima restart ${name}` });
    await requestAgent(paths, { type: "snapshot", dir: work.dir }, { timeoutMs, what: `the snapshot of ${name}`, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) });
    if (!existsSync(snapshotTakenPath(work))) {
      throw new TslimaError("SNAPSHOT_FAILED", `the host agent of ${name} exited before the snapshot was taken`, { hint: `see ${paths.haStderrLog}` });
    }
    const taken = JSON.parse(readFileSync(snapshotTakenPath(work), "utf8")) as SnapshotTaken;
    rmSync(snapshotTakenPath(work));
    // the rest of the snapshot: files that do not change while the VM runs
    const source = loadInstanceConfig(home, paths);
    writeFileSync(work.limaYaml, snapshotLimaYaml(readFileSync(paths.limaYaml, "utf8"), source.user));
    linkOrCopy(paths.basedisk, work.basedisk);
    if (image.kernel !== undefined) linkOrCopy(image.kernel, work.kernel);
    if (image.initrd !== undefined) linkOrCopy(image.initrd, work.initrd);
    copyFileSync(paths.hostKey, work.hostKey);
    copyFileSync(`${paths.hostKey}.pub`, `${work.hostKey}.pub`);
    // the disk's own backing name ("basedisk", or "snapshotdisk" in an instance made from a
    // snapshot) must name the snapshot's own basedisk: the layers between are merged into it
    if (existsSync(paths.snapshotDisk)) {
      await qemuImgRebaseUnsafe(work.disk, paths.snapshotDisk, "qcow2");
      await qemuImgRebase(work.disk, "basedisk", image.diskFormat);
    } else {
      await qemuImgRebaseUnsafe(work.disk, "basedisk", image.diskFormat);
    }
    const hostResolverPort = readHostResolverPort(paths.dir);
    const record: SnapshotRecord = {
      version: SNAPSHOT_RECORD_VERSION,
      name: snap,
      source: name,
      createdAt: new Date().toISOString(),
      qemu: taken.qemu,
      argv: taken.argv,
      stateBytes: taken.stateBytes,
      baseFormat: image.diskFormat,
      kernel: image.kernel !== undefined,
      initrd: image.initrd !== undefined,
      ...(image.cmdline !== undefined ? { cmdline: image.cmdline } : {}),
      location: image.location,
      efiVars: existsSync(work.efiVars),
      userKey: readFileSync(globalPaths(home).userPubKey, "utf8").trim(),
      hostname: guestHostname(name),
      ...(hostResolverPort !== undefined ? { hostResolverPort } : {}),
    };
    return commitSnapshot(home, work, record);
  } finally {
    rmSync(work.dir, { recursive: true, force: true });
    lock.release();
  }
}

/** Every booted snapshot of the home. */
export function snapshots(opts: { home?: string } = {}): Snapshot[] {
  return listSnapshots(opts.home ?? tslimaHome());
}

/** Deletes booted snapshot SNAP (instances made from it keep working: they hold links to its files). */
export function removeSnapshot(snap: string, opts: { home?: string } = {}): void {
  deleteSnapshot(opts.home ?? tslimaHome(), validateSnapshotName(snap));
}
