import { rmSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { tslimaHome } from "../store/paths.js";
import { requireInstance } from "./lookup.js";
import { inspectStatus } from "../store/status.js";
import { forceStop } from "./stop.js";
import { removeDockerContext } from "./docker-context.js";
import { refuseProtected } from "./protect.js";
import { forgetAutostart } from "./autostart.js";

/** Deletes an instance directory (never a protected one; a Suspended one with its saved state); a running (or broken) one only with `force`, which kills it first. */
export async function deleteInstance(name: string, opts: { home?: string; force?: boolean; onMessage?: (m: string) => void } = {}): Promise<void> {
  const home = opts.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  refuseProtected(paths, "delete");
  const st = inspectStatus(paths);
  if (st.status !== "Stopped" && st.status !== "Suspended") {
    if (!opts.force) {
      throw new TslimaError("INSTANCE_RUNNING", `instance ${name} is ${st.status}; refusing to delete it`, {
        hint: `stop it first (tslima stop ${name}) or use tslima delete -f ${name}`,
      });
    }
    await forceStop(paths);
  }
  // the docker context of a docker instance goes with it; the one current before it is current again
  await removeDockerContext(paths, process.env, opts.onMessage ?? (() => undefined));
  rmSync(paths.dir, { recursive: true, force: true });
  await forgetAutostart(name, home, opts.onMessage ?? (() => undefined));
}
