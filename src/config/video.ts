import { isIP } from "node:net";
import type { Config } from "./types.js";
import type { Finding } from "./validate-common.js";

/** Lima's builtin default of video.vnc.display: display 0 on loopback, or the next free one up to 9. */
export const DEFAULT_VNC_DISPLAY = "127.0.0.1:0,to=9";
/** VNC display N listens on TCP port 5900 + N. */
export const VNC_BASE_PORT = 5900;

/** QEMU's VNC server as tslima runs it: always on a loopback address, always with a password. */
export interface VncServer {
  /** A loopback address (the configured one, or 127.0.0.1 in place of any other). */
  host: string;
  display: number;
  /** The highest display QEMU may take when `display` is in use (`to=`). */
  to?: number;
  /** Why the configured display was changed, one line each (validation warns with them). */
  notes: string[];
}

/** The guest's display: none (headless, also for Lima's "default", which would open a window) or a VNC server. */
export type Display = { kind: "none" } | { kind: "vnc"; vnc: VncServer };

const video = (config: Config) => (config.extra.video ?? {}) as { display?: unknown; vnc?: { display?: unknown } };

const isLoopback = (host: string) => host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));

/**
 * Reads a video.vnc.display (`HOST:D[,to=L]`, Lima's form): a host that is not loopback (or empty,
 * QEMU's "every address") is replaced by 127.0.0.1, options but `to=` are dropped (e.g. `websocket=`,
 * which would open a second port, or `password=off`); each change is one of `notes`. A value
 * that is not of this form (`unix:PATH`, `none`) throws its reason. Pure.
 */
export function parseVncDisplay(text: string): VncServer {
  const [addr = "", ...opts] = text.split(",");
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`"${text}" is not HOST:DISPLAY[,to=LAST] (tslima's VNC server listens on TCP, e.g. ${DEFAULT_VNC_DISPLAY})`);
  const given = m[1] ?? m[2] ?? "";
  const display = Number(m[3]);
  const notes: string[] = [];
  const max = 65535 - VNC_BASE_PORT;
  if (display > max) throw new Error(`display ${display} is above ${max} (port 5900 + display)`);
  let host = given;
  if (!isLoopback(given)) {
    host = "127.0.0.1";
    notes.push(`${given === "" ? "every address" : given} is not a loopback address: the VNC server listens on 127.0.0.1 only (a VM's screen is not for the network; use ssh -L to reach it from elsewhere)`);
  }
  let to: number | undefined;
  const dropped: string[] = [];
  for (const o of opts) {
    const t = /^to=(\d{1,5})$/.exec(o);
    if (t) to = Math.min(Math.max(Number(t[1]), display), max);
    else if (o !== "" && o !== "password=on" && o !== "password") dropped.push(o);
  }
  if (dropped.length > 0) notes.push(`option(s) ${dropped.join(",")} dropped: tslima's VNC server takes only to= and always has a password`);
  return { host, display, ...(to !== undefined ? { to } : {}), notes };
}

/** The display a config asks for (video.display, video.vnc.display). Throws on an unreadable VNC display. Pure. */
export function displayOf(config: Config): Display {
  const v = video(config);
  if (v.display !== "vnc") return { kind: "none" };
  const text = typeof v.vnc?.display === "string" && v.vnc.display !== "" ? v.vnc.display : DEFAULT_VNC_DISPLAY;
  return { kind: "vnc", vnc: parseVncDisplay(text) };
}

/** QEMU's `-display vnc=` value of a VNC server, password on (set over QMP once QEMU runs). Pure. */
export function vncDisplayArg(vnc: VncServer): string {
  const host = vnc.host.includes(":") ? `[${vnc.host}]` : vnc.host;
  return `vnc=${host}:${vnc.display}${vnc.to !== undefined ? `,to=${vnc.to}` : ""},password=on`;
}

/** Findings on video: displays other than vnc and none, a VNC display that is changed or unreadable. Pure. */
export function videoFindings(config: Config): Finding[] {
  const v = video(config);
  const out: Finding[] = [];
  if (typeof v.display === "string" && !["", "none", "vnc"].includes(v.display)) {
    out.push({
      path: ["video", "display"],
      message: `"${v.display}" opens no window under tslima (its host agent runs detached): the guest is headless; use "vnc" for a screen (see \`tslima screenshot\`)`,
      warning: true,
    });
  }
  if (v.display !== "vnc") return out;
  try {
    const d = displayOf(config);
    if (d.kind === "vnc") for (const n of d.vnc.notes) out.push({ path: ["video", "vnc", "display"], message: n, warning: true });
  } catch (e) {
    out.push({ path: ["video", "vnc", "display"], message: (e as Error).message });
  }
  return out;
}

/** Whether the config asks for an emulated TPM 2.0 (Lima's `tpm: true`). Pure. */
export const wantsTpm = (config: Config): boolean => config.extra.tpm === true;
