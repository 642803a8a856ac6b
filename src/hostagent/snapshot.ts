/**
 * The host agent's part of a booted snapshot of a running VM (`tslima snapshot create`): the VM is
 * made savable as for a suspend (quiesce.ts), its memory and devices saved and its disk copied while
 * the guest stands still, then it runs on. src/instance/snapshot.ts completes the snapshot.
 */
import { constants, copyFileSync, existsSync, rmSync, statSync } from "node:fs";
import { hardwareArgv, QmpClient, saveStateUri, saveVmState } from "../qemu/index.js";
import type { SnapshotPaths } from "../store/paths.js";
import { quiesce, undoAll, type Savable } from "./quiesce.js";

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
 * clock set (`clock`). Any failure before `cont` removes what was written and leaves the VM running.
 */
export async function snapshotVm(a: Savable, target: SnapshotPaths, clock: () => Promise<void>): Promise<SnapshotTaken> {
  const { paths } = a;
  const vm = a.running();
  const qmp = await QmpClient.connect(paths.qmpSock);
  try {
    const undo = await quiesce(a, qmp, "snapshot");
    let stateBytes: number;
    try {
      a.step("save-state", `Saving the VM state to ${target.vmState}`);
      const saved = await saveVmState(qmp, saveStateUri(target.vmState));
      a.log(`saved ${saved.ramBytes} bytes of RAM in ${saved.ms} ms`);
      stateBytes = statSync(target.vmState).size;
      // QEMU flushed and let go of its images when the migration completed: the files are still
      a.step("copy-disk", `Copying the disk at this instant to ${target.disk}`);
      copyFileSync(paths.diffdisk, target.disk, constants.COPYFILE_FICLONE);
      if (existsSync(paths.efiVars)) copyFileSync(paths.efiVars, target.efiVars, constants.COPYFILE_FICLONE);
    } catch (e) {
      for (const f of [target.vmState, target.disk, target.efiVars]) rmSync(f, { force: true });
      await qmp.execute("cont").catch(() => undefined);
      await undoAll(a, undo);
      throw e;
    }
    a.step("continue", "Letting the guest run on");
    await qmp.execute("cont");
    await undoAll(a, undo);
    await clock().catch((e: unknown) => a.log(`setting the guest's clock after the snapshot: ${(e as Error).message}`));
    return { stateBytes, argv: hardwareArgv(vm.argv, paths), qemu: { binary: vm.facts.binary, version: vm.facts.version } };
  } finally {
    qmp.close();
  }
}
