import { openSync, closeSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { TslimaError } from "../errors.js";
import { startChild } from "../proc/child.js";
import { makePrivateDir } from "../store/private.js";
import { networkDir, switchFiles } from "./paths.js";
import type { SwitchNetwork, SwitchReply, SwitchRequest } from "./protocol.js";

export type { SwitchNetwork } from "./protocol.js";

const SWITCH_MAIN = fileURLToPath(new URL("./switch-main.js", import.meta.url));


/** One request on a fresh connection to the switch daemon; undefined when no daemon listens. */
export async function switchRequest(home: string, name: string, req: SwitchRequest, timeoutMs = 5000): Promise<SwitchReply | undefined> {
  const sock = switchFiles(networkDir(home, name)).sock;
  return new Promise((resolve) => {
    const c = connect(sock);
    let buf = "";
    const done = (r: SwitchReply | undefined) => (c.destroy(), clearTimeout(t), resolve(r));
    const t = setTimeout(() => done({ ok: false, error: `no answer from the switch of network ${name} within ${timeoutMs} ms` }), timeoutMs);
    c.once("connect", () => c.write(`${JSON.stringify(req)}\n`));
    c.setEncoding("utf8");
    c.on("data", (d: string) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) done(JSON.parse(buf.slice(0, nl)) as SwitchReply);
    });
    c.once("error", () => done(undefined));
  });
}

/** Starts the network's switch daemon unless one answers, and waits (up to 10 s) until one does. */
export async function ensureSwitch(home: string, net: SwitchNetwork): Promise<void> {
  if ((await switchRequest(home, net.name, { op: "status" }))?.ok) return;
  const dir = networkDir(home, net.name);
  makePrivateDir(dir);
  const log = openSync(switchFiles(dir).log, "a", 0o600);
  try {
    const child = startChild(process.execPath, [SWITCH_MAIN, dir, home, net.name, net.gateway, net.netmask], { detached: true, stdio: ["ignore", log, log] });
    child.unref();
  } finally {
    closeSync(log);
  }
  for (let waited = 0; waited < 10_000; waited += 100) {
    if ((await switchRequest(home, net.name, { op: "status" }))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new TslimaError("NETWORK_SWITCH", `the switch of network ${net.name} did not start`, { hint: `see ${switchFiles(dir).log}` });
}

export interface Member {
  instance: string;
  /** The instance's QEMU `-netdev stream,server=on` socket. */
  socket: string;
  mac: string;
}

/**
 * An instance's place on a user-v2 network, held by its host agent: it starts the switch when none
 * runs, attaches the instance's QEMU, and keeps a connection to the daemon open; when that drops
 * while the instance runs (the daemon crashed or was killed), it starts the switch again and
 * re-attaches, so the network comes back by itself.
 */
export class SwitchLink {
  private conn?: Socket;
  private closed = false;
  ip = "";

  constructor(
    private readonly home: string,
    private readonly net: SwitchNetwork,
    private readonly member: Member,
    private readonly log: (line: string) => void,
  ) {}

  /** Attaches (starting the switch if needed); the leased address is in `ip`. */
  async open(): Promise<void> {
    await ensureSwitch(this.home, this.net);
    const r = await switchRequest(this.home, this.net.name, { op: "attach", ...this.member }, 15_000);
    if (!r?.ok) {
      throw new TslimaError("NETWORK_ATTACH", `cannot attach ${this.member.instance} to network ${this.net.name}: ${r && !r.ok ? r.error : "no switch"}`, {
        hint: `see ${switchFiles(networkDir(this.home, this.net.name)).log}`,
      });
    }
    this.ip = r.ip ?? "";
    this.keepalive();
  }

  private keepalive(): void {
    const c = connect(switchFiles(networkDir(this.home, this.net.name)).sock);
    this.conn = c;
    c.on("error", () => undefined);
    c.on("close", () => {
      if (this.closed) return;
      this.log(`network ${this.net.name}: the switch went away; starting it again`);
      void this.reopen();
    });
  }

  private async reopen(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.open();
        this.log(`network ${this.net.name}: attached again as ${this.ip}`);
        return;
      } catch (e) {
        this.log(`network ${this.net.name}: ${(e as Error).message} (attempt ${attempt})`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * attempt)));
      }
    }
  }

  /** Leaves the network (the daemon drops the port; it exits when no instance is left). */
  async close(): Promise<void> {
    this.closed = true;
    this.conn?.destroy();
    await switchRequest(this.home, this.net.name, { op: "detach", instance: this.member.instance }, 2000);
  }
}
