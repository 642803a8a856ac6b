/**
 * `mcp serve`: an MCP server over stdio (the protocol's TypeScript SDK) whose tools run in an
 * instance: Lima's six (tools.ts) on a running instance, or, with `from`, on a fresh instance made
 * for this connection from a booted snapshot (ephemeral.ts), with undo tools (undo.ts), and
 * deleted when the connection ends: the client closes stdin or dies, or the server gets SIGTERM,
 * SIGINT or SIGHUP. `mcpInfo` lists the tools as `mcp info` prints them.
 */
import type { Readable, Writable } from "node:stream";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TslimaError } from "../errors.js";
import { LIMA_VERSION, TSLIMA_VERSION } from "../version.js";
import { requireInstance } from "../instance/lookup.js";
import { deleteOwned } from "../instance/owned.js";
import { inspectStatus } from "../store/status.js";
import { tslimaHome } from "../store/paths.js";
import type { MountInput } from "../config/types.js";
import { startSandbox } from "./ephemeral.js";
import { openSandbox, SandboxHolder } from "./sandbox.js";
import { registerTools } from "./tools.js";
import { lenientInitialize } from "./lenient.js";
import { registerUndoTools } from "./undo.js";
import type { Flavour } from "./schemas.js";

export interface McpServeOptions {
  home?: string;
  /** "lima" (the limactl name): Lima's server name and schemas exactly; "tslima" (default) adds tslima's fields. */
  flavour?: Flavour;
  /** The agent's project folder on the host; default the working directory. */
  project?: string;
  /** run_shell_command's default timeout in seconds; default 600. */
  timeoutSeconds?: number;
  /** run_shell_command's default cap of each output stream in bytes; default 1 MiB. */
  maxOutputBytes?: number;
  /** Serve a fresh instance made from this booted snapshot, deleted at the end. */
  from?: string;
  /** With `from`: the instance's name (default mcp-SNAP-XXXXXX) and its own mounts (default the project folder, writable). */
  name?: string;
  mounts?: MountInput[];
  /** Progress and warnings, for the server's stderr (never stdout, which carries the protocol). */
  onMessage?: (m: string) => void;
  onWarning?: (m: string) => void;
  stdin?: Readable;
  stdout?: Writable;
}

const INSTRUCTIONS = `The tools of this MCP server run commands and read and write files in a Linux virtual machine (tslima, Lima-compatible), not on the host, so that code run on an agent's behalf cannot harm the host.
Paths are absolute. A host path in a folder shared with the VM is translated to its place in the VM; other paths are the VM's own.`;

function newServer(flavour: Flavour, undo: boolean): McpServer {
  const lima = flavour === "lima";
  return new McpServer(
    { name: lima ? "lima" : "tslima", title: "Lima VM, for sandboxing local command executions and file I/O operations", version: lima ? LIMA_VERSION : TSLIMA_VERSION },
    { instructions: undo ? `${INSTRUCTIONS}\nThe VM is this connection's own: create_checkpoint and reset_sandbox undo what went wrong in it.` : INSTRUCTIONS },
  );
}

/** The instance serve works in: a running one (Lima's error otherwise). */
function requireRunning(home: string, name: string): void {
  const st = inspectStatus(requireInstance(home, name)).status;
  if (st !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st}: mcp serve needs a running instance`, {
      hint: `start it first (tslima start ${name}), or serve a fresh instance of a booted snapshot with --from SNAP`,
      lima: `expected status of instance \`${name}\` to be \`Running\`, got \`${st}\``,
    });
  }
}

/**
 * Resolves when the connection ends (stdin closed, stdout broken, transport closed, a signal).
 * SIGTERM, SIGINT and SIGHUP are held until `release()`, so that the clean-up after the end (the
 * SDK's clients close stdin, then send SIGTERM two seconds later) is not cut short by them.
 */
function connectionEnd(stdin: Readable, stdout: Writable, transport: StdioServerTransport): { ended: Promise<string>; release: () => void } {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const ended = new Promise<string>((resolve) => {
    onSignal = (s) => resolve(s);
    stdin.once("end", () => resolve("stdin closed"));
    stdin.once("close", () => resolve("stdin closed"));
    stdout.once("error", () => resolve("stdout closed"));
    transport.onclose = () => resolve("transport closed");
  });
  for (const s of signals) process.on(s, onSignal);
  return { ended, release: () => signals.forEach((s) => process.off(s, onSignal)) };
}

/** Serves MCP on stdin/stdout until the connection ends; with `from`, deletes its instance then. */
export async function serveMcp(instance: string | undefined, o: McpServeOptions = {}): Promise<string> {
  const home = o.home ?? tslimaHome();
  const flavour = o.flavour ?? "tslima";
  const project = o.project ?? process.cwd();
  const say = o.onMessage ?? (() => undefined);
  let name = instance ?? "default";
  let ownMounts: MountInput[] | undefined;
  if (o.from !== undefined) {
    say(`making a fresh instance from snapshot ${o.from}`);
    const made = await startSandbox(o.from, { home, project, onMessage: say, ...(o.name !== undefined ? { name: o.name } : {}), ...(o.mounts ? { mounts: o.mounts } : {}) });
    ({ name, mounts: ownMounts } = made);
    say(`serving instance ${name}; it is deleted when the connection ends`);
  } else {
    requireRunning(home, name);
  }
  let holder: SandboxHolder | undefined;
  let release = () => undefined as void;
  try {
    holder = new SandboxHolder(await openSandbox(home, name, project));
    if (holder.sandbox.paths.mounts.length === 0) (o.onWarning ?? say)(`instance \`${name}\` has no mount`);
    const server = newServer(flavour, o.from !== undefined);
    registerTools(server, holder, { flavour, timeoutSeconds: o.timeoutSeconds ?? 600, maxOutputBytes: o.maxOutputBytes ?? 1 << 20 });
    if (o.from !== undefined) registerUndoTools(server, { holder, snapshot: o.from, mounts: ownMounts, onMessage: say });
    const stdin = o.stdin ?? process.stdin;
    const stdout = o.stdout ?? process.stdout;
    const transport = new StdioServerTransport(stdin, stdout);
    const end = connectionEnd(stdin, stdout, transport);
    release = end.release;
    await server.connect(transport);
    const handle = transport.onmessage;
    transport.onmessage = (m, extra) => handle?.(lenientInitialize(m), extra);
    const why = await end.ended;
    say(`the connection ended (${why})`);
    await server.close().catch(() => undefined);
    if (stdin === process.stdin) process.stdin.destroy();
    return why;
  } finally {
    // a --from instance goes first (SIGKILLs: seconds), the SFTP session after it
    if (o.from !== undefined) {
      say(`deleting instance ${name}`);
      await deleteOwned(home, name);
    }
    await holder?.sandbox.sftp.close();
    release();
  }
}

/** The tools as `mcp info` shows them (Lima's: `{"tools": [...]}`), from a server that serves nothing. */
export async function mcpInfo(flavour: Flavour): Promise<{ tools: unknown[] }> {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { InMemoryTransport } = await import("@modelcontextprotocol/sdk/inMemory.js");
  const server = newServer(flavour, false);
  registerTools(server, new SandboxHolder(), { flavour, timeoutSeconds: 600, maxOutputBytes: 1 << 20 });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: "mcp-info", version: TSLIMA_VERSION });
  await client.connect(b);
  const { tools } = await client.listTools();
  await client.close();
  await server.close();
  return { tools };
}
