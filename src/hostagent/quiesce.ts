/**
 * Making a running VM savable, for a suspend (suspend.ts) and a booted snapshot (snapshot.ts):
 * refuse what QEMU cannot save (virtiofs) and busy mounts, naming the guest processes; unmount every
 * mount in the guest; stop the sessions that cross into the guest (reverse-sshfs, port forwards, the
 * ControlMaster). Every step can be undone: a save that fails leaves the VM running as it was.
 */
import { TslimaError } from "../errors.js";
import type { MountPlan } from "../mounts/types.js";
import { asRoot, BUSY_SCRIPT, describeBusy, parseBusy, parseUnmount, REMOUNT_SCRIPT, UNMOUNT_SCRIPT, unsuspendableMounts } from "../mounts/index.js";
import { migrationBlockers, type QmpClient, type QemuFacts } from "../qemu/index.js";
import { closeControlMaster, guestExec } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
import type { Step } from "../store/events.js";
import type { Supervised } from "./processes.js";

/** The running VM as the agent started it. */
export interface RunningVm {
  qemu: Supervised;
  /** The command line QEMU runs with. */
  argv: string[];
  facts: Pick<QemuFacts, "binary" | "version">;
  sshPort: number;
  mounts: MountPlan;
}

/** What a suspend or a snapshot needs of the host agent (hostagent/agent.ts). */
export interface Savable {
  readonly paths: InstancePaths;
  running(): RunningVm;
  step(s: Step, message: string): void;
  log(m: string): void;
  /** Ends the reverse-sshfs sessions (their guest mounts are unmounted right after); resolves to how to connect them again. */
  pauseSshfs(): Promise<() => Promise<void>>;
  /** Stops the port forwards and inotify; resolves to how to start them again. */
  pauseForwarding(): Promise<() => Promise<void>>;
}

/** The blocker QEMU's 9p server sets while the guest has a share mounted; unmounting lifts it. */
const NINEP_BLOCKER = /VirtFS|9p/i;

/** What quiesce() prepares the VM for: the words of its errors. */
export type Purpose = "suspend" | "snapshot";
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
export type Undo = Array<() => Promise<void>>;
export async function undoAll(a: Savable, undo: Undo): Promise<void> {
  for (const u of undo.reverse()) await u().catch((err: unknown) => a.log(`undoing the preparation for the save: ${(err as Error).message}`));
}

/** Refuses virtiofs and the QMP blockers other than 9p's (unmounting lifts those). */
async function refuseUnsavable(a: Savable, qmp: QmpClient, purpose: Purpose): Promise<void> {
  const virtiofs = unsuspendableMounts(a.running().mounts.mounts);
  if (virtiofs.length > 0) throw unsupported(a.paths, `it has virtiofs mount(s) (${virtiofs.map((m) => m.mount.mountPoint).join(", ")}), a device QEMU cannot save`, purpose);
  const blockers = (await migrationBlockers(qmp)).filter((r) => !NINEP_BLOCKER.test(r));
  if (blockers.length > 0) throw unsupported(a.paths, `QEMU cannot save it: ${blockers.join("; ")}`, purpose);
}

/**
 * Makes the running VM savable: refuses virtiofs and other QMP blockers and busy mounts, then
 * unmounts every mount in the guest, ends reverse-sshfs, port forwards and the ControlMaster (no
 * host session may cross a save). Returns how to undo it; on failure it undoes itself and throws.
 */
export async function quiesce(a: Savable, qmp: QmpClient, purpose: Purpose): Promise<Undo> {
  await refuseUnsavable(a, qmp, purpose);
  const { paths } = a;
  const planned = a.running().mounts.mounts;
  const all = planned.map((m) => m.expect.mountPoint);
  const fstab = planned.filter((m) => m.fstab !== undefined).map((m) => m.expect.mountPoint);
  a.step("unmount", all.length > 0 ? `Unmounting ${all.length} mount(s) in the guest` : "Flushing the guest's disk caches");
  if (all.length > 0) await refuseIfBusy(paths, all, purpose);
  const undo: Undo = [];
  try {
    if (planned.some((m) => m.sshfs !== undefined)) undo.push(await a.pauseSshfs());
    const r = await rootScript(paths, UNMOUNT_SCRIPT, "tslima-unmount", all);
    const out = parseUnmount(r.stdout);
    const again = out.unmounted.filter((m) => fstab.includes(m));
    if (again.length > 0) undo.push(() => remountGuest(paths, REMOUNT_SCRIPT, again));
    if (out.failed !== undefined) await refuseIfBusy(paths, [out.failed.mountPoint], purpose, out.failed.message);
    if (r.code !== 0) throw new TslimaError("SUSPEND_FAILED", `unmounting in the guest failed: ${r.stderr.trim() || `exit ${r.code}`}`, { hint: "see ha.stderr.log of the instance" });
    const still = await migrationBlockers(qmp);
    if (still.length > 0) throw new TslimaError("SUSPEND_FAILED", `QEMU still cannot save ${paths.name}: ${still.join("; ")}`, { hint: "see ha.stderr.log of the instance" });
    undo.push(await a.pauseForwarding());
    // no host session may cross the save: the restored guest would hold dead connections
    closeControlMaster(paths);
    return undo;
  } catch (e) {
    await undoAll(a, undo);
    throw e;
  }
}

/** Mounts the fstab mounts (9p) again with `script` (REMOUNT_SCRIPT); reverse-sshfs is the agent's to reconnect. */
export async function remountGuest(paths: InstancePaths, script: string, mountPoints: string[]): Promise<void> {
  if (mountPoints.length === 0) return;
  const r = await guestExec(paths, asRoot(script, "tslima-remount", mountPoints), { timeoutMs: 120_000 });
  if (r.code !== 0) throw new TslimaError("MOUNTS", `mounting ${mountPoints.join(", ")} again in the guest failed: ${r.stderr.trim() || `exit ${r.code}`}`);
}
