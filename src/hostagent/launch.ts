/**
 * Starting QEMU for the launch phase (agent.ts): its runtime files reset, its console watched, its
 * exit recorded, and the pid file waited for. Which command line and what comes after (a boot's
 * readiness, a resume's restore) is the plan's (launch-plan.ts).
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { ensureEfiVars } from "../qemu/index.js";
import { describeExit, type Exit } from "../proc/child.js";
import { poll } from "../proc/wait.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";
import type { BootPlan } from "./plan.js";
import { supervise, type ChildLog, type Supervised } from "./processes.js";
import { SerialWatch } from "./serial-watch.js";

/** One QEMU process of this agent: how it was started, and its exit once it has exited. */
export interface QemuRun {
  proc: Supervised;
  argv: string[];
  exit?: Exit;
  /** The guest's console, read while the boot is waited for (undefined once READY). */
  console?: SerialWatch;
}

/** Starts QEMU with `argv` (the plan's, or its resume variant's); its stderr goes to `log`. */
export function spawnQemu(paths: InstancePaths, plan: BootPlan, argv: string[], log: ChildLog): QemuRun {
  rmSync(paths.qemuPid, { force: true });
  rmSync(paths.qmpSock, { force: true });
  rmSync(paths.sshSock, { force: true });
  // empty and 0600 before QEMU runs (QEMU truncates it and keeps the mode): the console watched
  // must not be the previous run's
  writeFileAtomic(paths.serialLog, "");
  if (plan.efiVars !== undefined) ensureEfiVars(paths, plan.efiVars);
  const proc = supervise("qemu", plan.qemu.binary, argv, log);
  const run: QemuRun = { proc, argv, console: new SerialWatch(paths.serialLog, paths.name) };
  void proc.exited.then((e) => (run.exit = e));
  return run;
}

/** Throws QEMU_EXITED (with the last lines it wrote) when `run` has exited. */
export function checkQemu(paths: InstancePaths, run: QemuRun | undefined): void {
  if (run?.exit === undefined) return;
  const last = run.proc.stderrTail().slice(-5).join("\n");
  throw new TslimaError("QEMU_EXITED", `qemu ${describeExit(run.exit)} during boot${last ? `:\n${last}` : ""}`, {
    hint: `see ${paths.serialLog} and ${paths.haStderrLog}`,
  });
}

/** Waits for QEMU's pid file; an argv without -pidfile still gets one, so status can see qemu. */
export async function waitForPidFile(paths: InstancePaths, qemu: Supervised, interrupt: () => void): Promise<void> {
  const found = await poll(() => existsSync(paths.qemuPid) || undefined, { timeoutMs: 15_000, intervalMs: 100, beforeAttempt: interrupt });
  if (found === undefined && qemu.child.pid !== undefined) writeFileSync(paths.qemuPid, `${qemu.child.pid}\n`);
}
