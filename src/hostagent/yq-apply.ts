/**
 * Lima's provision mode "yq" at boot. Lima runs its guest agent's yq in the guest; tslima's guest has
 * no yq, so the host agent does the edit over ssh, after the guest's boot runner (the ready file) and
 * before the provisioning report: it reads the file as root through YQ_APPLY_SCRIPT (as the owner's
 * user), evaluates the expression with its own yq (yq-edit.ts), and the guest writes the result with
 * the runner's data step (owner, permissions, nothing a guest user controls followed as root). Every
 * failure, the host's or the guest's, is a line of the provisioning report (PROVISION_LOG).
 */
import { GUEST_LIB, PROVISION_LOG } from "../config/guest.js";
import { HOSTAGENT_YQ_APPLY_SH } from "../guest/embedded.js";
import { asRoot } from "../mounts/index.js";
import { fillPlaceholders } from "../proc/quote.js";
import { guestExec } from "../ssh/exec.js";
import type { InstancePaths } from "../store/paths.js";
import { TslimaError } from "../errors.js";
import { applyYqEdit, YQ_MAX_BYTES, type YqEdit } from "./yq-edit.js";

export const YQ_APPLY_SCRIPT = fillPlaceholders(HOSTAGENT_YQ_APPLY_SH, { GUEST_LIB, PROVISION_LOG, MAX_BYTES: String(YQ_MAX_BYTES) });

async function guestYq(paths: InstancePaths, args: string[], input?: string) {
  const r = await guestExec(paths, asRoot(YQ_APPLY_SCRIPT, "tslima-yq", args), { timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });
  // 1 is a failure the guest recorded; anything else (sudo refused, ssh gone) is the step's
  if (r.code !== 0 && r.code !== 1) throw new TslimaError("NOT_READY", `provision mode yq: ${r.stderr.trim().split("\n").pop() || `exit ${r.code}`}`);
  return r;
}

/** Applies the edits in order; what fails is recorded in the guest's provisioning report. */
export async function applyYqEdits(paths: InstancePaths, edits: readonly YqEdit[]): Promise<void> {
  for (const e of edits) {
    const idx = String(e.index);
    const read = await guestYq(paths, ["read", idx, e.path, e.owner]);
    if (read.code !== 0) continue;
    const nl = read.stdout.indexOf("\n");
    const head = nl < 0 ? read.stdout : read.stdout.slice(0, nl);
    const result = applyYqEdit(e, head === "present" ? read.stdout.slice(nl + 1) : null);
    if ("error" in result) await guestYq(paths, ["fail", idx, result.error]);
    else await guestYq(paths, ["write", idx, e.path, e.owner, e.permissions], result.content);
  }
}
