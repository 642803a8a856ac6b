import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { PROTECTED_FILE } from "./inventory.js";
import { requireInstance } from "./lookup.js";

// Lima's protection: a `protected` file in the instance directory; delete (and rename, clone,
// edit in Lima) refuse a protected instance until `unprotect`.

/**
 * Marks (on) or unmarks an instance protected; doing it twice is no error, as in Lima. Returns false
 * when it already was as asked.
 */
export function setProtected(name: string, on: boolean, opts: { home?: string } = {}): boolean {
  const paths = requireInstance(opts.home ?? tslimaHome(), name);
  const file = join(paths.dir, PROTECTED_FILE);
  if (existsSync(file) === on) return false;
  if (on) writeFileSync(file, "", { mode: 0o400 });
  else rmSync(file, { force: true });
  return true;
}

/** Throws INSTANCE_PROTECTED when `paths` is protected; `what` is the refused action ("delete"). */
export function refuseProtected(paths: InstancePaths, what: string): void {
  if (!existsSync(join(paths.dir, PROTECTED_FILE))) return;
  throw new TslimaError("INSTANCE_PROTECTED", `instance ${paths.name} is protected; refusing to ${what} it`, {
    hint: `run \`tslima unprotect ${paths.name}\` first`,
  });
}
