import type { ChildProcess } from "node:child_process";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { startChild } from "../proc/child.js";
import { pause } from "../proc/wait.js";
import { sshArgv } from "../ssh/index.js";
import type { InstancePaths } from "../store/paths.js";
import { isIPv6 } from "./ip.js";
import { ClientTable, type ClientLimits } from "./udpclients.js";
import { CLIENT_IDLE_SEC, CONTROL_ID, encodeClose, encodeFrame, FrameDecoder, GUEST_RELAY_SCRIPT, MAX_CLIENTS, MAX_DATAGRAM, relayArgs } from "./udprelay.js";
import type { Forward } from "./types.js";

/** A running UDP forward: the bound host socket and its relay session. */
export interface UdpRelay {
  stop(): Promise<void>;
  /** Datagrams relayed to the guest, dropped (no session, or it is behind), and clients evicted or expired so far. */
  stats(): { relayed: number; dropped: number; ended: number };
}

/** Datagrams are dropped while this much is waiting to be written to the session (a slow guest). */
export const MAX_QUEUED_BYTES = 1 << 20;

/**
 * Starts a UDP forward (see udprelay.ts): binds the host address (failing at once, as a TCP forward
 * does, when the port is taken) and runs the guest relay over an ssh session on the ControlMaster,
 * again after a pause whenever the session ends, until stopped.
 */
export async function startUdpRelay(paths: InstancePaths, f: Forward, log: (m: string) => void): Promise<{ relay: UdpRelay } | { reason: string }> {
  if (!("port" in f.host) || !("port" in f.guest)) return { reason: "a UDP forward needs a host and a guest port" };
  const argv = sshArgv(paths, { tty: false, login: false, command: ["python3", "-c", GUEST_RELAY_SCRIPT, ...relayArgs(f.guest.ip, f.guest.port)] });
  return serveUdp(f.host, () => startChild("ssh", argv, { stdio: ["pipe", "pipe", "pipe"] }), log);
}

/**
 * The host end of a UDP forward: binds `host` and relays through the sessions `openSession` starts
 * (a child speaking the frame protocol on stdin/stdout), one at a time, again after a pause whenever
 * one ends. Clients are bounded (udpclients.ts); the guest is told of every client that ended.
 */
export async function serveUdp(
  host: { ip: string; port: number },
  openSession: () => ChildProcess,
  log: (m: string) => void,
  limits: ClientLimits = { maxClients: MAX_CLIENTS, idleMs: CLIENT_IDLE_SEC * 1000, idSpace: CONTROL_ID },
): Promise<{ relay: UdpRelay } | { reason: string }> {
  const sock: Socket = createSocket({ type: isIPv6(host.ip) ? "udp6" : "udp4", reuseAddr: false });
  const bound = await new Promise<string | undefined>((resolve) => {
    sock.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE" ? `host port ${host.port} (udp ${host.ip}) is already in use` : e.message));
    sock.bind({ address: host.ip, port: host.port, exclusive: true }, () => resolve(undefined));
  });
  if (bound !== undefined) {
    sock.close();
    return { reason: bound };
  }
  sock.on("error", (e) => log(`udp forward ${host.ip}:${host.port}: ${e.message}`));

  const clients = new ClientTable<RemoteInfo>(limits);
  const counts = { relayed: 0, dropped: 0, ended: 0 };
  let child: ChildProcess | undefined;
  let stopped = false;

  const tellEvicted = (ids: number[]) => {
    // Not subject to the queue cap: the guest must hear of every id that ends before it is reused.
    counts.ended += ids.length;
    const stdin = child?.stdin;
    if (ids.length > 0 && stdin?.writable) for (const fr of encodeClose(ids)) stdin.write(fr);
  };
  const expiry = setInterval(() => tellEvicted(clients.expire(Date.now())), 10_000);
  expiry.unref();

  sock.on("message", (msg, rinfo) => {
    // no session right now, or it is behind: dropped, as UDP may be
    if (msg.length > MAX_DATAGRAM || !child?.stdin?.writable || child.stdin.writableLength > MAX_QUEUED_BYTES) {
      counts.dropped++;
      return;
    }
    const { id, evicted } = clients.idFor(`${rinfo.address}|${rinfo.port}`, rinfo, Date.now());
    tellEvicted(evicted);
    child.stdin.write(encodeFrame(id, msg));
    counts.relayed++;
  });

  const runOnce = () =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = openSession();
      child = c;
      const frames = new FrameDecoder();
      let stderr = "";
      c.stdin?.on("error", () => undefined);
      c.stdout?.on("data", (b: Buffer) => {
        for (const { id, payload } of frames.push(b)) {
          const client = id === CONTROL_ID ? undefined : clients.addressOf(id, Date.now());
          if (client) sock.send(payload, client.port, client.address);
        }
      });
      c.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString("utf8")).slice(-2000)));
      c.once("error", (e) => resolve({ code: 127, stderr: e.message }));
      c.once("exit", (code) => {
        c.stdout?.destroy();
        c.stderr?.destroy();
        resolve({ code, stderr });
      });
    });
  const done = (async () => {
    while (!stopped) {
      const r = await runOnce();
      if (stopped) break;
      log(`udp forward ${host.ip}:${host.port}: the guest relay ended (code ${r.code}): ${r.stderr.trim().split("\n").pop() ?? ""}; restarting`);
      await pause(2000);
    }
  })();

  return {
    relay: {
      async stop() {
        stopped = true;
        clearInterval(expiry);
        child?.stdin?.end();
        child?.kill("SIGTERM");
        await done;
        sock.close();
      },
      stats: () => ({ ...counts }),
    },
  };
}
