import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { HostFacts } from "../../../src/config/index.js";

/** Host facts for a Linux x86_64 machine with 8 cores and 16 GiB. */
export const linuxHost: HostFacts = {
  os: "Linux",
  arch: "x86_64",
  cpus: 8,
  memoryBytes: 16 * 1024 ** 3,
  home: "/home/alice",
  user: "alice",
  uid: 1001,
  gid: 1001,
  tmpDir: "/tmp",
  timezone: "Europe/Berlin",
};

/** Host facts for an Apple silicon Mac with 2 cores and 6 GiB. */
export const macHost: HostFacts = {
  os: "Darwin",
  arch: "aarch64",
  cpus: 2,
  memoryBytes: 6 * 1024 ** 3,
  home: "/Users/bob",
  user: "bob",
  uid: 501,
  gid: 20,
  tmpDir: "/tmp",
};

/** A temporary directory with files written from a map of relative path -> text; removed by cleanup(). */
export function tempTree(files: Record<string, string>): { dir: string; path: (rel: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tslima-config-test-"));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { dir, path: (rel) => join(dir, rel), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const IMAGE = 'images:\n- location: "build:debian-12"\n  arch: x86_64\n';

/** Serves `files` (URL path -> body; anything else 404) on 127.0.0.1 until the test ends; returns the base URL. */
export async function serveFiles(ctx: { after(fn: () => void): void }, files: Record<string, string>): Promise<string> {
  const server = createServer((req, res) => {
    const body = files[req.url ?? ""];
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body ?? "not found");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  ctx.after(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
