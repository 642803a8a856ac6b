/**
 * Re-attaching to a QEMU whose host agent died, the host's side (the decisions are attach-plan.ts
 * and the launch plan's `attach` variant): the QEMU of the instance that still runs is found (the
 * gather phase), adopted as a Supervised handle (its exit seen by polling its pid: it is not this
 * agent's child) and its run state recovered over QMP (a save the dead agent left running is
 * cancelled, a paused VM continued). The agent's launch phase (agent.ts) carries it out.
 */
import type { Config } from "../config/types.js";
import { QmpClient } from "../qemu/index.js";
import type { InstancePaths } from "../store/paths.js";
import { isOurProcess, processCmdline, readPidFile } from "../store/pidfile.js";
import type { Exit } from "../proc/child.js";
import { poll } from "../proc/wait.js";
import type { Supervised } from "./processes.js";
import { attachSshPort, recovery, type Orphan, type Recovery, type RunState } from "./attach-plan.js";

/** The QEMU in qemu.pid when it runs and is this instance's (a recycled pid is not), else undefined. */
export function findOrphanQemu(paths: InstancePaths): Orphan | undefined {
  const pid = readPidFile(paths.qemuPid);
  if (pid === undefined || pid === process.pid || !isOurProcess(pid, paths.dir)) return undefined;
  return { pid, cmdline: processCmdline(pid) };
}

/** The ssh port to plan with when an orphan runs (its own, if lima.yaml allows), else undefined. */
export function orphanSshPort(orphan: Orphan | undefined, config: Config): number | undefined {
  return attachSshPort(orphan?.cmdline?.slice(1), config.ssh.localPort);
}

/** A Supervised handle for a QEMU that is not this process's child: its exit is seen by polling its pid. */
export function adoptQemu(pid: number, instanceDir: string): Supervised {
  const exited = new Promise<Exit>((resolve) => {
    const timer = setInterval(() => {
      if (isOurProcess(pid, instanceDir)) return;
      clearInterval(timer);
      resolve({ code: null, signal: null }); // not our child: its exit status is its parent's to read
    }, 250);
  });
  return { name: "qemu", child: { pid, exitCode: null }, exited, stderrTail: () => [] };
}

async function runState(qmp: QmpClient): Promise<RunState> {
  const st = (await qmp.execute("query-status")) as { status?: string };
  const mig = (await qmp.execute("query-migrate")) as { status?: string };
  return { status: st.status ?? "unknown", ...(mig.status !== undefined ? { migration: mig.status } : {}) };
}

/** Brings the adopted VM back to running (cancels a save, `cont`); returns why it cannot be adopted, or undefined. */
export async function recoverRunState(paths: InstancePaths, log: (m: string) => void): Promise<string | undefined> {
  const qmp = await QmpClient.connect(paths.qmpSock, { timeoutMs: 10_000 });
  try {
    const found = await runState(qmp);
    log(`re-attach: the VM is ${found.status}${found.migration !== undefined ? `, migration ${found.migration}` : ""}`);
    const r = recovery(found);
    if ("reason" in r) return r.reason;
    if (r.actions.includes("cancel-migration")) {
      await qmp.execute("migrate_cancel");
      const migrating = (r: Recovery) => "actions" in r && r.actions.includes("cancel-migration");
      const ended = await poll(async () => (migrating(recovery(await runState(qmp))) ? undefined : true), { timeoutMs: 30_000, intervalMs: 100 });
      if (ended === undefined) return "the save it was running did not stop within 30s";
      log("re-attach: cancelled the save the dead agent had started");
    }
    const now = recovery(await runState(qmp));
    if ("reason" in now) return now.reason;
    if (now.actions.includes("cont")) {
      await qmp.execute("cont");
      log("re-attach: the paused VM continues");
    }
    return undefined;
  } finally {
    qmp.close();
  }
}
