/**
 * `mcp serve` over stdio: one MCP session (session.ts) on stdin/stdout, on a running instance or,
 * with `from`, on a fresh instance made for this connection and deleted when it ends: the client
 * closes stdin or dies, or the server gets SIGTERM, SIGINT or SIGHUP. Those signals are held from
 * the start, so that neither the making of the instance nor the clean-up is cut short (the SDK's
 * clients close stdin, then send SIGTERM two seconds later). `mcpInfo` lists the tools as
 * `mcp info` prints them. http.ts serves the same sessions over streamable HTTP.
 */
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TSLIMA_VERSION } from "../version.js";
import { tslimaHome } from "../store/paths.js";
import type { MountInput } from "../config/types.js";
import { newServer, openSession, type SessionOptions } from "./session.js";
import { SandboxHolder } from "./sandbox.js";
import { registerTools } from "./tools.js";
import { lenientInitialize } from "./lenient.js";
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
  /** Serve a fresh instance made from this booted snapshot (one per connection), deleted at its end. */
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

export function sessionOptions(o: McpServeOptions): SessionOptions {
  const say = o.onMessage ?? (() => undefined);
  return {
    home: o.home ?? tslimaHome(),
    flavour: o.flavour ?? "tslima",
    project: o.project ?? process.cwd(),
    timeoutSeconds: o.timeoutSeconds ?? 600,
    maxOutputBytes: o.maxOutputBytes ?? 1 << 20,
    say,
    warn: o.onWarning ?? say,
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.name !== undefined ? { name: o.name } : {}),
    ...(o.mounts !== undefined ? { mounts: o.mounts } : {}),
  };
}

/** SIGTERM, SIGINT and SIGHUP, held until `release()`: `signal` resolves with the first one. */
export function holdSignals(): { signal: Promise<string>; release: () => void } {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<string>((resolve) => (onSignal = resolve));
  for (const s of signals) process.on(s, onSignal);
  return { signal, release: () => signals.forEach((s) => process.off(s, onSignal)) };
}

/** Resolves when the stdio connection ends (stdin closed, stdout broken, the transport closed). */
function connectionEnd(stdin: Readable, stdout: Writable, transport: StdioServerTransport): Promise<string> {
  return new Promise<string>((resolve) => {
    stdin.once("end", () => resolve("stdin closed"));
    stdin.once("close", () => resolve("stdin closed"));
    stdout.once("error", () => resolve("stdout closed"));
    transport.onclose = () => resolve("transport closed");
  });
}

/** Serves MCP on stdin/stdout until the connection ends; returns why it ended. */
export async function serveMcp(instance: string | undefined, o: McpServeOptions = {}): Promise<string> {
  const so = sessionOptions(o);
  const held = holdSignals();
  try {
    const session = await openSession(instance, so);
    try {
      const stdin = o.stdin ?? process.stdin;
      const stdout = o.stdout ?? process.stdout;
      const transport = new StdioServerTransport(stdin, stdout);
      const ended = connectionEnd(stdin, stdout, transport);
      await session.server.connect(transport);
      const handle = transport.onmessage;
      transport.onmessage = (m) => handle?.(lenientInitialize(m));
      const why = await Promise.race([ended, held.signal]);
      so.say(`the connection ended (${why})`);
      if (stdin === process.stdin) process.stdin.destroy();
      return why;
    } finally {
      await session.close();
    }
  } finally {
    held.release();
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
