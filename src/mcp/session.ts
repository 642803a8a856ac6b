/**
 * One MCP session: an McpServer (the SDK) with the tools registered on a sandbox, ready to be
 * connected to a transport (stdio in server.ts, streamable HTTP in http.ts). With `from`, the
 * session has an instance of its own, made for it (ephemeral.ts) and deleted by `close()`.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { TslimaError } from "../errors.js";
import { LIMA_VERSION, TSLIMA_VERSION } from "../version.js";
import { requireInstance } from "../instance/lookup.js";
import { deleteOwned } from "../instance/owned.js";
import { inspectStatus } from "../store/status.js";
import type { MountInput } from "../config/types.js";
import { startSandbox } from "./ephemeral.js";
import { openSandbox, SandboxHolder } from "./sandbox.js";
import { registerTools } from "./tools.js";
import { registerUndoTools } from "./undo.js";
import type { Flavour } from "./schemas.js";

export interface SessionOptions {
  home: string;
  flavour: Flavour;
  project: string;
  timeoutSeconds: number;
  maxOutputBytes: number;
  from?: string;
  name?: string;
  mounts?: MountInput[];
  say: (m: string) => void;
  warn: (m: string) => void;
}

export interface McpSession {
  server: McpServer;
  /** The instance the tools run in. */
  instance: string;
  /** Closes the server, deletes a `from` instance (SIGKILLs: seconds), then ends the SFTP session. Idempotent. */
  close(): Promise<void>;
}

const INSTRUCTIONS = `The tools of this MCP server run commands and read and write files in a Linux virtual machine (tslima, Lima-compatible), not on the host, so that code run on an agent's behalf cannot harm the host.
Paths are absolute. A host path in a folder shared with the VM is translated to its place in the VM; other paths are the VM's own.`;

export function newServer(flavour: Flavour, undo: boolean): McpServer {
  const lima = flavour === "lima";
  return new McpServer(
    { name: lima ? "lima" : "tslima", title: "Lima VM, for sandboxing local command executions and file I/O operations", version: lima ? LIMA_VERSION : TSLIMA_VERSION },
    { instructions: undo ? `${INSTRUCTIONS}\nThe VM is this connection's own: create_checkpoint and reset_sandbox undo what went wrong in it.` : INSTRUCTIONS },
  );
}

/** The instance a session without `from` works in: a running one (Lima's error otherwise). */
export function requireRunning(home: string, name: string): void {
  const st = inspectStatus(requireInstance(home, name)).status;
  if (st !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st}: mcp serve needs a running instance`, {
      hint: `start it first (tslima start ${name}), or serve a fresh instance of a booted snapshot with --from SNAP`,
      lima: `expected status of instance \`${name}\` to be \`Running\`, got \`${st}\``,
    });
  }
}

/** Opens a session on `instance` (default "default"), or on a fresh instance made from `o.from`. */
export async function openSession(instance: string | undefined, o: SessionOptions): Promise<McpSession> {
  let name = instance ?? "default";
  let ownMounts: MountInput[] | undefined;
  if (o.from !== undefined) {
    o.say(`making a fresh instance from snapshot ${o.from}`);
    ({ name, mounts: ownMounts } = await startSandbox(o.from, { home: o.home, project: o.project, onMessage: o.say, ...(o.name !== undefined ? { name: o.name } : {}), ...(o.mounts ? { mounts: o.mounts } : {}) }));
    o.say(`serving instance ${name}; it is deleted when the connection ends`);
  } else {
    requireRunning(o.home, name);
  }
  let holder: SandboxHolder | undefined;
  let closed: Promise<void> | undefined;
  const server = newServer(o.flavour, o.from !== undefined);
  const close = () =>
    (closed ??= (async () => {
      await server.close().catch(() => undefined);
      if (o.from !== undefined) {
        o.say(`deleting instance ${name}`);
        await deleteOwned(o.home, name);
      }
      await holder?.sandbox.sftp.close();
    })());
  try {
    holder = new SandboxHolder(await openSandbox(o.home, name, o.project));
  } catch (e) {
    await close();
    throw e;
  }
  if (holder.sandbox.paths.mounts.length === 0) o.warn(`instance \`${name}\` has no mount`);
  registerTools(server, holder, { flavour: o.flavour, timeoutSeconds: o.timeoutSeconds, maxOutputBytes: o.maxOutputBytes });
  if (o.from !== undefined) registerUndoTools(server, { holder, snapshot: o.from, mounts: ownMounts, onMessage: o.say });
  return { server, instance: name, close };
}
