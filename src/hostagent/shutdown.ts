import { rmSync } from "node:fs";
import { qmpPowerdown } from "../qemu/index.js";
import { closeControlMaster } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
import { readPidFile } from "../store/pidfile.js";
import type { Supervised } from "./processes.js";
import { terminate } from "../proc/pid.js";
import { pause } from "../proc/wait.js";

/**
 * Stops qemu: graceful = ACPI powerdown and up to `powerdownMs` for the guest to halt; then SIGTERM,
 * then SIGKILL. Resolves once qemu is gone.
 */
export async function stopQemu(qemu: Supervised, paths: InstancePaths, opts: { graceful: boolean; powerdownMs: number; log: (m: string) => void }): Promise<void> {
  let gone = false;
  void qemu.exited.then(() => (gone = true));
  await pause(0);
  if (gone) return;
  if (opts.graceful && (await qmpPowerdown(paths.qmpSock))) {
    opts.log(`sent system_powerdown, waiting up to ${Math.round(opts.powerdownMs / 1000)}s for the guest to halt`);
    const timer = pause(opts.powerdownMs);
    await Promise.race([qemu.exited, timer]);
    if (gone) return;
    opts.log("the guest did not halt in time; terminating qemu");
  }
  const pid = qemu.child.pid;
  if (pid !== undefined) await terminate(pid, 10_000);
  await Promise.race([qemu.exited, pause(2000)]);
}

/** Stops daemons and removes what a running instance leaves: pid files and sockets. */
export async function cleanupRuntime(paths: InstancePaths, daemons: Supervised[], extraSockets: string[]): Promise<void> {
  await Promise.all(daemons.map(async (d) => {
    if (d.child.pid !== undefined && d.child.exitCode === null) await terminate(d.child.pid, 3000);
  }));
  closeControlMaster(paths);
  rmSync(paths.qemuPid, { force: true });
  rmSync(paths.qmpSock, { force: true });
  rmSync(paths.sshSock, { force: true });
  rmSync(paths.shellFacts, { force: true });
  rmSync(paths.shellFast, { force: true });
  for (const s of extraSockets) rmSync(s, { force: true });
  if (readPidFile(paths.haPid) === process.pid) rmSync(paths.haPid, { force: true });
}
