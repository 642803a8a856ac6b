import { existsSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { TslimaError } from "../errors.js";
import { runProgram } from "../proc/run.js";
import { findFreePort } from "../qemu/port.js";
import { sshForwardArgv } from "../ssh/argv.js";
import { guestExec } from "../ssh/exec.js";
import { writeFileAtomic } from "../store/atomic.js";
import { tslimaHome, type InstancePaths } from "../store/paths.js";
import { inspectStatus } from "../store/status.js";
import { requireInstance } from "./lookup.js";

/**
 * `limactl tunnel`: a SOCKS5 proxy on 127.0.0.1 through the instance. tslima asks the instance's
 * ssh ControlMaster for a dynamic forward (`ssh -O forward -D 127.0.0.1:PORT`), so no process is
 * added and the proxy ends with the master (at stop) or with `stopTunnel` (`ssh -O cancel`). The
 * port is recorded in tunnel.json in the instance directory (per boot: dropped on clone/rename).
 */

export const TUNNEL_FILE = "tunnel.json";

export interface TunnelOptions {
  home?: string;
  /** 0 or absent: a free port; else 1024..65535, as Lima. */
  socksPort?: number;
}

const tunnelFile = (paths: InstancePaths) => join(paths.dir, TUNNEL_FILE);

/** Whether something accepts TCP connections on 127.0.0.1:PORT (within 1 s). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** The port of the recorded tunnel when it still listens; a stale record is removed. */
async function recordedTunnel(paths: InstancePaths): Promise<number | undefined> {
  const file = tunnelFile(paths);
  if (!existsSync(file)) return undefined;
  let port: number | undefined;
  try {
    port = (JSON.parse(readFileSync(file, "utf8")) as { port?: number }).port;
  } catch {
    port = undefined;
  }
  if (typeof port === "number" && inspectStatus(paths).status === "Running" && (await listening(port))) return port;
  rmSync(file, { force: true });
  return undefined;
}

function runningPaths(name: string, home: string): InstancePaths {
  const paths = requireInstance(home, name);
  const st = inspectStatus(paths);
  if (st.status !== "Running") {
    throw new TslimaError("NOT_RUNNING", `instance ${name} is ${st.status}${st.reason ? ` (${st.reason})` : ""}; a tunnel needs it running`, {
      hint: `start it: tslima start ${name}`,
    });
  }
  return paths;
}

/**
 * Opens the SOCKS5 proxy (or finds the one already open) and resolves with its port. A requested
 * port that another program holds, or that differs from an open tunnel's, is an error.
 */
export async function startTunnel(name: string, opts: TunnelOptions = {}): Promise<{ port: number; reused: boolean }> {
  const requested = opts.socksPort ?? 0;
  if (!Number.isInteger(requested) || (requested !== 0 && (requested < 1024 || requested > 65535))) {
    throw new TslimaError("INVALID_FLAG", `invalid socks port ${requested}`, { hint: "--socks-port takes 0 (a free port) or a port from 1024 to 65535" });
  }
  const paths = runningPaths(name, opts.home ?? tslimaHome());
  const open = await recordedTunnel(paths);
  if (open !== undefined) {
    if (requested !== 0 && requested !== open) {
      throw new TslimaError("INVALID_FLAG", `instance ${name} already has a tunnel on port ${open}`, { hint: `stop it first: tslima tunnel ${name} --stop` });
    }
    return { port: open, reused: true };
  }
  // a command over ssh makes sure the ControlMaster runs (ssh.config: ControlMaster auto, ControlPersist)
  const probe = await guestExec(paths, ["true"], { timeoutMs: 60_000 });
  if (probe.code !== 0) throw new TslimaError("SSH", `cannot reach instance ${name} over ssh: ${probe.stderr.trim() || `exit ${probe.code}`}`, { hint: `try: tslima shell ${name} --reconnect true` });
  const port = requested !== 0 ? requested : await findFreePort();
  const r = await runProgram("ssh", sshForwardArgv(paths, "forward", port), { timeoutMs: 30_000 });
  if (r.spawnError || r.code !== 0) {
    throw new TslimaError("SSH", `cannot open a SOCKS proxy on 127.0.0.1:${port} through instance ${name}: ${r.spawnError?.message ?? (r.stderr.trim() || `ssh exit ${r.code}`)}`, {
      hint: requested !== 0 ? "the port may be in use: pick another --socks-port, or 0 for a free one" : "run it again (another program may have taken the free port)",
    });
  }
  writeFileAtomic(tunnelFile(paths), `${JSON.stringify({ port })}\n`);
  return { port, reused: false };
}

/** Closes the instance's tunnel; resolves with its port, or undefined when none was open. */
export async function stopTunnel(name: string, opts: { home?: string } = {}): Promise<number | undefined> {
  const paths = requireInstance(opts.home ?? tslimaHome(), name);
  const port = await recordedTunnel(paths);
  if (port === undefined) return undefined;
  const r = await runProgram("ssh", sshForwardArgv(paths, "cancel", port), { timeoutMs: 30_000 });
  if (r.spawnError || r.code !== 0) {
    throw new TslimaError("SSH", `cannot close the SOCKS proxy on 127.0.0.1:${port} of instance ${name}: ${r.spawnError?.message ?? (r.stderr.trim() || `ssh exit ${r.code}`)}`, {
      hint: `end the instance's ssh connection instead: tslima shell ${name} --reconnect true`,
    });
  }
  rmSync(tunnelFile(paths), { force: true });
  return port;
}
