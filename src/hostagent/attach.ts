/**
 * Re-attaching to a QEMU whose host agent died (see attach-plan.ts for the decisions): the QEMU
 * of the instance that still runs is found, adopted as a Supervised handle (its exit seen by
 * polling its pid: it is not this agent's child), its run state recovered over QMP (a save the
 * dead agent left running is cancelled, a paused VM continued), and what an interrupted suspend
 * left on disk is removed. A QEMU that may not be adopted is powered off, and the start boots.
 */
import type { Config } from "../config/types.js";
import { QmpClient } from "../qemu/index.js";
import type { InstancePaths } from "../store/paths.js";
import { isOurProcess, processCmdline, readPidFile } from "../store/pidfile.js";
import { discardSavedState } from "../store/suspend.js";
import type { Exit } from "../proc/child.js";
import { poll } from "../proc/wait.js";
import type { Supervised } from "./processes.js";
import { stopQemu } from "./shutdown.js";
import { attachDecision, attachSshPort, recovery, type Recovery, type RunState } from "./attach-plan.js";

/** This instance's QEMU, alive without an agent: its pid and command line (undefined where /proc is missing). */
export interface Orphan {
  pid: number;
  cmdline: string[] | undefined;
}

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
async function recoverRunState(paths: InstancePaths, log: (m: string) => void): Promise<string | undefined> {
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

export interface AttachOptions {
  paths: InstancePaths;
  orphan: Orphan;
  config: Config;
  /** What a boot would run now. */
  planned: { binary: string; argv: string[] };
  identityPending: boolean;
  log: (m: string) => void;
  warn: (m: string) => void;
  /** How long a QEMU that is not adopted gets to power its guest off. */
  powerdownMs: number;
}

/**
 * Adopts the orphan QEMU when attachDecision and its run state allow: returns its handle, the VM
 * running, a half-done suspend's files removed. Otherwise powers it off (the guest writes its disks)
 * and returns undefined: the start boots as it would have.
 */
export async function attachOrphan(o: AttachOptions): Promise<Supervised | undefined> {
  const { paths, orphan } = o;
  const handle = adoptQemu(orphan.pid, paths.dir);
  let why: string | undefined;
  if (orphan.cmdline === undefined) {
    why = "its command line cannot be read";
  } else {
    const d = attachDecision({ running: orphan.cmdline, planned: o.planned, owner: paths, configuredPort: o.config.ssh.localPort, identityPending: o.identityPending });
    why = "reason" in d ? d.reason : await recoverRunState(paths, o.log).catch((e: unknown) => `QMP: ${(e as Error).message}`);
  }
  if (why === undefined) {
    discardSavedState(paths); // vmstate.tmp (and any record) of the suspend the dead agent did not finish
    return handle;
  }
  o.warn(`not re-attaching to the running QEMU (pid ${orphan.pid}) of ${paths.name}: ${why}; powering it off and booting (its guest's processes end)`);
  await stopQemu(handle, paths, { graceful: true, powerdownMs: o.powerdownMs, log: o.log });
  return undefined;
}
