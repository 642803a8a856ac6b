import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, posix } from "node:path";
import type { InstancePaths } from "../store/paths.js";
import { guestExec, runCollect, shScript } from "../ssh/exec.js";
import { shellQuote, sshHostAlias } from "../ssh/index.js";
import { prepareListenSocket, removeListenSocket } from "./hostsocket.js";
import { endpointText, sshForwardArgs } from "./plan.js";
import type { Forward } from "./types.js";

/**
 * Adds and cancels forwards on the instance's ssh ControlMaster (`ssh -O forward|cancel`): the
 * master listens on the host for -L and asks sshd to listen in the guest for -R. Thin: the
 * decisions are in rules.ts and plan.ts.
 */

const TIMEOUT_MS = 15_000;

/** Result of one request: ok, or the reason it failed (one line). */
export type ForwardResult = { ok: true } | { ok: false; reason: string };

function lastLine(text: string): string {
  return text.trim().split("\n").filter((l) => l.trim() !== "").pop() ?? "";
}

async function controlRequest(paths: InstancePaths, verb: "forward" | "cancel", f: Forward): Promise<ForwardResult> {
  const spec = sshForwardArgs(f);
  if ("problem" in spec) return { ok: false, reason: spec.problem };
  const r = await runCollect("ssh", ["-F", paths.sshConfig, "-O", verb, ...spec.args, sshHostAlias(paths.name)], undefined, TIMEOUT_MS);
  // `-O cancel` of a forward the master does not have exits 0 with "port not forwarded": fine.
  return r.code === 0 ? { ok: true } : { ok: false, reason: lastLine(r.stderr) || `ssh -O ${verb} exited with code ${r.code}` };
}

/** True when nothing listens on ip:port on the host (we could bind it), false when it is in use. */
export function hostPortFree(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", (e: NodeJS.ErrnoException) => resolve(e.code !== "EADDRINUSE"));
    srv.listen({ host: ip, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Why adding `f` failed, in words a user can act on (a busy host port is named as such). */
async function explainFailure(f: Forward, sshReason: string): Promise<string> {
  if (!f.reverse && "port" in f.host && !(await hostPortFree(f.host.ip, f.host.port))) {
    return `host port ${f.host.port} (${endpointText(f.host)}) is already in use`;
  }
  return sshReason;
}

/**
 * Sets up one forward. A unix socket that will be listened on gets its directory created and a stale
 * socket there removed (it would make ssh fail): on the host for -L (only a stale socket, see
 * hostsocket.ts), in the guest for -R. The directory of a host socket that -R connects to is created too.
 */
export async function addForward(paths: InstancePaths, f: Forward): Promise<ForwardResult> {
  if ("socket" in f.host) {
    try {
      // -R: the host socket is the user's to create; its directory (e.g. <instance>/sock) is made ready for it.
      if (f.reverse) mkdirSync(dirname(f.host.socket), { recursive: true });
      const refused = f.reverse ? undefined : await prepareListenSocket(f.host.socket);
      if (refused !== undefined) return { ok: false, reason: refused };
    } catch (e) {
      return { ok: false, reason: `cannot prepare ${f.host.socket}: ${(e as Error).message}` };
    }
  }
  if (f.reverse && "socket" in f.guest) {
    const s = f.guest.socket;
    const r = await guestExec(paths, shScript(`rm -f ${shellQuote(s)} && mkdir -p ${shellQuote(posix.dirname(s))}`), { timeoutMs: TIMEOUT_MS });
    if (r.code !== 0) return { ok: false, reason: `cannot prepare ${s} in the guest: ${lastLine(r.stderr) || `code ${r.code}`}` };
  }
  const r = await controlRequest(paths, "forward", f);
  return r.ok ? r : { ok: false, reason: await explainFailure(f, r.reason) };
}

/** Cancels one forward; the host socket of a -L socket forward is removed (ssh leaves it), if still a socket. */
export async function cancelForward(paths: InstancePaths, f: Forward): Promise<ForwardResult> {
  const r = await controlRequest(paths, "cancel", f);
  if (!f.reverse && "socket" in f.host) removeListenSocket(f.host.socket);
  return r;
}
