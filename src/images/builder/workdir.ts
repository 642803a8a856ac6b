import { isAlive } from "../../proc/pid.js";
import { runProgramSync } from "../../proc/run.js";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Mount points at or below `dir` (deepest first), from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const points = text
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + "/"));
  return points.sort((a, b) => b.length - a.length);
}

/**
 * Removes a build work directory. debootstrap mounts /proc and /sys inside the target; a killed build
 * can leave them mounted, so unmount first and never cross into another file system.
 */
export function removeWorkDir(dir: string): void {
  for (const p of mountsUnder(dir)) runProgramSync("umount", ["-l", p]);
  runProgramSync("rm", ["-rf", "--one-file-system", dir]);
}

/** Removes `.tmp-*-PID` work directories of builds whose process is gone. */
export function removeStaleWorkDirs(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.tmp-.*-(\d+)$/.exec(name);
    if (m && !isAlive(Number(m[1]))) removeWorkDir(join(parent, name));
  }
}
