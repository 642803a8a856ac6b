import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  url(path: string): string;
  /** Requests seen, by path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A local HTTP server on 127.0.0.1 with fixed routes, for download tests. */
export async function startServer(
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (route) route(req, res);
    else {
      res.statusCode = 404;
      res.end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A route that serves `body` with a Content-Length. */
export function serve(body: Buffer) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-length": String(body.length), "content-type": "application/octet-stream" });
    res.end(body);
  };
}

/** A route that announces `body`'s full length, sends half of it, then drops the connection. */
export function serveHalfThenDrop(body: Buffer) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "content-length": String(body.length) });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
      setTimeout(() => res.socket?.destroy(), 20);
    });
  };
}
