import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { parseWatcherLine, watcherScript } from "../../../src/portfwd/watchscript.js";
import type { Listener } from "../../../src/portfwd/types.js";

test("parseWatcherLine: LISTEN lines carry the full set; other lines are not snapshots", () => {
  assert.deepEqual(parseWatcherLine("LISTEN 0100007F:1F90 00000000000000000000000000000000:1F90"), [
    { proto: "tcp", ip: "127.0.0.1", port: 8080 },
    { proto: "tcp", ip: "::", port: 8080 },
  ]);
  assert.deepEqual(parseWatcherLine("LISTEN"), []);
  assert.equal(parseWatcherLine("bash: warning: setlocale"), undefined);
  assert.equal(parseWatcherLine(""), undefined);
});

test("the watcher script, run locally by sh, reports a listener appearing and going away", { skip: existsSync("/proc/net/tcp") ? false : "needs /proc/net/tcp" }, async (t) => {
  const child = spawn("sh", ["-c", watcherScript(1, 3)], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Listener[]> => {
    for (;;) {
      const r = await lines.next();
      assert.ok(!r.done, "the watcher ended");
      const l = parseWatcherLine(r.value);
      if (l) return l;
    }
  };
  const has = (ls: Listener[], port: number) => ls.some((l) => l.port === port && l.ip === "127.0.0.1");

  const srv = createServer();
  t.after(() => srv.close());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  let snap = await next();
  const deadline = Date.now() + 10_000;
  while (!has(snap, port) && Date.now() < deadline) snap = await next();
  assert.ok(has(snap, port), `port ${port} seen`);
  // Unchanged: it is printed again after `refreshEvery` rounds.
  assert.ok(has(await next(), port));
  await new Promise<void>((r) => srv.close(() => r()));
  while (has(snap, port) && Date.now() < deadline + 10_000) snap = await next();
  assert.ok(!has(snap, port), `port ${port} gone`);
});
