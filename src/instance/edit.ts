import { readFileSync } from "node:fs";
import { TslimaError } from "../errors.js";
import { loadConfigText, probeHostFacts } from "../config/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import { tslimaHome } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { editInstance } from "./create.js";
import type { Overrides } from "./overrides.js";
import { requireInstance } from "./lookup.js";

/**
 * `edit NAME` with create/start flags: the flags applied to lima.yaml, validated as create validates,
 * before the file is rewritten. Refused while the instance runs (or is suspended), as Lima refuses:
 * a changed lima.yaml takes effect at the next boot only. Returns the config warnings.
 */
/** `text`: a whole new lima.yaml (what the user saved in an editor) instead of flags. */
export function editInstanceApi(name: string, o: Overrides & { home?: string; cwd?: string; text?: string }): string[] {
  const home = o.home ?? tslimaHome();
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths).status;
  if (st !== "Stopped") {
    throw new TslimaError("INSTANCE_RUNNING", `cannot edit instance ${name}: it is ${st}`, {
      hint: `stop it first (tslima stop ${name}); the changes take effect at the next start`,
    });
  }
  const current = readFileSync(paths.limaYaml, "utf8");
  if (o.text !== undefined) {
    // a whole new lima.yaml (from an editor): validated before it replaces the old one
    const { warnings } = loadConfigText(o.text, paths.limaYaml, { hostFacts: probeHostFacts(), tslimaHome: home, instanceName: name });
    writeFileAtomic(paths.limaYaml, o.text);
    return warnings;
  }
  return editInstance(home, paths, current, o, o.cwd ?? process.cwd());
}
