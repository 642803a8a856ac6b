import { TslimaError } from "../errors.js";
import { qmpPowerdown } from "../qemu/index.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { requireInstance } from "./lookup.js";
import { inspectStatus } from "../store/status.js";
import { signalProcess, waitGone } from "../proc/pid.js";
import { cleanStaleFiles } from "./cleanup.js";
import { discardSavedState } from "../store/suspend.js";

export interface StopOptions {
  home?: string;
  force?: boolean;
  /** How long the guest gets to power off before qemu is killed; default 2 minutes. */
  timeoutMs?: number;
  onMessage?: (m: string) => void;
}

function kill(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid !== undefined) signalProcess(pid, sig);
}

/** Kills whatever of the instance still runs (SIGKILL, no questions) and removes stale files. */
export async function forceStop(paths: InstancePaths): Promise<void> {
  const st = inspectStatus(paths);
  kill(st.haPid, "SIGKILL");
  kill(st.qemuPid, "SIGKILL");
  for (const pid of [st.haPid, st.qemuPid]) if (pid !== undefined) await waitGone(pid, 5000);
  cleanStaleFiles(paths);
}

/**
 * QEMU runs without its host agent (Broken): the guest is asked to power off over QMP
 * (system_powerdown) and given up to `timeoutMs` to write its disks and halt, then QEMU is
 * terminated, killed if need be. A kill alone would drop what the guest has not written yet (issue 31).
 */
export async function powerOffOrphan(paths: InstancePaths, qemuPid: number, timeoutMs: number): Promise<boolean> {
  const asked = await qmpPowerdown(paths.qmpSock);
  const halted = asked && (await waitGone(qemuPid, timeoutMs));
  if (!halted) {
    kill(qemuPid, "SIGTERM");
    if (!(await waitGone(qemuPid, 10_000))) kill(qemuPid, "SIGKILL");
    await waitGone(qemuPid, 5000);
  }
  return halted;
}

/**
 * Stops an instance: the host agent powers the guest off (QMP system_powerdown), kills qemu after
 * the timeout, cleans up and exits. With no live agent, this does the same itself. `force` kills.
 * A Suspended instance's saved state is discarded (it boots cold next time).
 */
export async function stopInstance(name: string, opts: StopOptions = {}): Promise<{ wasRunning: boolean }> {
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const say = opts.onMessage ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const st = inspectStatus(paths);
  if (st.status === "Suspended") {
    discardSavedState(paths);
    say(`instance ${name} was suspended: its saved state is discarded (the next start boots it)`);
    return { wasRunning: false };
  }
  if (opts.force) {
    await forceStop(paths);
    return { wasRunning: st.status !== "Stopped" };
  }
  if (st.status === "Stopped") {
    cleanStaleFiles(paths);
    say(`instance ${name} is not running`);
    return { wasRunning: false };
  }
  if (st.haPid !== undefined) {
    say(`stopping ${name} (powering the guest off)`);
    kill(st.haPid, "SIGTERM");
    // The agent gives the guest its powerdown time, then 10s of SIGTERM, then SIGKILL.
    if (!(await waitGone(st.haPid, timeoutMs + 30_000))) {
      say("the host agent did not exit in time; killing it");
      await forceStop(paths);
    }
  } else if (st.qemuPid !== undefined) {
    say(`stopping ${name}: the host agent is gone, asking qemu directly`);
    await powerOffOrphan(paths, st.qemuPid, timeoutMs);
  }
  const after = inspectStatus(paths);
  if (after.status !== "Stopped") {
    throw new TslimaError("STOP_FAILED", `instance ${name} is still ${after.status} (${after.reason ?? "processes alive"})`, {
      hint: `force it: tslima stop -f ${name}`,
    });
  }
  cleanStaleFiles(paths);
  return { wasRunning: true };
}
