import { writeFileSync } from "node:fs";
import { TslimaError } from "../errors.js";
import type { InstancePaths } from "../store/paths.js";
import { isOurProcess, readPidFile } from "../store/pidfile.js";
import { requirePrivateDir } from "../store/private.js";

/** The agent's claim on its instance: the directories are private, and no other agent runs for it (ha.pid). */
export function claimInstance(paths: InstancePaths, home: string): void {
  requirePrivateDir(home, "TSLIMA_HOME");
  requirePrivateDir(paths.dir, "instance directory");
  const other = readPidFile(paths.haPid);
  if (other !== undefined && other !== process.pid && isOurProcess(other, paths.dir)) {
    throw new TslimaError("AGENT_RUNNING", `a host agent (pid ${other}) already runs for instance ${paths.name}`, {
      hint: `stop it first: tslima stop ${paths.name}`,
    });
  }
  writeFileSync(paths.haPid, `${process.pid}\n`);
}
