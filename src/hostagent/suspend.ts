/**
 * Suspend (the host agent, asked on its control socket ha.sock after READY) and resume (a start that finds a saved state).
 *
 * Suspend: refuse what QEMU cannot save (virtiofs) and busy mounts, naming the guest processes;
 * unmount every mount in the guest; stop the sessions that cross into the guest (reverse-sshfs,
 * port forwards, the ControlMaster); pause the guest and write its state to `vmstate.tmp`; quit
 * QEMU; then commit the record (store/suspend.ts). Until QEMU is told to quit, every failure undoes
 * what was done (mounts, sessions, `cont`) and the VM keeps running.
 *
 * Resume: the record is checked against the disks and the command line a boot would use now
 * (resumeDecision) and removed before QEMU starts (a kill from there on boots cold next time);
 * QEMU starts with `-incoming defer`, loads the state, and the guest gets its clock and its mounts
 * back (restoreGuest).
 */
import { constants, copyFileSync, existsSync, rmSync, statSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { MountPlan } from "../mounts/types.js";
import { asRoot, BUSY_SCRIPT, describeBusy, parseBusy, parseUnmount, REMOUNT_SCRIPT, UNMOUNT_SCRIPT, unsuspendableMounts } from "../mounts/index.js";
import { hardwareArgv, loadStateUri, loadVmState, migrationBlockers, QmpClient, saveStateUri, saveVmState, type QemuFacts } from "../qemu/index.js";
import { guestExec } from "../ssh/exec.js";
import { closeControlMaster } from "../ssh/exec.js";
import type { InstancePaths, SnapshotPaths } from "../store/paths.js";
import type { Step } from "../store/events.js";
import { commitSuspendRecord, currentIdentities, diskIdentities, discardSavedState, readSuspendRecord, stateFileBytes, vmStateTemp } from "../store/suspend.js";
import { resumeObstacle, SUSPEND_RECORD_VERSION, type SuspendRecord } from "../store/suspend-record.js";
import type { Supervised } from "./processes.js";
import { pause } from "../proc/wait.js";
import { terminate } from "../proc/pid.js";

/** The blocker QEMU's 9p server sets while the guest has a share mounted; unmounting lifts it. */
const NINEP_BLOCKER = /VirtFS|9p/i;

/** What the agent lends a suspend: its running pieces, and how to stop and restart its guest sessions. */
export interface SuspendContext {
  paths: InstancePaths;
  plan: MountPlan;
  qemu: Supervised;
  qemuFacts: Pick<QemuFacts, "binary" | "version">;
  /** The command line QEMU runs with. */
  argv: string[];
  sshPort: number;
  step: (s: Step, message: string) => void;
  log: (m: string) => void;
  /** Ends the reverse-sshfs sessions for good (their guest mounts are unmounted right after). */
  stopSshfs(): Promise<void>;
  /** Connects reverse-sshfs again (a failed suspend). */
  startSshfs(): Promise<void>;
  stopForwarding(): Promise<void>;
  startForwarding(): void;
}

/** What quiesce() prepares the VM for: the words of its errors. */
type Purpose = "suspend" | "snapshot";
const verb = (p: Purpose) => (p === "suspend" ? "suspend" : "take a booted snapshot of");

function unsupported(paths: InstancePaths, why: string, purpose: Purpose): TslimaError {
  return new TslimaError("SUSPEND_UNSUPPORTED", `cannot ${verb(purpose)} ${paths.name}: ${why}; it keeps running`, {
    hint: `QEMU cannot save a VM with virtiofs mounts: use mountType "9p" or "reverse-sshfs" for them in lima.yaml (tslima edit, then restart)${purpose === "suspend" ? `, or stop the instance instead: tslima stop ${paths.name}` : ""}`,
  });
}

async function rootScript(paths: InstancePaths, script: string, name: string, args: string[]) {
  const r = await guestExec(paths, asRoot(script, name, args), { timeoutMs: 120_000 });
  if (r.code === 255 || /sudo:/.test(r.stderr)) {
    throw new TslimaError("SUSPEND_FAILED", `cannot run ${name} as root in the guest of ${paths.name}: ${r.stderr.trim() || `exit ${r.code}`}`, {
      hint: "suspend and snapshots unmount the guest's mounts with sudo -n: they need user.passwordlessSudo (the default) and a working ssh",
    });
  }
  return r;
}

/** Throws SUSPEND_BUSY naming the guest processes that hold any of the mount points. */
async function refuseIfBusy(paths: InstancePaths, mountPoints: string[], purpose: Purpose, failedUnmount?: string): Promise<void> {
  const holders = parseBusy((await rootScript(paths, BUSY_SCRIPT, "tslima-busy", mountPoints)).stdout);
  if (holders.length === 0 && failedUnmount === undefined) return;
  const what = holders.length > 0 ? describeBusy(holders) : `umount said: ${failedUnmount}`;
  throw new TslimaError("SUSPEND_BUSY", `cannot ${verb(purpose)} ${paths.name}: a mount is in use in the guest: ${what}; it keeps running`, {
    hint: `end ${holders.length === 1 ? "that process (or make it" : "those processes (or make them"} leave the mount), then try again${purpose === "suspend" ? `; or stop the instance instead: tslima stop ${paths.name}` : ""}`,
  });
}

/** Undoes what quiesce() did, newest first; failures are logged (the VM runs on). */
type Undo = Array<() => Promise<void>>;
async function undoAll(c: SuspendContext, undo: Undo): Promise<void> {
  for (const u of undo.reverse()) await u().catch((err: unknown) => c.log(`undoing the preparation for the save: ${(err as Error).message}`));
}

/**
 * Makes the running VM savable: refuses virtiofs and other QMP blockers and busy mounts, then
 * unmounts every mount in the guest, ends reverse-sshfs, port forwards and the ControlMaster (no
 * host session may cross a save). Returns how to undo it; on failure it undoes itself and throws.
 */
async function quiesce(c: SuspendContext, qmp: QmpClient, purpose: Purpose): Promise<Undo> {
  const virtiofs = unsuspendableMounts(c.plan.mounts);
  if (virtiofs.length > 0) throw unsupported(c.paths, `it has virtiofs mount(s) (${virtiofs.map((m) => m.mount.mountPoint).join(", ")}), a device QEMU cannot save`, purpose);
  const blockers = (await migrationBlockers(qmp)).filter((r) => !NINEP_BLOCKER.test(r));
  if (blockers.length > 0) throw unsupported(c.paths, `QEMU cannot save it: ${blockers.join("; ")}`, purpose);
  const all = c.plan.mounts.map((m) => m.expect.mountPoint);
  const fstab = c.plan.mounts.filter((m) => m.fstab !== undefined).map((m) => m.expect.mountPoint);
  const sshfs = c.plan.mounts.filter((m) => m.sshfs !== undefined);
  c.step("unmount", all.length > 0 ? `Unmounting ${all.length} mount(s) in the guest` : "Flushing the guest's disk caches");
  if (all.length > 0) await refuseIfBusy(c.paths, all, purpose);
  const undo: Undo = [];
  try {
    if (sshfs.length > 0) {
      await c.stopSshfs();
      undo.push(() => c.startSshfs());
    }
    const r = await rootScript(c.paths, UNMOUNT_SCRIPT, "tslima-unmount", all);
    const out = parseUnmount(r.stdout);
    const again = out.unmounted.filter((m) => fstab.includes(m));
    if (again.length > 0) undo.push(() => remount(c.paths, again));
    if (out.failed !== undefined) await refuseIfBusy(c.paths, [out.failed.mountPoint], purpose, out.failed.message);
    if (r.code !== 0) throw new TslimaError("SUSPEND_FAILED", `unmounting in the guest failed: ${r.stderr.trim() || `exit ${r.code}`}`, { hint: "see ha.stderr.log of the instance" });
    const still = await migrationBlockers(qmp);
    if (still.length > 0) throw new TslimaError("SUSPEND_FAILED", `QEMU still cannot save ${c.paths.name}: ${still.join("; ")}`, { hint: "see ha.stderr.log of the instance" });
    await c.stopForwarding();
    undo.push(() => Promise.resolve(c.startForwarding()));
    // no host session may cross the save: the restored guest would hold dead connections
    closeControlMaster(c.paths);
    return undo;
  } catch (e) {
    await undoAll(c, undo);
    throw e;
  }
}

/** Saves the VM (see the file comment). Resolves once the record is committed and QEMU is gone. */
export async function suspendVm(c: SuspendContext): Promise<SuspendRecord> {
  const qmp = await QmpClient.connect(c.paths.qmpSock);
  try {
    const undo = await quiesce(c, qmp, "suspend");
    try {
      c.step("save-state", `Saving the VM state to ${c.paths.vmState}`);
      rmSync(vmStateTemp(c.paths), { force: true });
      const saved = await saveVmState(qmp, saveStateUri(vmStateTemp(c.paths)));
      c.log(`saved ${saved.ramBytes} bytes of RAM in ${saved.ms} ms`);
    } catch (e) {
      rmSync(vmStateTemp(c.paths), { force: true });
      await undoAll(c, undo);
      throw e;
    }
    const savedAt = new Date().toISOString();
    await qmp.execute("quit").catch(() => undefined);
    const gone = await Promise.race([c.qemu.exited.then(() => true), pause(30_000).then(() => false)]);
    if (!gone && c.qemu.child.pid !== undefined) await terminate(c.qemu.child.pid, 10_000);
    const record: SuspendRecord = {
      version: SUSPEND_RECORD_VERSION,
      savedAt,
      qemu: { binary: c.qemuFacts.binary, version: c.qemuFacts.version },
      argv: hardwareArgv(c.argv, c.paths),
      sshPort: c.sshPort,
      stateBytes: statSync(vmStateTemp(c.paths)).size,
      disks: diskIdentities(c.paths),
    };
    commitSuspendRecord(c.paths, record);
    return record;
  } finally {
    qmp.close();
  }
}

/** Where the agent leaves SnapshotTaken in the work directory (removed when the snapshot is committed). */
export function snapshotTakenPath(target: SnapshotPaths): string {
  return `${target.dir}/taken.json`;
}

/** What a booted snapshot's agent part leaves in the work directory, for the caller to complete. */
export interface SnapshotTaken {
  stateBytes: number;
  /** hardwareArgv() of the running command line. */
  argv: string[];
  qemu: { binary: string; version: string };
}

/**
 * Takes the agent's part of a booted snapshot into `target` (a work directory): quiesce as for a
 * suspend, save the memory and devices to `vmstate`, copy the disk (and the UEFI variables) while
 * the guest stands still, then let it run on: `cont`, mounts, sessions and forwards back, its
 * clock set. Any failure before `cont` removes what was written and leaves the VM running.
 */
export async function snapshotVm(c: SuspendContext, target: SnapshotPaths, clock: () => Promise<void>): Promise<SnapshotTaken> {
  const qmp = await QmpClient.connect(c.paths.qmpSock);
  try {
    const undo = await quiesce(c, qmp, "snapshot");
    let stateBytes: number;
    try {
      c.step("save-state", `Saving the VM state to ${target.vmState}`);
      const saved = await saveVmState(qmp, saveStateUri(target.vmState));
      c.log(`saved ${saved.ramBytes} bytes of RAM in ${saved.ms} ms`);
      stateBytes = statSync(target.vmState).size;
      // QEMU flushed and let go of its images when the migration completed: the files are still
      c.step("copy-disk", `Copying the disk at this instant to ${target.disk}`);
      copyFileSync(c.paths.diffdisk, target.disk, constants.COPYFILE_FICLONE);
      if (existsSync(c.paths.efiVars)) copyFileSync(c.paths.efiVars, target.efiVars, constants.COPYFILE_FICLONE);
    } catch (e) {
      for (const f of [target.vmState, target.disk, target.efiVars]) rmSync(f, { force: true });
      await qmp.execute("cont").catch(() => undefined);
      await undoAll(c, undo);
      throw e;
    }
    c.step("continue", "Letting the guest run on");
    await qmp.execute("cont");
    await undoAll(c, undo);
    await clock().catch((e: unknown) => c.log(`setting the guest's clock after the snapshot: ${(e as Error).message}`));
    return { stateBytes, argv: hardwareArgv(c.argv, c.paths), qemu: { binary: c.qemuFacts.binary, version: c.qemuFacts.version } };
  } finally {
    qmp.close();
  }
}

async function remount(paths: InstancePaths, mountPoints: string[], script = REMOUNT_SCRIPT): Promise<void> {
  if (mountPoints.length === 0) return;
  const r = await guestExec(paths, asRoot(script, "tslima-remount", mountPoints), { timeoutMs: 120_000 });
  if (r.code !== 0) throw new TslimaError("MOUNTS", `mounting ${mountPoints.join(", ")} again in the guest failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}

/** The saved record a boot may restore, or why not (then the state is discarded), or nothing saved. */
export type ResumeDecision = { record: SuspendRecord } | { reason: string } | undefined;

/**
 * Whether this boot restores the saved state: compares the record (`saved`, read once by the agent) with the QEMU and the command
 * line (`argv`, as a boot would run it now) and with the disks as they are. A state that may not be
 * restored is discarded here.
 */
export function resumeDecision(
  paths: InstancePaths,
  saved: ReturnType<typeof readSuspendRecord>,
  now: { qemu: Pick<QemuFacts, "binary" | "version">; argv: string[] },
): ResumeDecision {
  if (saved === undefined) {
    discardSavedState(paths); // a state file without a record (a suspend or resume that was killed)
    return undefined;
  }
  const reason =
    "problem" in saved
      ? `the suspend record is unusable (${saved.problem})`
      : resumeObstacle(saved.record, {
          qemu: { binary: now.qemu.binary, version: now.qemu.version },
          argv: hardwareArgv(now.argv, paths),
          disks: currentIdentities(paths, Object.keys(saved.record.disks)),
          stateBytes: stateFileBytes(paths),
        });
  if (reason === undefined && "record" in saved) return { record: saved.record };
  discardSavedState(paths);
  return { reason: reason ?? "the suspend record is unusable" };
}

/** Loads the saved state into QEMU (started with -incoming defer); the state file is removed after. */
export async function restoreState(paths: InstancePaths, log: (m: string) => void): Promise<void> {
  const qmp = await QmpClient.connect(paths.qmpSock, { retry: true, timeoutMs: 30_000 });
  try {
    const t0 = Date.now();
    await loadVmState(qmp, loadStateUri(paths.vmState));
    log(`restored the VM state in ${Date.now() - t0} ms`);
  } finally {
    qmp.close();
    rmSync(paths.vmState, { force: true });
  }
}

/** Sets the guest's clock to the host's and its hostname (IDENTITY_SCRIPT of readiness-plan.ts). */
export async function syncGuestClock(paths: InstancePaths, script: string, hostname: string): Promise<string> {
  // the ControlMaster is up (the ssh step): the command reaches the guest a fraction of a second later
  const r = await guestExec(paths, asRoot(script, "tslima-identity", [(Date.now() / 1000).toFixed(3), hostname]), { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new TslimaError("RESUME_FAILED", `cannot set the guest's clock and hostname: ${r.stderr.trim() || `exit ${r.code}`}`, {
      hint: "resume sets them with sudo -n: it needs user.passwordlessSudo (the default)",
    });
  }
  return r.stdout.trim();
}

/** Mounts the fstab mounts (9p) again with `script` (REMOUNT_SCRIPT); reverse-sshfs is the agent's to reconnect. */
export async function remountGuest(paths: InstancePaths, script: string, mountPoints: string[]): Promise<void> {
  await remount(paths, mountPoints, script);
}
