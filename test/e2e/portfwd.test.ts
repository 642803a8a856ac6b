/**
 * End to end, port forwarding on the locally built Debian 12 guest under QEMU: a guest listener
 * appears on the host's 127.0.0.1 at the same port within seconds and goes away when it stops; a
 * static `portForwards` rule maps a guest port to another host port; a host port that is already in
 * use gives a warning event while the other forwards keep working; a reverse unix socket rule makes
 * a host socket reachable in the guest. Nothing listens on the host beyond 127.0.0.1. A UDP forward
 * flooded from thousands of local source addresses keeps working with a bounded guest relay.
 * One VM serves the whole file, booted through the library (FileGuest) and disposed at the end, also
 * on failure; the tests drive it with the CLI (`tslima shell`, `tslima stop`).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Cli, FileGuest, guestYaml } from "./harness.js";
import type { AgentEvent } from "../../src/index.js";
import { parseProcNetAddress, readPortForwards } from "../../src/portfwd/index.js";
import { shellQuote } from "../../src/proc/quote.js";
import { MAX_CLIENTS } from "../../src/portfwd/udprelay.js";
import { udpFlood, udpProbe } from "../unit/support/udpflood.js";

const NAME = "pf";
const cli = new Cli("portfwd");
const BOOT = { timeout: 15 * 60_000 };
const instDir = join(cli.home, NAME);
const servers: Server[] = [];
const guest = new FileGuest(cli);
const bootEvents: AgentEvent[] = [];

before(async () => {
  mkdirSync(cli.root, { recursive: true });
  const yaml = guestYaml(
    [
      "portForwards:",
      "- guestPort: 8124",
      "  hostPort: 18124",
      "- guestSocket: /tmp/tslima-e2e/host.sock",
      "  hostSocket: rev.sock",
      "  reverse: true",
    ].join("\n"),
  );
  await guest.boot({ from: "base-snapshot", name: NAME, yaml, onEvent: (e) => bootEvents.push(e) });
}, BOOT);
after(async () => {
  for (const s of servers) s.close();
  await guest[Symbol.asyncDispose]();
});

/** Starts `python3 -m http.server PORT --bind ADDR` in the guest's /tmp/www, detached. */
async function guestHttp(port: number, bind = "127.0.0.1"): Promise<void> {
  const script = `mkdir -p /tmp/www && echo "hello from the guest ${port}" >/tmp/www/hello.txt && cd /tmp/www &&
    nohup python3 -m http.server ${port} --bind ${bind} </dev/null >/tmp/http-${port}.log 2>&1 & echo started`;
  await cli.ok(["shell", NAME, "sh", "-c", script]);
}

async function stopGuestHttp(port: number): Promise<void> {
  // "[h]" keeps pkill from matching (and killing) the shell that runs it
  await cli.ok(["shell", NAME, "sh", "-c", `pkill -f "[h]ttp.server ${port}" ; true`]);
}

/** GET http://127.0.0.1:PORT/hello.txt on the host; the body, or undefined when it fails. */
async function fetchText(port: number): Promise<string | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/hello.txt`, { signal: AbortSignal.timeout(5000) });
    return r.ok ? await r.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `check` every 200 ms until it returns true; the seconds it took. */
async function within(seconds: number, what: string, check: () => Promise<boolean> | boolean): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > seconds * 1000) assert.fail(`${what}: not within ${seconds}s; forwards: ${JSON.stringify(readPortForwards(instDir))}`);
    await sleep(200);
  }
  return (Date.now() - t0) / 1000;
}

/** True when a TCP connect to 127.0.0.1:port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

/** The host addresses listening on `port` (from /proc/net/tcp and tcp6). */
function hostListeners(port: number): string[] {
  const out: string[] = [];
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(f, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== "0A") continue;
      const a = parseProcNetAddress(cols[1] ?? "");
      if (a?.port === port) out.push(a.ip);
    }
  }
  return out;
}

function events(): Array<Record<string, unknown>> {
  return readFileSync(join(instDir, "ha.stdout.log"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function listen(server: Server, port: number): Promise<void> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve());
  });
}

test("started with a static rule and a reverse socket rule", async () => {
  assert.ok(bootEvents.some((e) => e.status.ready === true), "start reported READY");
  assert.equal(guest.vm.info().status, "Running");
  const py = await cli.ok(["shell", NAME, "python3", "--version"]);
  console.log(`guest: ${py.stdout.trim()}`);
});

test("a guest http server on 127.0.0.1:8123 is reachable on the host's 127.0.0.1:8123, and gone after it stops", async () => {
  assert.equal(await refused(8123), true, "nothing listens on 8123 before");
  const t0 = Date.now();
  await guestHttp(8123);
  const up = await within(30, "forward of 8123 appears", async () => (await fetchText(8123)) === "hello from the guest 8123\n");
  console.log(`forward latency: reachable ${up.toFixed(1)}s after \`tslima shell\` returned (${((Date.now() - t0) / 1000).toFixed(1)}s incl. the shell command)`);
  assert.deepEqual(hostListeners(8123), ["127.0.0.1"], "the host side listens on 127.0.0.1 only");
  assert.ok(readPortForwards(instDir).some((f) => f.host === "127.0.0.1:8123" && f.guest === "127.0.0.1:8123" && f.rule === "default rule"));
  const added = events().find((e) => (e.portForward as { action?: string; host?: string } | undefined)?.host === "127.0.0.1:8123");
  assert.equal((added?.portForward as { action: string }).action, "added", "an event reports the new forward");

  await stopGuestHttp(8123);
  const down = await within(30, "forward of 8123 goes away", () => refused(8123));
  console.log(`forward latency: removed ${down.toFixed(1)}s after the server stopped`);
  // the agent writes portfwd.json once the round that closed the listener is over
  await within(10, "portfwd.json drops 8123", () => Promise.resolve(!readPortForwards(instDir).some((f) => f.host === "127.0.0.1:8123")));
  assert.ok(events().some((e) => (e.portForward as { action?: string; host?: string } | undefined)?.action === "removed"));
});

test("a guest server on 0.0.0.0 is forwarded to the host's 127.0.0.1 only", async () => {
  await guestHttp(8125, "0.0.0.0");
  await within(30, "forward of 8125 appears", async () => (await fetchText(8125)) === "hello from the guest 8125\n");
  assert.deepEqual(hostListeners(8125), ["127.0.0.1"]);
  await stopGuestHttp(8125);
  await within(30, "forward of 8125 goes away", () => refused(8125));
});

test("the static rule maps guest port 8124 to host port 18124", async () => {
  await guestHttp(8124);
  await within(30, "forward 8124 -> 18124 appears", async () => (await fetchText(18124)) === "hello from the guest 8124\n");
  assert.equal(await refused(8124), true, "the guest port is not forwarded 1:1 as well");
  assert.ok(readPortForwards(instDir).some((f) => f.host === "127.0.0.1:18124" && f.rule === "portForwards[0]"));
  await stopGuestHttp(8124);
  await within(30, "forward 18124 goes away", () => refused(18124));
});

test("a host port in use: a warning event, and the other forwards keep working", async () => {
  const busy = createServer((s) => s.end("HTTP/1.0 200 OK\r\ncontent-length: 9\r\n\r\noccupied\n"));
  await listen(busy, 8126);
  await guestHttp(8126);
  await guestHttp(8127);
  await within(30, "forward of 8127 appears", async () => (await fetchText(8127)) === "hello from the guest 8127\n");
  await within(30, "a failed event for 8126", () =>
    events().some((e) => {
      const pf = e.portForward as { action?: string; host?: string } | undefined;
      return pf?.action === "failed" && pf.host === "127.0.0.1:8126" && /already in use/.test(String(e.warning));
    }),
  );
  assert.equal(await fetchText(8126), "occupied\n", "the host's own server on 8126 is left alone");
  await stopGuestHttp(8126);
  await stopGuestHttp(8127);
  await within(30, "forward of 8127 goes away", () => refused(8127));
});

test("a reverse socket rule: a host unix socket is reachable in the guest", async () => {
  const hostSock = join(instDir, "sock", "rev.sock");
  assert.ok(readPortForwards(instDir).some((f) => f.reverse && f.host === hostSock && f.guest === "/tmp/tslima-e2e/host.sock"));
  const srv = createServer((s) => s.end("hello from the host socket\n"));
  await new Promise<void>((resolve) => srv.listen(hostSock, resolve));
  servers.push(srv);
  const py = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('/tmp/tslima-e2e/host.sock'); print(s.recv(100).decode(), end='')";
  const r = await cli.ok(["shell", NAME, "python3", "-c", py]);
  assert.equal(r.stdout, "hello from the host socket\n");
});

test("a UDP flood from 2,000 127/8 sources: the agent answers, the forward keeps working, the guest relay's sockets stay bounded", async () => {
  const echo = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 5301))\nwhile True:\n    m, a = s.recvfrom(65535); s.sendto(b'echo:' + m, a)";
  await cli.ok(["shell", NAME, "sh", "-c", `nohup python3 -c ${shellQuote(echo, { always: true })} </dev/null >/tmp/udp-echo.log 2>&1 & echo started`]);
  // TCG under load: a round trip through the relay may take seconds while the guest works through a batch
  const regular = await udpProbe(5301, 10_000);
  try {
    await within(30, "the udp forward of 5301 answers", () => regular.ask());
    const t0 = Date.now();
    const failed = await udpFlood(5301, 2000, () => regular.ask(), 250);
    console.log(`udp flood: 2000 sources in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${failed} of ${regular.asked - 1} probes unanswered within 10 s`);
    const back = await within(60, "a regular client is answered after the flood", () => regular.ask());
    console.log(`udp flood: a regular client answered ${back.toFixed(1)}s after the flood`);
    const t1 = Date.now();
    const listed = await cli.ok(["list", NAME], { timeoutMs: 30_000 });
    assert.match(listed.stdout, /Running/, "the agent answers");
    console.log(`tslima list answered in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    assert.ok(failed < regular.asked / 2, `the forward answered a regular client during the flood (${failed} of ${regular.asked} probes were not)`);
  } finally {
    regular.close();
  }
  // the guest relay of this forward: python3 -c SCRIPT 127.0.0.1 5301 MAX; its open files
  const count = String.raw`import os
for p in os.listdir('/proc'):
    try:
        a = open('/proc/%s/cmdline' % p, 'rb').read().split(b'\0')
        if a[1:2] == [b'-c'] and a[3:5] == [b'127.0.0.1', b'5301']:
            print(len(os.listdir('/proc/%s/fd' % p)))
    except (OSError, ValueError):
        pass`;
  const fds = (await cli.ok(["shell", NAME, "python3", "-c", count])).stdout.trim().split("\n").map(Number);
  console.log(`guest relay open files: ${fds.join(", ")}`);
  assert.equal(fds.length, 1, "one guest relay runs for the forward");
  assert.ok(fds[0]! <= MAX_CLIENTS + 8, `the guest relay holds ${fds[0]} files, over MAX_CLIENTS ${MAX_CLIENTS}`);
  await cli.ok(["shell", NAME, "sh", "-c", "pkill -f '[s]endto.b.echo' ; true"]);
});

test("stop removes the forwards and portfwd.json", async () => {
  await guestHttp(8123);
  await within(30, "forward of 8123 appears", async () => (await fetchText(8123)) !== undefined);
  await cli.ok(["stop", NAME], { timeoutMs: 5 * 60_000 });
  assert.equal(await refused(8123), true);
  assert.deepEqual(readPortForwards(instDir), []);
});
