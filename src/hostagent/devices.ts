import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomInt } from "node:crypto";
import { VNC_BASE_PORT, type VncServer } from "../config/video.js";
import { deviceFiles } from "../qemu/devices.js";
import { QmpClient } from "../qemu/index.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";

/**
 * Before swtpm starts: its state directory (kept across boots: the guest's TPM keeps its keys) made
 * private, and what a killed swtpm left (its socket, its state lock) removed, so that the agent waits
 * for the new socket and swtpm can take the state again.
 */
export function prepareSwtpm(paths: InstancePaths): void {
  const f = deviceFiles(paths);
  mkdirSync(f.swtpmState, { recursive: true, mode: 0o700 });
  rmSync(f.swtpmSock, { force: true });
  rmSync(join(f.swtpmState, ".lock"), { force: true });
}

/** What stays in the instance directory while the VM runs only: swtpm's socket, the VNC files. */
export function deviceRuntimeFiles(paths: InstancePaths): string[] {
  const f = deviceFiles(paths);
  return [f.swtpmSock, f.vncDisplay, f.vncPassword];
}

/** VNC's own authentication takes at most 8 characters; letters and digits, drawn uniformly. */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
const vncPassword = () => Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");

/**
 * Lima's VNC setup once QEMU runs: a fresh password set over QMP (QEMU starts with password=on and
 * none set, so nobody can log in before), then `vncpassword` and `vncdisplay` (HOST:D, the display
 * QEMU took when `to=` let it choose) written 0600. Returns the display.
 */
export async function startVnc(paths: InstancePaths, vnc: VncServer): Promise<string> {
  const f = deviceFiles(paths);
  const qmp = await QmpClient.connect(paths.qmpSock, { retry: true, timeoutMs: 30_000 });
  try {
    const password = vncPassword();
    await qmp.execute("change-vnc-password", { password });
    writeFileAtomic(f.vncPassword, password, 0o600);
    let display = vnc.display;
    if (vnc.to !== undefined) {
      const info = (await qmp.execute("query-vnc")) as { service?: string };
      const port = Number(info.service);
      if (Number.isInteger(port) && port >= VNC_BASE_PORT) display = port - VNC_BASE_PORT;
    }
    const text = `${vnc.host.includes(":") ? `[${vnc.host}]` : vnc.host}:${display}`;
    writeFileAtomic(f.vncDisplay, text, 0o600);
    return text;
  } finally {
    qmp.close();
  }
}
