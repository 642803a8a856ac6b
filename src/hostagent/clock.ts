import { TslimaError } from "../errors.js";
import { asRoot } from "../mounts/index.js";
import { guestExec } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";

/**
 * Sets the guest's clock to the host's and its hostname (IDENTITY_SCRIPT of readiness-plan.ts): a
 * restored guest's clock stood still while its state was saved; so did a snapshot source's.
 */
export async function syncGuestClock(paths: InstancePaths, script: string, hostname: string): Promise<string> {
  // the ControlMaster is up (the ssh step): the command reaches the guest a fraction of a second later
  const r = await guestExec(paths, asRoot(script, "tslima-identity", [(Date.now() / 1000).toFixed(3), hostname]), { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new TslimaError("RESUME_FAILED", `cannot set the guest's clock and hostname: ${r.stderr.trim() || `exit ${r.code}`}`, {
      hint: "resume sets them with sudo -n: it needs user.passwordlessSudo (the default)",
    });
  }
  return r.stdout.trim();
}
