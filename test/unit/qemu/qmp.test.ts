import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QmpClient, QmpError } from "../../../src/qemu/index.js";
import { isTslimaError } from "../../../src/errors.js";

type Handler = (msg: Record<string, unknown>, sock: Socket) => void;

/** A fake QMP server: greets, requires qmp_capabilities first, then hands commands to `handler`. */
async function fakeQmp(t: { after: (fn: () => void) => void }, handler: Handler, opts: { greet?: string | null } = {}): Promise<{ path: string; server: Server; received: Record<string, unknown>[] }> {
  const dir = mkdtempSync(join(tmpdir(), "tslima-qmp-"));
  const path = join(dir, "qmp.sock");
  const received: Record<string, unknown>[] = [];
  const server = createServer((sock) => {
    if (opts.greet !== null) sock.write(opts.greet ?? '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "fake"}, "capabilities": ["oob"]}}\r\n');
    let buf = "";
    let negotiated = false;
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
        buf = buf.slice(nl + 1);
        received.push(msg);
        if (!negotiated) {
          if (msg.execute !== "qmp_capabilities") {
            sock.write(JSON.stringify({ error: { class: "CommandNotFound", desc: "Expecting capabilities negotiation with 'qmp_capabilities'" }, id: msg.id }) + "\r\n");
          } else {
            negotiated = true;
            sock.write(JSON.stringify({ return: {}, id: msg.id }) + "\r\n");
          }
          continue;
        }
        handler(msg, sock);
      }
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, r));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, server, received };
}

test("greeting, capabilities, execute with ids, replies matched out of order", async (t) => {
  const held: Record<string, unknown>[] = [];
  const { path, received } = await fakeQmp(t, (msg, sock) => {
    if (msg.execute === "slow") {
      held.push(msg);
      return;
    }
    if (msg.execute === "query-status") {
      sock.write(JSON.stringify({ return: { status: "running", running: true }, id: msg.id }) + "\r\n");
      for (const h of held.splice(0)) sock.write(JSON.stringify({ return: "slow done", id: h.id }) + "\r\n");
    }
  });
  const qmp = await QmpClient.connect(path);
  t.after(() => qmp.close());
  assert.deepEqual(qmp.greeting, { qemu: { micro: 0, minor: 2, major: 7 }, package: "fake" });
  const slow = qmp.execute("slow");
  assert.deepEqual(await qmp.execute("query-status"), { status: "running", running: true });
  assert.equal(await slow, "slow done");
  assert.equal(received[0]?.execute, "qmp_capabilities");
  const ids = received.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, "every command has its own id");
});

test("arguments are sent; an error reply rejects with the class and description", async (t) => {
  const { path, received } = await fakeQmp(t, (msg, sock) => {
    sock.write(JSON.stringify({ error: { class: "DeviceNotFound", desc: "Device 'nope' not found" }, id: msg.id }) + "\r\n");
  });
  const qmp = await QmpClient.connect(path);
  t.after(() => qmp.close());
  await assert.rejects(qmp.execute("device_del", { id: "nope" }), (e: unknown) => e instanceof QmpError && e.errorClass === "DeviceNotFound" && /device_del failed: DeviceNotFound: Device 'nope' not found/.test(e.message));
  assert.deepEqual(received[1]?.arguments, { id: "nope" });
});

test("events reach listeners and waitForEvent; replies still arrive between events", async (t) => {
  const { path } = await fakeQmp(t, (msg, sock) => {
    if (msg.execute === "system_powerdown") {
      sock.write('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "POWERDOWN"}\r\n');
      sock.write(JSON.stringify({ return: {}, id: msg.id }) + "\r\n");
      setTimeout(() => sock.write('{"timestamp": {"seconds": 3, "microseconds": 4}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}\r\n'), 20);
    }
  });
  const qmp = await QmpClient.connect(path);
  t.after(() => qmp.close());
  const seen: string[] = [];
  qmp.onEvent((e) => seen.push(e.event));
  const shutdown = qmp.waitForEvent("SHUTDOWN", 5000);
  assert.deepEqual(await qmp.execute("system_powerdown"), {});
  const e = await shutdown;
  assert.deepEqual(e.data, { guest: true, reason: "guest-shutdown" });
  assert.deepEqual(seen, ["POWERDOWN", "SHUTDOWN"]);
});

test("a command without reply times out with a clear error; waitForEvent times out too", async (t) => {
  const { path } = await fakeQmp(t, () => undefined);
  const qmp = await QmpClient.connect(path);
  t.after(() => qmp.close());
  await assert.rejects(qmp.execute("query-status", undefined, 50), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_TIMEOUT" && /query-status/.test(e.message));
  await assert.rejects(qmp.waitForEvent("SHUTDOWN", 50), (e: unknown) => isTslimaError(e) && /SHUTDOWN/.test(e.message));
});

test("the server going away rejects pending and later commands", async (t) => {
  const { path } = await fakeQmp(t, (_msg, sock) => sock.destroy());
  const qmp = await QmpClient.connect(path);
  t.after(() => qmp.close());
  await assert.rejects(qmp.execute("quit"), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_CLOSED");
  await assert.rejects(qmp.execute("query-status"), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_CLOSED");
});

test("connect: missing socket fails at once without retry, waits for it with retry", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tslima-qmp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "later.sock");
  await assert.rejects(QmpClient.connect(path), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_CONNECT" && e.message.includes(path));
  const pending = QmpClient.connect(path, { retry: true, timeoutMs: 5000 });
  const server = createServer((sock) => {
    sock.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    sock.on("data", (d) => {
      const msg = JSON.parse(d.toString()) as { id: string };
      sock.write(JSON.stringify({ return: {}, id: msg.id }) + "\n");
    });
  });
  setTimeout(() => server.listen(path), 250);
  t.after(() => server.close());
  const qmp = await pending;
  qmp.close();
});

test("something that is not QMP is refused", async (t) => {
  const { path } = await fakeQmp(t, () => undefined, { greet: '{"hello": 1}\n' });
  await assert.rejects(QmpClient.connect(path), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_PROTOCOL");
  const silent = await fakeQmp(t, () => undefined, { greet: null });
  await assert.rejects(QmpClient.connect(silent.path, { timeoutMs: 100 }), (e: unknown) => isTslimaError(e) && e.code === "ERR_TSLIMA_QMP_TIMEOUT");
});
