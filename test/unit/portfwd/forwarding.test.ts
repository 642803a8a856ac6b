import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { PortForward } from "../../../src/config/types.js";
import { findFreePort } from "../../../src/qemu/index.js";
import { sshControlExitArgv } from "../../../src/ssh/index.js";
import { portForwardStatePath, readPortForwards, startPortForwarding, type PortForwardEvent, type PortForwarding } from "../../../src/portfwd/index.js";
import { canRunSshd, startLocalGuest } from "../support/localsshd.js";
import { makeStaleSocket } from "../support/stalesocket.js";

/**
 * Port forwarding end to end against a real sshd on 127.0.0.1 standing in for the guest: the
 * watcher reads the host's own /proc/net/tcp then, so "guest" servers are node servers here.
 */

type Addr = { port: number; host: string } | { path: string };

/** A server that answers every connection with `tag:` + the first chunk it receives. */
async function echoServer(addr: Addr, tag: string): Promise<Server> {
  const srv = createServer((s) => {
    s.on("error", () => undefined);
    s.once("data", (b: Buffer) => s.end(`${tag}:${b.toString()}`));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(addr, resolve);
  });
  return srv;
}

function closeServer(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/** Sends `msg`, returns the answer, or the error code (ECONNREFUSED, ...). */
function roundTrip(addr: Addr, msg: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(addr);
    let out = "";
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("connect", () => s.write(msg));
    s.on("data", (b: Buffer) => (out += b.toString()));
    s.on("end", () => resolve(out));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const rule = (r: Partial<PortForward>): PortForward => {
  const range = (p: number): [number, number] => [p, p];
  return {
    guestIPMustBeZero: false,
    guestIP: "127.0.0.1",
    guestPort: 0,
    guestPortRange: r.guestPort ? range(r.guestPort) : [1, 65535],
    guestSocket: "",
    hostIP: "127.0.0.1",
    hostPort: 0,
    hostPortRange: r.hostPort ? range(r.hostPort) : r.guestPort ? range(r.guestPort) : [1, 65535],
    hostSocket: "",
    proto: "tcp",
    reverse: false,
    ignore: false,
    ...r,
  };
};

test("port forwarding over the ControlMaster of a local sshd", { skip: canRunSshd ? false : "needs root and /usr/sbin/sshd", timeout: 120_000 }, async (t) => {
  const guest = await startLocalGuest("pf");
  const servers: Server[] = [];
  let pf: PortForwarding | undefined;
  t.after(async () => {
    await pf?.stop();
    await Promise.all(servers.map(closeServer));
    guest.close();
  });
  const { paths, root } = guest;
  const serve = async (addr: Addr, tag: string) => {
    const s = await echoServer(addr, tag);
    servers.push(s);
    return s;
  };

  // "Guest" servers, and a host port that is already taken.
  const webPort = await findFreePort();
  const web = await serve({ port: webPort, host: "127.0.0.1" }, "web");
  const webHostPort = await findFreePort();
  const busyHostPort = await findFreePort();
  const busy = await serve({ port: busyHostPort, host: "127.0.0.1" }, "busy");
  const blockedPort = await findFreePort();
  const blocked = await serve({ port: blockedPort, host: "127.0.0.1" }, "blocked");
  const guestSock = join(root, "guest", "app.sock");
  mkdirSync(join(root, "guest"));
  await serve({ path: guestSock }, "app");
  const hostSock = join(paths.sockDir, "app.sock");
  mkdirSync(paths.sockDir, { recursive: true });
  makeStaleSocket(hostSock); // left over from an earlier run
  const revHostSock = join(root, "host-agent.sock");
  await serve({ path: revHostSock }, "hostside");
  const revGuestSock = join(root, "guest", "run", "agent.sock");

  const rules = [
    rule({ guestPort: webPort, hostPort: webHostPort }),
    rule({ guestPort: blockedPort, hostPort: busyHostPort }),
    rule({ guestSocket: guestSock, hostSocket: hostSock }),
    rule({ guestSocket: revGuestSock, hostSocket: revHostSock, reverse: true }),
    // The host's other listeners are not ours to forward (they would all collide with themselves).
    rule({ guestIP: "0.0.0.0", ignore: true, proto: "any" }),
  ];
  const events: PortForwardEvent[] = [];
  const warnings: string[] = [];
  const log: string[] = [];
  pf = startPortForwarding(paths, { portForwards: rules, plain: false }, {
    emit: (e) => {
      if (e.kind === "port-forward") events.push(e.portForward);
      if (e.warning !== undefined) warnings.push(e.warning);
    },
    log: (m) => log.push(m),
  }, { sshLocalPort: guest.sshPort });

  await pf.settled();
  await until("the web forward", () => events.some((e) => e.action === "added" && e.host === `127.0.0.1:${webHostPort}`));
  assert.equal(await roundTrip({ port: webHostPort, host: "127.0.0.1" }, "hello"), "web:hello");

  // The busy host port: a warning naming the port and the rule; everything else works.
  await until("the busy-port warning", () => warnings.length > 0);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0] ?? "", new RegExp(`host port ${busyHostPort} .*already in use`));
  assert.match(warnings[0] ?? "", /portForwards\[1\]/);
  assert.equal(await roundTrip({ port: busyHostPort, host: "127.0.0.1" }, "x"), "busy:x", "the busy port still belongs to its owner");

  // Unix sockets: guest -> host (stale socket replaced) and host -> guest (reverse).
  assert.equal(await roundTrip({ path: hostSock }, "s"), "app:s");
  await until("the reverse socket in the guest", () => existsSync(revGuestSock));
  assert.equal(await roundTrip({ path: revGuestSock }, "r"), "hostside:r");

  const state = readPortForwards(paths.dir);
  assert.deepEqual(state.map((f) => `${f.guest} -> ${f.host} ${f.reverse ? "R" : "L"} ${f.rule}`).sort(), [
    `${guestSock} -> ${hostSock} L portForwards[2]`,
    `${revGuestSock} -> ${revHostSock} R portForwards[3]`,
    `127.0.0.1:${webPort} -> 127.0.0.1:${webHostPort} L portForwards[0]`,
  ].sort());
  assert.ok(!log.some((l) => l.includes(`:${guest.sshPort} `) && l.startsWith("Forwarding")), "the ssh port is never forwarded");

  // The guest server stops: the forward goes away within a few seconds.
  await closeServer(web);
  await until("the web forward removed", () => events.some((e) => e.action === "removed" && e.host === `127.0.0.1:${webHostPort}`));
  assert.equal(await roundTrip({ port: webHostPort, host: "127.0.0.1" }, "again"), "ECONNREFUSED");
  assert.ok(!readPortForwards(paths.dir).some((f) => f.host === `127.0.0.1:${webHostPort}`));

  // A failed forward is tried again when its listener comes back (and the host port is free by then).
  await closeServer(blocked);
  await closeServer(busy);
  await sleep(2500);
  await serve({ port: blockedPort, host: "127.0.0.1" }, "blocked");
  await until("the formerly blocked forward", () => events.some((e) => e.action === "added" && e.host === `127.0.0.1:${busyHostPort}`));
  assert.equal(await roundTrip({ port: busyHostPort, host: "127.0.0.1" }, "b"), "blocked:b");

  // The ControlMaster goes away (and the forwards with it): the watcher restarts and sets them up again.
  spawnSync("ssh", sshControlExitArgv(paths), { stdio: "ignore", timeout: 5000 });
  await until("forwards after a new ControlMaster", async () => (await roundTrip({ port: busyHostPort, host: "127.0.0.1" }, "c")) === "blocked:c", 30_000);
  await until("the socket forward after a new ControlMaster", async () => (await roundTrip({ path: hostSock }, "s")) === "app:s");
  await until("the reverse socket after a new ControlMaster", async () => (await roundTrip({ path: revGuestSock }, "r")) === "hostside:r");
  assert.ok(log.some((l) => l.includes("watcher ended")), log.join("\n"));

  // Stop: every forward cancelled, the host socket and portfwd.json removed.
  await pf.stop();
  pf = undefined;
  assert.equal(await roundTrip({ port: busyHostPort, host: "127.0.0.1" }, "b"), "ECONNREFUSED");
  assert.ok(!existsSync(hostSock), "host socket removed");
  assert.ok(!existsSync(portForwardStatePath(paths.dir)), "portfwd.json removed");
  assert.notEqual(readFileSync(paths.sshConfig, "utf8"), "");
});
