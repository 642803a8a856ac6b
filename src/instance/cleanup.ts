import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { closeControlMaster } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
import { removeHostCopies } from "../store/host-copies.js";

/**
 * Removes what dead processes left behind: pid files, QMP/ssh/virtiofsd sockets, the agent's ha.sock,
 * shell.json, the ssh ControlMaster, and the copyToHost files a dead agent did not remove (deleteOnStop).
 */
export function cleanStaleFiles(paths: InstancePaths): void {
  closeControlMaster(paths);
  removeHostCopies(paths, () => undefined);
  for (const f of [paths.haPid, paths.qemuPid, paths.qmpSock, paths.sshSock, paths.haSock, paths.shellFacts]) rmSync(f, { force: true });
  let names: string[];
  try {
    names = readdirSync(paths.dir);
  } catch {
    return;
  }
  for (const n of names) if (/^virtiofsd-\d+\.sock$/.test(n)) rmSync(join(paths.dir, n), { force: true });
}
