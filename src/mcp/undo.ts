/**
 * Undo for a `--from` sandbox, as MCP tools: `create_checkpoint` takes a booted snapshot of the
 * running sandbox (its disk and memory at one instant; the guest stands still for the save),
 * `list_checkpoints` lists them, and `reset_sandbox` throws the sandbox away and resumes a new one
 * with the same name from a checkpoint or from the snapshot it started from: seconds, not a boot.
 * Checkpoints belong to the sandbox (store/owner.ts) and are deleted with it. Files the agent wrote
 * into the host's project folder through the mount are host files: a reset does not undo them.
 */
import { z } from "zod";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createFromSnapshot } from "../instance/from-snapshot.js";
import { deleteInstance } from "../instance/delete.js";
import { recordOwnedSnapshot, writeOwner } from "../instance/owned.js";
import { createSnapshot } from "../instance/snapshot.js";
import { instanceNameProblem } from "../instance/names.js";
import { startInstance } from "../instance/start.js";
import { readOwner } from "../store/owner.js";
import { instancePaths } from "../store/paths.js";
import type { MountInput } from "../config/types.js";
import { openSandbox, type SandboxHolder } from "./sandbox.js";
import { structured } from "./tools.js";

export interface UndoContext {
  holder: SandboxHolder;
  /** The snapshot the sandbox started from, and the mounts it was given then. */
  snapshot: string;
  mounts: MountInput[] | undefined;
  onMessage?: (m: string) => void;
}

interface Checkpoint {
  name: string;
  snapshot: string;
  created: string;
}

/** Resumes a new instance named like the old one from `snap`, keeping the owner record (checkpoints). */
async function remake(ctx: UndoContext, snap: string, mounts: MountInput[] | undefined): Promise<void> {
  await ctx.holder.replace(async (old) => {
    const dir = instancePaths(old.home, old.name).dir;
    const owner = readOwner(dir);
    await old.sftp.close();
    await deleteInstance(old.name, { home: old.home, force: true });
    await createFromSnapshot(snap, old.name, { home: old.home, ...(mounts !== undefined && mounts.length > 0 ? { config: { mounts } } : {}) });
    if (owner !== undefined) writeOwner(dir, owner);
    await startInstance(old.name, { home: old.home, ...(ctx.onMessage ? { onMessage: ctx.onMessage } : {}) });
    return openSandbox(old.home, old.name, old.paths.project);
  });
}

export function registerUndoTools(server: McpServer, ctx: UndoContext): void {
  const checkpoints: Checkpoint[] = [];
  server.registerTool(
    "create_checkpoint",
    {
      description:
        "Saves the whole sandbox VM (disk and memory) as a checkpoint that reset_sandbox can return to in seconds. Files in shared host folders are not part of it.",
      inputSchema: { name: z.string().describe("A name for the checkpoint (letters, digits, '-', '_', '.')") },
      outputSchema: { checkpoint: z.string(), created: z.string() },
    },
    async ({ name }) => {
      const problem = instanceNameProblem(name);
      if (problem !== undefined) throw new Error(`invalid checkpoint name ${JSON.stringify(name)}: ${problem}`);
      if (checkpoints.some((c) => c.name === name)) throw new Error(`a checkpoint named ${name} exists already: choose another name`);
      const sb = ctx.holder.sandbox;
      const snap = `${sb.name}-${name}`;
      await ctx.holder.replace(async (cur) => {
        await createSnapshot(cur.name, snap, { home: cur.home });
        recordOwnedSnapshot(cur.home, cur.name, snap);
        return cur;
      });
      const c = { name, snapshot: snap, created: new Date().toISOString() };
      checkpoints.push(c);
      return structured({ checkpoint: c.name, created: c.created });
    },
  );
  server.registerTool(
    "list_checkpoints",
    {
      description: "Lists the checkpoints of the sandbox, oldest first.",
      outputSchema: { checkpoints: z.array(z.object({ name: z.string(), created: z.string() })) },
    },
    () => structured({ checkpoints: checkpoints.map((c) => ({ name: c.name, created: c.created })) }),
  );
  server.registerTool(
    "reset_sandbox",
    {
      description:
        "Throws the sandbox VM away and resumes a fresh one, as it was at a checkpoint or, without one, as it started. Its processes and guest files go back; files in shared host folders are host files and stay as they are.",
      inputSchema: { checkpoint: z.string().optional().describe("The checkpoint to return to; default the start of the sandbox") },
      outputSchema: { reset_to: z.string() },
    },
    async ({ checkpoint }) => {
      if (checkpoint === undefined || checkpoint === "") {
        await remake(ctx, ctx.snapshot, ctx.mounts);
        return structured({ reset_to: `the start (snapshot ${ctx.snapshot})` });
      }
      const c = checkpoints.find((x) => x.name === checkpoint);
      if (c === undefined) throw new Error(`no checkpoint named ${checkpoint}${checkpoints.length > 0 ? ` (there are: ${checkpoints.map((x) => x.name).join(", ")})` : ": create_checkpoint makes one"}`);
      await remake(ctx, c.snapshot, undefined);
      return structured({ reset_to: `checkpoint ${c.name}` });
    },
  );
}
