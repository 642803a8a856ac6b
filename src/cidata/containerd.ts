import type { Config } from "../config/types.js";
import { CONTAINERD_ARCHIVE_NAME, wantsContainerd } from "../config/containerd.js";
import { CIDATA_CONTAINERD_SH } from "../guest/embedded.js";
import { fillPlaceholders } from "../proc/quote.js";
import { GUEST_LIB, type ContainerdArchiveFile } from "./context.js";

export type { ContainerdArchiveFile } from "./context.js";
import type { WriteFile } from "./provision.js";
import { shQuote } from "./shell.js";

/** The installer's path in the guest (src/guest/cidata/containerd.sh). */
export const CONTAINERD_SH_PATH = `${GUEST_LIB}/containerd.sh`;

/**
 * containerd.system/user (pure): the installer, the runner's line that calls it on every boot (before
 * the provisioning scripts, which may then use nerdctl), and the cidata file `nerdctl-full.tgz`, as
 * Lima. Nothing when containerd is not asked for or no archive could be had (the agent warned then).
 */
export function containerdPlan(config: Config, archive: ContainerdArchiveFile | undefined): { files: WriteFile[]; lines: string[]; cidata: Record<string, string> } {
  if (!wantsContainerd(config) || archive === undefined) return { files: [], lines: [], cidata: {} };
  const { system, user } = config.containerd;
  const u = config.user;
  const args = [system ? "1" : "0", user ? "1" : "0", shQuote(archive.digest), shQuote(u.name), shQuote(u.home), String(u.uid)];
  const what = `install containerd (containerd.${system ? "system" : "user"}${system && user ? "/user" : ""}): see the guest journal`;
  return {
    files: [{ path: CONTAINERD_SH_PATH, content: fillPlaceholders(CIDATA_CONTAINERD_SH, { ARCHIVE: CONTAINERD_ARCHIVE_NAME }), permissions: "0755" }],
    lines: [`${CONTAINERD_SH_PATH} ${args.join(" ")} || failure containerd 0 $? ${shQuote(what)}`],
    cidata: { [CONTAINERD_ARCHIVE_NAME]: archive.path },
  };
}
