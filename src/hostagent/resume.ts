/**
 * Resume, the host's side: what the plan needs to decide it (readSavedState; the decision itself is
 * pure, launch-plan.ts), and loading the state into a QEMU started with `-incoming defer`. The
 * record is removed before QEMU starts (a kill from there on boots cold next time); the readiness
 * steps of a resume give the guest its clock and mounts back (readiness-plan.ts resumeSteps).
 */
import { existsSync, rmSync } from "node:fs";
import { loadStateUri, loadVmState, QmpClient } from "../qemu/index.js";
import type { InstancePaths } from "../store/paths.js";
import { currentIdentities, readSuspendRecord, stateFileBytes } from "../store/suspend.js";
import type { SavedState } from "./launch-plan.js";
import { identityDue } from "./reidentify.js";
import type { PhaseClock } from "./timings.js";

/** What the instance directory holds of a saved state, for planLaunch. */
export function readSavedState(paths: InstancePaths): SavedState {
  const saved = readSuspendRecord(paths);
  return {
    saved,
    disks: saved !== undefined && "record" in saved ? currentIdentities(paths, Object.keys(saved.record.disks)) : {},
    stateBytes: stateFileBytes(paths),
    cidataPresent: existsSync(paths.cidataIso),
    identityDue: identityDue(paths),
  };
}

/** Loads the saved state into QEMU (started with -incoming defer); the state file is removed after. */
export async function restoreState(paths: InstancePaths, log: (m: string) => void, timings: PhaseClock): Promise<void> {
  const qmp = await timings.time("QMP connect", () => QmpClient.connect(paths.qmpSock, { retry: true, timeoutMs: 30_000 }));
  try {
    const t0 = Date.now();
    await timings.time("state load (migrate-incoming, cont)", () => loadVmState(qmp, loadStateUri(paths.vmState)));
    log(`restored the VM state in ${Date.now() - t0} ms`);
  } finally {
    qmp.close();
    rmSync(paths.vmState, { force: true });
  }
}
