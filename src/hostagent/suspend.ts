/**
 * Suspend (the host agent, on SIGUSR2 after READY) and resume (a start that finds a saved state).
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
import { rmSync, statSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { MountPlan } from "../mounts/types.js";
import { asRoot, BUSY_SCRIPT, describeBusy, parseBusy, parseUnmount, REMOUNT_SCRIPT, UNMOUNT_SCRIPT, unsuspendableMounts } from "../mounts/index.js";
import { hardwareArgv, loadStateUri, loadVmState, migrationBlockers, QmpClient, saveStateUri, saveVmState, type QemuFacts } from "../qemu/index.js";
import { guestExec } from "../ssh/exec.js";
import { closeControlMaster } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
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

function unsupported(paths: InstancePaths, why: string): TslimaError {
  return new TslimaError("SUSPEND_UNSUPPORTED", `cannot suspend ${paths.name}: ${why}; it keeps running`, {
    hint: `QEMU cannot save a VM with virtiofs mounts: use mountType "9p" or "reverse-sshfs" for them in lima.yaml (tslima edit, then restart), or stop the instance instead: tslima stop ${paths.name}`,
  });
}

async function rootScript(paths: InstancePaths, script: string, name: string, args: string[]) {
  const r = await guestExec(paths, asRoot(script, name, args), { timeoutMs: 120_000 });
  if (r.code === 255 || /sudo:/.test(r.stderr)) {
    throw new TslimaError("SUSPEND_FAILED", `cannot run ${name} as root in the guest of ${paths.name}: ${r.stderr.trim() || `exit ${r.code}`}`, {
      hint: "suspend unmounts the guest's mounts with sudo -n: it needs user.passwordlessSudo (the default) and a working ssh",
    });
  }
  return r;
}

/** Throws SUSPEND_BUSY naming the guest processes that hold any of the mount points. */
async function refuseIfBusy(paths: InstancePaths, mountPoints: string[], failedUnmount?: string): Promise<void> {
  const holders = parseBusy((await rootScript(paths, BUSY_SCRIPT, "tslima-busy", mountPoints)).stdout);
  if (holders.length === 0 && failedUnmount === undefined) return;
  const what = holders.length > 0 ? describeBusy(holders) : `umount said: ${failedUnmount}`;
  throw new TslimaError("SUSPEND_BUSY", `cannot suspend ${paths.name}: a mount is in use in the guest: ${what}; it keeps running`, {
    hint: `end ${holders.length === 1 ? "that process (or make it" : "those processes (or make them"} leave the mount), then suspend again; or stop the instance instead: tslima stop ${paths.name}`,
  });
}

/** Saves the VM (see the file comment). Resolves once the record is committed and QEMU is gone. */
export async function suspendVm(c: SuspendContext): Promise<SuspendRecord> {
  const virtiofs = unsuspendableMounts(c.plan.mounts);
  if (virtiofs.length > 0) throw unsupported(c.paths, `it has virtiofs mount(s) (${virtiofs.map((m) => m.mount.mountPoint).join(", ")}), a device QEMU cannot save`);
  const qmp = await QmpClient.connect(c.paths.qmpSock);
  try {
    const blockers = (await migrationBlockers(qmp)).filter((r) => !NINEP_BLOCKER.test(r));
    if (blockers.length > 0) throw unsupported(c.paths, `QEMU cannot save it: ${blockers.join("; ")}`);
    const all = c.plan.mounts.map((m) => m.expect.mountPoint);
    const fstab = c.plan.mounts.filter((m) => m.fstab !== undefined).map((m) => m.expect.mountPoint);
    const sshfs = c.plan.mounts.filter((m) => m.sshfs !== undefined);
    c.step("unmount", all.length > 0 ? `Unmounting ${all.length} mount(s) in the guest` : "Flushing the guest's disk caches");
    if (all.length > 0) await refuseIfBusy(c.paths, all);
    const undo: Array<() => Promise<void>> = [];
    try {
      if (sshfs.length > 0) {
        await c.stopSshfs();
        undo.push(() => c.startSshfs());
      }
      const r = await rootScript(c.paths, UNMOUNT_SCRIPT, "tslima-unmount", all);
      const out = parseUnmount(r.stdout);
      const again = out.unmounted.filter((m) => fstab.includes(m));
      if (again.length > 0) undo.push(() => remount(c.paths, again));
      if (out.failed !== undefined) await refuseIfBusy(c.paths, [out.failed.mountPoint], out.failed.message);
      if (r.code !== 0) throw new TslimaError("SUSPEND_FAILED", `unmounting in the guest failed: ${r.stderr.trim() || `exit ${r.code}`}`, { hint: "see ha.stderr.log of the instance" });
      const still = (await migrationBlockers(qmp));
      if (still.length > 0) throw new TslimaError("SUSPEND_FAILED", `QEMU still cannot save ${c.paths.name}: ${still.join("; ")}`, { hint: "see ha.stderr.log of the instance" });
      await c.stopForwarding();
      undo.push(() => Promise.resolve(c.startForwarding()));
      // no host session may cross the save: the restored guest would hold dead connections
      closeControlMaster(c.paths);
      c.step("save-state", `Saving the VM state to ${c.paths.vmState}`);
      rmSync(vmStateTemp(c.paths), { force: true });
      const saved = await saveVmState(qmp, saveStateUri(vmStateTemp(c.paths)));
      c.log(`saved ${saved.ramBytes} bytes of RAM in ${saved.ms} ms`);
    } catch (e) {
      rmSync(vmStateTemp(c.paths), { force: true });
      for (const u of undo.reverse()) await u().catch((err: unknown) => c.log(`undoing the suspend: ${(err as Error).message}`));
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
      argv: hardwareArgv(c.argv),
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
          argv: hardwareArgv(now.argv),
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

/** Sets the guest's clock to the host's (it stood still while the state was saved). */
export async function syncGuestClock(paths: InstancePaths): Promise<void> {
  // the ControlMaster is up (the ssh step): the command reaches the guest a fraction of a second later
  const r = await guestExec(paths, ["sudo", "-n", "date", "-u", "-s", `@${(Date.now() / 1000).toFixed(3)}`], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new TslimaError("RESUME_FAILED", `cannot set the guest's clock: ${r.stderr.trim() || `exit ${r.code}`}`, {
      hint: "resume sets the clock with sudo -n date: it needs user.passwordlessSudo (the default)",
    });
  }
}

/** Mounts the fstab mounts (9p) again with `script` (REMOUNT_SCRIPT); reverse-sshfs is the agent's to reconnect. */
export async function remountGuest(paths: InstancePaths, script: string, mountPoints: string[]): Promise<void> {
  await remount(paths, mountPoints, script);
}
