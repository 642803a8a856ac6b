import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_SOCKET_RULE, prepareListenSocket, removeListenSocket } from "../../../src/portfwd/hostsocket.js";
import { makeStaleSocket } from "../support/stalesocket.js";

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tslima-hostsock-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("prepareListenSocket: a missing path gets its directory; a stale socket is removed", async (t) => {
  const dir = scratch(t);
  const fresh = join(dir, "sock", "a.sock");
  assert.equal(await prepareListenSocket(fresh), undefined);
  assert.ok(lstatSync(join(dir, "sock")).isDirectory());
  const stale = join(dir, "stale.sock");
  makeStaleSocket(stale);
  assert.ok(lstatSync(stale).isSocket(), "the helper left a socket behind");
  assert.equal(await prepareListenSocket(stale), undefined);
  assert.ok(!existsSync(stale));
});

test("prepareListenSocket: a regular file, a directory or a symlink is refused with the rule and left intact", async (t) => {
  const dir = scratch(t);
  const file = join(dir, "notes.txt");
  writeFileSync(file, "precious");
  const why = await prepareListenSocket(file);
  assert.match(why ?? "", /exists and is a regular file/);
  assert.ok(why?.includes(HOST_SOCKET_RULE));
  assert.equal(readFileSync(file, "utf8"), "precious");
  mkdirSync(join(dir, "d"));
  assert.match((await prepareListenSocket(join(dir, "d"))) ?? "", /is a directory/);
  symlinkSync(file, join(dir, "link"));
  assert.match((await prepareListenSocket(join(dir, "link"))) ?? "", /is a symbolic link/);
  assert.equal(readFileSync(file, "utf8"), "precious");
});

test("prepareListenSocket: a socket another program listens on is left alone", async (t) => {
  const dir = scratch(t);
  const path = join(dir, "live.sock");
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  t.after(() => srv.close());
  assert.match((await prepareListenSocket(path)) ?? "", /in use by another program/);
  assert.ok(lstatSync(path).isSocket());
});

test("removeListenSocket removes a socket, never a file that took its place", (t) => {
  const dir = scratch(t);
  const file = join(dir, "x.sock");
  writeFileSync(file, "not a socket");
  removeListenSocket(file);
  assert.equal(readFileSync(file, "utf8"), "not a socket");
  const sock = join(dir, "y.sock");
  makeStaleSocket(sock);
  removeListenSocket(sock);
  assert.ok(!existsSync(sock));
  removeListenSocket(join(dir, "missing.sock"));
});
