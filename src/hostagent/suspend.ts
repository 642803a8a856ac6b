/**
 * Suspend (the host agent, asked on its control socket ha.sock after READY): make the VM savable (quiesce.ts), pause the
 * guest and write its state to `vmstate.tmp`, quit QEMU, then commit the record (store/suspend.ts).
 * Until QEMU is told to quit, every failure undoes what was done (mounts, sessions) and the VM keeps
 * running. The way back is a resume: the plan decides it (launch-plan.ts), resume.ts restores.
 */
import { rmSync, statSync } from "node:fs";
import { hardwareArgv, QmpClient, saveStateUri, saveVmState } from "../qemu/index.js";
import { commitSuspendRecord, diskIdentities, vmStateTemp } from "../store/suspend.js";
import { SUSPEND_RECORD_VERSION, type SuspendRecord } from "../store/suspend-record.js";
import { pause } from "../proc/wait.js";
import { terminate } from "../proc/pid.js";
import { quiesce, undoAll, type Savable } from "./quiesce.js";

/** Saves the VM (see the file comment). Resolves once the record is committed and QEMU is gone. */
export async function suspendVm(a: Savable): Promise<SuspendRecord> {
  const { paths } = a;
  const vm = a.running();
  const qmp = await QmpClient.connect(paths.qmpSock);
  try {
    const undo = await quiesce(a, qmp, "suspend");
    try {
      a.step("save-state", `Saving the VM state to ${paths.vmState}`);
      rmSync(vmStateTemp(paths), { force: true });
      const saved = await saveVmState(qmp, saveStateUri(vmStateTemp(paths)));
      a.log(`saved ${saved.ramBytes} bytes of RAM in ${saved.ms} ms`);
    } catch (e) {
      rmSync(vmStateTemp(paths), { force: true });
      await undoAll(a, undo);
      throw e;
    }
    const savedAt = new Date().toISOString();
    await qmp.execute("quit").catch(() => undefined);
    const gone = await Promise.race([vm.qemu.exited.then(() => true), pause(30_000).then(() => false)]);
    if (!gone && vm.qemu.child.pid !== undefined) await terminate(vm.qemu.child.pid, 10_000);
    const record: SuspendRecord = {
      version: SUSPEND_RECORD_VERSION,
      savedAt,
      qemu: { binary: vm.facts.binary, version: vm.facts.version },
      argv: hardwareArgv(vm.argv, paths),
      sshPort: vm.sshPort,
      stateBytes: statSync(vmStateTemp(paths)).size,
      disks: diskIdentities(paths),
    };
    commitSuspendRecord(paths, record);
    return record;
  } finally {
    qmp.close();
  }
}
