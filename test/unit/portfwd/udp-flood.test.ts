/**
 * The UDP relay under a flood (issue 24): the host end (serveUdp) with the real guest program run
 * locally as its session, flooded from 70,000 distinct 127/8 source (address, port) pairs, stays
 * responsive, keeps answering a regular client, and the guest program holds a bounded number of
 * sockets. Also the guest program alone: its socket cap and the control frame that closes ids.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { serveUdp } from "../../../src/portfwd/udp.js";
import { udpFlood, udpProbe } from "../support/udpflood.js";
import { encodeClose, encodeFrame, FrameDecoder, GUEST_RELAY_SCRIPT, relayArgs, MAX_CLIENTS } from "../../../src/portfwd/udprelay.js";

const hasPython = spawnSync("python3", ["-c", "pass"]).status === 0;
const skip = hasPython ? false : "needs python3";

const fdCount = (pid: number | undefined) => readdirSync(`/proc/${pid}/fd`).length;

async function echoServer(): Promise<{ server: Socket; port: number }> {
  const server = createSocket("udp4");
  server.on("message", (m, r) => server.send(Buffer.concat([Buffer.from("echo:"), m]), r.port, r.address));
  await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
  return { server, port: server.address().port };
}

async function freePort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Sends "ping" to 127.0.0.1:port from a fresh socket and waits for the answer (undefined after `ms`). */
async function ask(port: number, text: string, ms: number): Promise<string | undefined> {
  const c = createSocket("udp4");
  try {
    const answer = new Promise<string>((resolve) => c.once("message", (m) => resolve(m.toString())));
    await new Promise<void>((resolve) => c.bind(0, "127.0.0.1", resolve));
    for (let t = 0; t < ms; t += 250) {
      c.send(text, port, "127.0.0.1");
      const got = await Promise.race([answer, sleep(250).then(() => undefined)]);
      if (got !== undefined) return got;
    }
    return undefined;
  } finally {
    c.close();
  }
}

test("a flood from 70,000 distinct 127/8 sources: the relay stays responsive, a regular client gets answers, the guest program holds at most MAX_CLIENTS sockets", { skip, timeout: 180_000 }, async () => {
  const { server, port: target } = await echoServer();
  const port = await freePort();
  let session: ChildProcess | undefined;
  const logs: string[] = [];
  const r = await serveUdp({ ip: "127.0.0.1", port }, () => (session = spawn("python3", ["-c", GUEST_RELAY_SCRIPT, ...relayArgs("127.0.0.1", target)], { stdio: ["pipe", "pipe", "pipe"] })), (m) => logs.push(m));
  assert.ok("relay" in r, JSON.stringify(r));
  try {
    assert.equal(await ask(port, "before", 5000), "echo:before");
    const base = fdCount(session?.pid);
    const t0 = Date.now();
    let maxFds = 0;
    const sampler = setInterval(() => (maxFds = Math.max(maxFds, fdCount(session?.pid))), 100);
    const regular = await udpProbe(port);
    const failed = await udpFlood(port, 70_000, () => regular.ask());
    regular.close();
    const n = regular.asked;
    clearInterval(sampler);
    const stats = r.relay.stats();
    console.log(`flood of 70,000 sources: ${((Date.now() - t0) / 1000).toFixed(1)}s, ${failed} of ${n} probes unanswered; relay ${JSON.stringify(stats)}; guest program fds: ${base} before, at most ${maxFds} during`);
    assert.ok(stats.relayed > 66_000, "more distinct sources than there are ids reached the relay");
    assert.ok(stats.ended >= stats.relayed - n - 2 * MAX_CLIENTS, "clients beyond the cap were evicted");
    assert.ok(failed <= n / 100, `a regular client is answered during the flood (${failed} of ${n} probes were not)`);
    assert.equal(await ask(port, "after", 10_000), "echo:after", "and after it");
    maxFds = Math.max(maxFds, fdCount(session?.pid));
    assert.ok(maxFds <= base + MAX_CLIENTS, `guest program fds ${maxFds} > ${base} + ${MAX_CLIENTS}`);
    assert.equal(session?.exitCode, null, "the guest program still runs");
    assert.deepEqual(logs, []);
  } finally {
    await r.relay.stop();
    server.close();
  }
});

/** The guest program run locally against an echo server; frames written raw. */
async function guestProgram(maxc: number) {
  const { server, port } = await echoServer();
  const p = spawn("python3", ["-c", GUEST_RELAY_SCRIPT, ...relayArgs("127.0.0.1", port, maxc)], { stdio: ["pipe", "pipe", "inherit"] });
  const d = new FrameDecoder();
  const answers: number[] = [];
  p.stdout.on("data", (b: Buffer) => answers.push(...d.push(b).map((f) => f.id)));
  return {
    p,
    answers,
    async settle(check: () => boolean) {
      for (let i = 0; i < 100 && !check(); i++) await sleep(50);
    },
    [Symbol.asyncDispose]() {
      p.kill();
      server.close();
      return Promise.resolve();
    },
  };
}

test("the guest program opens at most its cap of sockets, and a control frame closes ids (a later frame for one opens a fresh socket)", { skip }, async () => {
  await using g = await guestProgram(5);
  g.p.stdin.write(encodeFrame(0, Buffer.from("x")));
  await g.settle(() => g.answers.length === 1);
  const base = fdCount(g.p.pid) - 1; // the program runs, with one client socket
  for (let id = 1; id < 8; id++) g.p.stdin.write(encodeFrame(id, Buffer.from("x")));
  await g.settle(() => g.answers.length >= 5);
  await sleep(200);
  assert.deepEqual([...g.answers].sort(), [0, 1, 2, 3, 4], "ids 5-7 found no room: dropped");
  assert.equal(fdCount(g.p.pid), base + 5);
  for (const f of encodeClose([0, 1, 2])) g.p.stdin.write(f);
  await g.settle(() => fdCount(g.p.pid) === base + 2);
  assert.equal(fdCount(g.p.pid), base + 2, "closed ids give their sockets back");
  g.answers.length = 0;
  g.p.stdin.write(encodeFrame(1, Buffer.from("y")));
  g.p.stdin.write(encodeFrame(6, Buffer.from("z")));
  await g.settle(() => g.answers.length >= 2);
  assert.deepEqual([...g.answers].sort(), [1, 6]);
  assert.equal(fdCount(g.p.pid), base + 4);
});
