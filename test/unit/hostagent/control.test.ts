// The control socket end to end over a real unix socket: ControlServer with fake handlers, the
// client of instance/agent-request.ts, and raw connections for what a client must not be able to do.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { ControlServer, MAX_QUEUED_BYTES, type ControlHandlers } from "../../../src/hostagent/control.js";
import { agentStatus, requestAgent, subscribeAgentEvents } from "../../../src/instance/agent-request.js";
import { instancePaths, type InstancePaths } from "../../../src/store/paths.js";
import { TslimaError, isTslimaError } from "../../../src/errors.js";
import type { AgentEvent } from "../../../src/store/events.js";

function instance(t: TestContext): InstancePaths {
  const home = mkdtempSync(join(tmpdir(), "tslima-ctl-"));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const paths = instancePaths(home, "ctl");
  mkdirSync(paths.dir, { mode: 0o700 });
  return paths;
}

const fake = (o: Partial<ControlHandlers> = {}): ControlHandlers => ({
  status: () => ({ status: { running: true, ready: true, sshLocalPort: 60022 }, qemuPid: 4242 }),
  suspend: () => Promise.resolve({ stateBytes: 1 }),
  snapshot: () => Promise.resolve({ stateBytes: 2 }),
  ...o,
});

async function serve(t: TestContext, paths: InstancePaths, handlers: ControlHandlers): Promise<ControlServer> {
  const server = await ControlServer.listen(paths.haSock, handlers);
  t.after(() => server.close(0));
  return server;
}

/** A raw connection: writes lines, collects reply lines. */
async function raw(path: string): Promise<{ conn: Socket; lines: string[]; next(n: number): Promise<string[]> }> {
  const conn = connect(path);
  await once(conn, "connect");
  const lines: string[] = [];
  let buf = "";
  conn.setEncoding("utf8");
  conn.on("data", (c: string) => {
    buf += c;
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts);
  });
  const next = async (n: number) => {
    for (let i = 0; i < 200 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    return lines.splice(0, n);
  };
  return { conn, lines, next };
}

const rejectsWith = (code: string, re: RegExp) => (e: unknown) => isTslimaError(e) && e.kind === code && re.test(e.message);

test("listen: 0600, a stale socket file replaced, the file removed by close; a path too long for a socket refused", async (t) => {
  const paths = instance(t);
  writeFileSync(paths.haSock, "stale");
  const server = await ControlServer.listen(paths.haSock, fake());
  assert.equal(statSync(paths.haSock).isSocket(), true);
  assert.equal(statSync(paths.haSock).mode & 0o777, 0o600);
  await server.close();
  assert.throws(() => statSync(paths.haSock), /ENOENT/);
  const long = join(paths.dir, "x".repeat(120), "ha.sock");
  await assert.rejects(ControlServer.listen(long, fake()), (e: unknown) => isTslimaError(e) && e.kind === "SOCKET_PATH_TOO_LONG" && e.message.includes(long) && /TSLIMA_HOME/.test(e.hint ?? ""));
});

test("status: the handler's view, the agent's pid, QEMU's, and the activity the events show", async (t) => {
  const paths = instance(t);
  const server = await serve(t, paths, fake());
  assert.equal((await agentStatus(paths)).activity, "starting");
  server.publish({ status: {}, kind: "step", step: "wait-ssh", message: "Waiting for SSH" });
  assert.deepEqual(await agentStatus(paths), { running: true, ready: true, sshLocalPort: 60022, pid: process.pid, qemuPid: 4242, activity: "booting", step: "wait-ssh" });
  server.publish({ status: { running: true, ready: true }, kind: "ready", message: "READY" });
  assert.equal((await agentStatus(paths)).activity, "ready");
});

test("suspend: progress events to onEvent, then the result; the agent's error keeps its code and hint", async (t) => {
  const paths = instance(t);
  let busy = false;
  const server: ControlServer = await serve(t, paths, fake({
    suspend: async () => {
      server.publish({ status: {}, kind: "suspend", phase: "requested" });
      await new Promise((r) => setTimeout(r, 20));
      server.publish({ status: {}, kind: "step", step: "save-state", message: "Saving" });
      if (busy) throw new TslimaError("SUSPEND_BUSY", "/mnt is in use by bash (pid 7)", { hint: "leave the mount" });
      return { stateBytes: 12345 };
    },
  }));
  const seen: AgentEvent[] = [];
  assert.deepEqual(await requestAgent(paths, { type: "suspend" }, { timeoutMs: 5000, what: "suspending ctl", onEvent: (e) => seen.push(e) }), { stateBytes: 12345 });
  assert.deepEqual(seen.map((e) => (e.kind === "suspend" ? e.phase : e.kind === "step" ? e.step : undefined)), ["requested", "save-state"]);
  busy = true;
  await assert.rejects(requestAgent(paths, { type: "suspend" }, { timeoutMs: 5000, what: "suspending ctl" }), (e: unknown) => isTslimaError(e) && e.kind === "SUSPEND_BUSY" && /suspending ctl failed: \/mnt is in use/.test(e.message) && /leave the mount/.test(e.hint ?? ""));
  assert.equal((await requestAgent(paths, { type: "snapshot", dir: "/tmp/s" }, { timeoutMs: 5000, what: "snap" })).stateBytes, 2);
});

test("a refusal (not ready, busy) is a typed reply; a request never answered times out", async (t) => {
  const paths = instance(t);
  await serve(t, paths, fake({
    suspend: () => Promise.reject(new TslimaError("NOT_RUNNING", "ctl is not ready yet")),
    snapshot: () => new Promise(() => undefined),
  }));
  await assert.rejects(requestAgent(paths, { type: "suspend" }, { timeoutMs: 5000, what: "suspending ctl" }), rejectsWith("NOT_RUNNING", /not ready yet/));
  await assert.rejects(requestAgent(paths, { type: "snapshot", dir: "/x" }, { timeoutMs: 200, what: "the snapshot of ctl" }), rejectsWith("TIMEOUT", /the snapshot of ctl did not finish within 0s/));
});

test("the agent ending during a request: a clear error, not a hang", async (t) => {
  const paths = instance(t);
  const server = await serve(t, paths, fake({ suspend: () => new Promise(() => undefined) }));
  const pending = requestAgent(paths, { type: "suspend" }, { timeoutMs: 60_000, what: "suspending ctl" });
  const refused = assert.rejects(pending, rejectsWith("AGENT_UNREACHABLE", /suspending ctl: the host agent of ctl ended before it answered/));
  await new Promise((r) => setTimeout(r, 50));
  await server.close();
  await refused;
});

test("no ha.sock: an agent of an older tslima (its pid alive) is named with the fix; no agent at all is NOT_RUNNING", async (t) => {
  const paths = instance(t);
  await assert.rejects(agentStatus(paths), rejectsWith("NOT_RUNNING", /does not answer on .*ha\.sock/));
  writeFileSync(paths.haPid, `${process.pid}\n`);
  await assert.rejects(agentStatus(paths), (e: unknown) => isTslimaError(e) && e.kind === "AGENT_UNREACHABLE" && /older tslima/.test(e.message) && /tslima restart ctl/.test(e.hint ?? ""));
});

test("garbage and unknown requests get an error reply and the connection goes on; an overlong line closes it", async (t) => {
  const paths = instance(t);
  await serve(t, paths, fake());
  const c = await raw(paths.haSock);
  c.conn.write('nope\n{"id":9,"type":"reboot"}\n{"id":"x"}\n{"id":10,"type":"status"}\n');
  const [a, b, d, s] = (await c.next(4)).map((l) => JSON.parse(l) as { id: unknown; type: string; error?: { code: string; message: string } });
  assert.deepEqual([a?.id, a?.type, a?.error?.code], [null, "error", "CONTROL_REQUEST"]);
  assert.deepEqual([b?.id, b?.type], [9, "error"]);
  assert.match(b?.error?.message ?? "", /unknown request type "reboot"/);
  assert.deepEqual([d?.id, d?.type], [null, "error"]);
  assert.deepEqual([s?.id, s?.type], [10, "status"]);
  const closed = once(c.conn, "close");
  c.conn.write("x".repeat(1024 * 1024 + 10));
  const [over] = await c.next(1);
  assert.match(over ?? "", /too long/);
  await closed;
});

test("events: replayed from since, then live, to several subscribers; a subscriber that does not read is dropped, the rest go on", { timeout: 60_000 }, async (t) => {
  const paths = instance(t);
  const server = await serve(t, paths, fake());
  server.publish({ status: {}, kind: "step", step: "wait-ssh", message: "" });
  server.publish({ status: { ready: true }, kind: "ready", message: "READY" });
  const all: number[] = [];
  const live: string[] = [];
  const a = await subscribeAgentEvents(paths, { since: 0, onEvent: (_e, seq) => all.push(seq) });
  const b = await subscribeAgentEvents(paths, { onEvent: (e) => live.push("message" in e ? (e.message ?? "") : "") });
  assert.equal(b.seq, 2);
  const slow = await raw(paths.haSock);
  slow.conn.write('{"id":1,"type":"events"}\n');
  await slow.next(1);
  slow.conn.pause();
  const dropped = once(slow.conn, "close");
  const big = "m".repeat(64 * 1024);
  // in bursts of 1 MiB; the readers that read catch up in between, the slow one does not
  for (let i = 0; i < (2 * MAX_QUEUED_BYTES) / big.length; i++) {
    server.publish({ status: {}, kind: "message", message: i === 0 ? "first" : big });
    for (let w = 0; i % 16 === 15 && w < 500 && (all.length < i + 3 || live.length < i + 1); w++) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 200));
  slow.conn.resume();
  await dropped;
  assert.ok(slow.lines.length < (2 * MAX_QUEUED_BYTES) / big.length, `the slow subscriber was dropped after ${slow.lines.length} events`);
  server.publish({ status: {}, kind: "message", message: "last" });
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(all.slice(0, 3), [1, 2, 3]);
  assert.equal(all.at(-1), 2 + (2 * MAX_QUEUED_BYTES) / big.length + 1, "a reading subscriber got every event");
  assert.deepEqual([live[0], live.at(-1)], ["first", "last"]);
  a.close();
  b.close();
  await server.close();
  await b.closed;
});
