/**
 * `mcp serve --http PORT`: the same MCP sessions over MCP's streamable HTTP transport, for agents
 * that connect by URL. It listens on 127.0.0.1 only, at `/mcp`, and every request must carry the
 * server's bearer token (`Authorization: Bearer TOKEN`, compared in constant time) and a Host of
 * 127.0.0.1 or localhost (against DNS rebinding). Each `initialize` opens a session of its own
 * (session.ts): with `from`, a fresh instance per session, deleted when the client ends the session
 * (HTTP DELETE) or the server stops (SIGTERM, SIGINT, SIGHUP).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { openSession, type McpSession } from "./session.js";
import { holdSignals, sessionOptions, type McpServeOptions } from "./server.js";
import { lenientInitialize } from "./lenient.js";

export interface McpHttpOptions extends Omit<McpServeOptions, "name" | "stdin" | "stdout"> {
  /** The port on 127.0.0.1; 0 (default) a free one. */
  port?: number;
  /** The bearer token; default a random one (32 bytes, hex). */
  token?: string;
  /** Called once the server listens: its URL and token, for the agent's configuration. */
  onListening?: (url: string, token: string) => void;
}

/** The largest request body taken (a write_file's content travels in it). */
const BODY_MAX = 64 << 20;

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > BODY_MAX) {
        reject(new Error(`request body over ${BODY_MAX} bytes`));
        req.destroy();
      } else parts.push(b);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString("utf8")));
      } catch {
        reject(new Error("the request body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

class HttpSessions {
  private readonly sessions = new Map<string, { session: McpSession; transport: StreamableHTTPServerTransport }>();

  constructor(
    private readonly instance: string | undefined,
    private readonly o: McpHttpOptions,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid === "string") {
      const known = this.sessions.get(sid);
      if (known === undefined) return reply(res, 404, "unknown session: initialize a new one");
      return known.transport.handleRequest(req, res);
    }
    if (req.method !== "POST") return reply(res, 400, "no session: POST an initialize request first");
    const body = lenientInitialize(await readBody(req));
    if (!isInitializeRequest(body)) return reply(res, 400, "no session: the first request must be initialize");
    await this.open(req, res, body);
  }

  private async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const session = await openSession(this.instance, sessionOptions(this.o));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void this.sessions.set(id, { session, transport }),
      onsessionclosed: (id) => this.end(id, "the client ended the session"),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) void this.end(transport.sessionId, "the session closed");
    };
    await session.server.connect(transport);
    await transport.handleRequest(req, res, body);
    if (transport.sessionId === undefined) await session.close();
  }

  async end(id: string, why: string): Promise<void> {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    this.o.onMessage?.(`session ${id} on instance ${s.session.instance} ended (${why})`);
    await s.session.close();
  }

  async endAll(why: string): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, why)));
  }
}

/** Serves MCP over HTTP on 127.0.0.1 until a signal; returns the signal. */
export async function serveMcpHttp(instance: string | undefined, o: McpHttpOptions = {}): Promise<string> {
  const held = holdSignals();
  const token = o.token ?? randomBytes(32).toString("hex");
  const want = digest(`Bearer ${token}`);
  const sessions = new HttpSessions(instance, o);
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (host !== "127.0.0.1" && host !== "localhost") return reply(res, 403, "the Host must be 127.0.0.1 or localhost");
    if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== "/mcp") return reply(res, 404, "the MCP endpoint is /mcp");
    if (!timingSafeEqual(digest(req.headers.authorization ?? ""), want)) return reply(res, 401, "a bearer token is needed (Authorization: Bearer TOKEN)", { "www-authenticate": "Bearer" });
    sessions.handle(req, res).catch((e: unknown) => {
      o.onWarning?.(`request failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) reply(res, 500, e instanceof Error ? e.message : String(e));
      else res.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
    });
    o.onListening?.(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, token);
    const why = await held.signal;
    o.onMessage?.(`stopping (${why})`);
    return why;
  } finally {
    server.close();
    server.closeAllConnections();
    await sessions.endAll("the server stopped");
    held.release();
  }
}
