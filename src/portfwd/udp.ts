import type { ChildProcess } from "node:child_process";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { startChild } from "../proc/child.js";
import { pause } from "../proc/wait.js";
import { sshArgv } from "../ssh/index.js";
import type { InstancePaths } from "../store/paths.js";
import { isIPv6 } from "./ip.js";
import { CLIENT_IDLE_SEC, encodeFrame, FrameDecoder, GUEST_RELAY_SCRIPT, MAX_DATAGRAM } from "./udprelay.js";
import type { Forward } from "./types.js";

/** A running UDP forward: the bound host socket and its relay session. */
export interface UdpRelay {
  stop(): Promise<void>;
}

/**
 * Starts a UDP forward (see udprelay.ts): binds the host address (failing at once, as a TCP forward
 * does, when the port is taken) and runs the guest relay over an ssh session on the ControlMaster,
 * again after a pause whenever the session ends, until stopped.
 */
export async function startUdpRelay(paths: InstancePaths, f: Forward, log: (m: string) => void): Promise<{ relay: UdpRelay } | { reason: string }> {
  if (!("port" in f.host) || !("port" in f.guest)) return { reason: "a UDP forward needs a host and a guest port" };
  const host = f.host;
  const guest = f.guest;
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

  /** Client address <-> frame id, with the last time each was heard from. */
  const byAddr = new Map<string, { id: number; rinfo: RemoteInfo; at: number }>();
  const byId = new Map<number, string>();
  let nextId = 0;
  let child: ChildProcess | undefined;
  let stopped = false;

  const clientId = (rinfo: RemoteInfo): number => {
    const key = `${rinfo.address}|${rinfo.port}`;
    const now = Date.now();
    const known = byAddr.get(key);
    if (known) {
      known.at = now;
      return known.id;
    }
    for (const [k, c] of byAddr) {
      if (now - c.at > CLIENT_IDLE_SEC * 1000) {
        byAddr.delete(k);
        byId.delete(c.id);
      }
    }
    while (byId.has(nextId)) nextId = (nextId + 1) & 0xffff;
    const id = nextId;
    nextId = (nextId + 1) & 0xffff;
    byAddr.set(key, { id, rinfo, at: now });
    byId.set(id, key);
    return id;
  };
  sock.on("message", (msg, rinfo) => {
    if (msg.length > MAX_DATAGRAM || !child?.stdin?.writable) return; // no session right now: dropped, as UDP may be
    child.stdin.write(encodeFrame(clientId(rinfo), msg));
  });

  const argv = sshArgv(paths, { tty: false, login: false, command: ["python3", "-c", GUEST_RELAY_SCRIPT, guest.ip, String(guest.port)] });
  const runOnce = () =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = startChild("ssh", argv, { stdio: ["pipe", "pipe", "pipe"] });
      child = c;
      const frames = new FrameDecoder();
      let stderr = "";
      c.stdin?.on("error", () => undefined);
      c.stdout?.on("data", (b: Buffer) => {
        for (const { id, payload } of frames.push(b)) {
          const key = byId.get(id);
          const client = key !== undefined ? byAddr.get(key) : undefined;
          if (client) sock.send(payload, client.rinfo.port, client.rinfo.address);
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
        child?.stdin?.end();
        child?.kill("SIGTERM");
        await done;
        sock.close();
      },
    },
  };
}
