/**
 * Paths given to the MCP tools (pure). An agent runs on the host and names host paths (its project
 * folder, files under it); the tools run in the guest. A path under a mount's location is
 * translated to its place under the mount point (and a guest path under a mount point back, for
 * the paths a tool returns); a path in the project folder that no mount shares is refused with a
 * message saying so; any other absolute path is a guest path, used as it is (/etc, /tmp).
 */
import { posix } from "node:path";
import { below, reroot, trimSlashes } from "../store/mount-paths.js";

/** A mount as the tools see it: where it is on the host and in the guest. */
export interface SharedDir {
  location: string;
  mountPoint: string;
  writable: boolean;
}

export interface PathContext {
  instance: string;
  mounts: readonly SharedDir[];
  /** The agent's project folder on the host (the server's working directory). */
  project: string;
}

/** A path a tool cannot use: the text is what the agent reads (`isError` content). */
export class ToolPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolPathError";
  }
}

/** The guest path for a path an agent gave (see the file comment). Throws ToolPathError. */
export function toGuestPath(given: string, ctx: PathContext): string {
  if (given === "") throw new ToolPathError("path is empty");
  if (!posix.isAbsolute(given)) throw new ToolPathError(`expected an absolute path, got a relative path: \`${given}\``);
  const p = trimSlashes(posix.normalize(given));
  const shared = reroot(p, ctx.mounts, "location", "mountPoint");
  if (shared !== undefined) return shared;
  const project = trimSlashes(ctx.project);
  if (below(p, project) !== undefined) {
    throw new ToolPathError(
      `${given} is in the project folder ${project} on the host, which is not shared with instance ${ctx.instance}: ` +
        `the guest cannot see it. Share it (\`tslima mcp serve --from SNAP\` mounts the folder it runs in; ` +
        `for an instance of your own, add it to mounts: tslima edit ${ctx.instance} --mount ${project}:w), or use a guest path such as /tmp`,
    );
  }
  return p;
}

/** The host path of a guest path under a mount point, else the guest path itself (for results). */
export function toAgentPath(guest: string, ctx: PathContext): string {
  return reroot(guest, ctx.mounts, "mountPoint", "location") ?? guest;
}
