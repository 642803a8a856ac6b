/**
 * A library entry light enough for every CLI command to load: deletes the instances whose owner
 * process has ended (an MCP server's `--from` sandbox after a SIGKILL; see store/owner.ts). The
 * check is one readdir of the home; the deleting code is loaded only when there is something to delete.
 */
import { orphanedInstances } from "./store/owner.js";
import { tslimaHome } from "./store/paths.js";

export async function reapOrphanedSandboxes(home = tslimaHome(), onMessage: (m: string) => void = () => undefined): Promise<void> {
  if (orphanedInstances(home).length === 0) return;
  const { reapOrphans } = await import("./instance/owned.js");
  for (const r of await reapOrphans(home)) onMessage(`deleted instance ${r.name}: its owner (${r.purpose}) has ended`);
}
