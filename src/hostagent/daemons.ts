import { existsSync, mkdirSync, statSync } from "node:fs";
import type { ChildProcess } from "node:child_process";
import { TslimaError } from "../errors.js";
import type { MountPlan, PlannedMount } from "../mounts/types.js";
import type { InstancePaths } from "../store/paths.js";
import type { PlannedDaemon } from "./plan.js";
import { readPidFile } from "../store/pidfile.js";
import { isAlive } from "../proc/pid.js";
import { sshArgv } from "../ssh/index.js";
import { guestExec } from "../ssh/exec.js";
import { stderrLines, supervise, type ChildLog, type Supervised } from "./processes.js";
import { describeExit, exitOf, startChild, type Exit } from "../proc/child.js";
import { pause, poll } from "../proc/wait.js";

/**
 * Host side of every mount before QEMU starts: a writable location that does not exist is created
 * (as Lima does); a read-only one must exist, or the start fails naming the mount.
 */
export function prepareMountLocations(plan: MountPlan): void {
  plan.mounts.forEach((m, i) => {
    const where = `mounts[${i}] (${m.mount.location} -> ${m.mount.mountPoint})`;
    if (m.createLocation) {
      try {
        mkdirSync(m.mount.location, { recursive: true });
      } catch (e) {
        throw new TslimaError("MOUNT_LOCATION", `${where}: cannot create the location: ${(e as Error).message}`, {
          hint: `create ${m.mount.location} yourself or point mounts[${i}].location in lima.yaml elsewhere`,
        });
      }
    }
    let isDir: boolean;
    try {
      isDir = statSync(m.mount.location).isDirectory();
    } catch {
      throw new TslimaError("MOUNT_LOCATION", `${where}: the location does not exist (a read-only mount is not created)`, {
        hint: `create ${m.mount.location}, make the mount writable: true, or remove it from lima.yaml`,
      });
    }
    if (!isDir) {
      throw new TslimaError("MOUNT_LOCATION", `${where}: the location is not a directory`, {
        hint: `point mounts[${i}].location in lima.yaml at a directory`,
      });
    }
  });
}

/** Starts the daemons of a boot plan (swtpm, virtiofsd) in order, each waited for until its socket exists. */
export async function startMountDaemons(planned: PlannedDaemon[], signal: AbortSignal, log: (name: string) => ChildLog): Promise<Supervised[]> {
  const started: Supervised[] = [];
  for (const d of planned) {
    const name = `${d.command} (${d.what ?? d.location})`;
    // SIGPIPE ignored (kept across exec): its stderr is a pipe to the agent, and a daemon must outlive
    // an agent that dies, as QEMU does (it ignores SIGPIPE itself), for the next agent to re-attach
    const s = supervise(name, "/bin/sh", ["-c", 'trap "" PIPE; exec "$0" "$@"', d.command, ...d.args], log(name));
    started.push(s);
    if (d.socket === undefined) continue;
    const socket = d.socket;
    let exited = false;
    void s.exited.then(() => (exited = true));
    const ready = await poll(() => (existsSync(socket) ? true : exited || signal.aborted ? false : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    if (ready !== true) {
      const how = exited ? describeExit(await s.exited) : "did not create its socket within 15s";
      throw new TslimaError("MOUNT_DAEMON", `${d.command} for ${d.what ?? `mount ${d.location}`} ${how}: ${s.stderrTail().slice(-3).join(" / ")}`, {
        hint: d.hint ?? "check that the mount location exists and the daemon is installed, or use mountType: 9p",
      });
    }
  }
  return started;
}

/** One sshfs session: the host SFTP server and the ssh running the guest's sshfs, stdio crossed. */
function connect(paths: InstancePaths, p: NonNullable<PlannedMount["sshfs"]>, lines: ReturnType<typeof stderrLines>): { server: ChildProcess; client: ChildProcess } {
  const [hostCmd = "", ...hostArgs] = p.hostCommand;
  const server = startChild(hostCmd, hostArgs, { stdio: ["pipe", "pipe", "pipe"] });
  const client = startChild("ssh", sshArgv(paths, { tty: false, command: p.guestCommand }), { stdio: ["pipe", "pipe", "pipe"] });
  server.stdout?.pipe(client.stdin as NodeJS.WritableStream);
  client.stdout?.pipe(server.stdin as NodeJS.WritableStream);
  for (const s of [server.stdin, client.stdin]) s?.on("error", () => undefined);
  for (const [name, c] of [["sftp-server", server], ["sshfs", client]] as const) {
    c.on("error", (e) => lines.add(`${name}: ${e.message}`));
    c.stderr?.on("data", (b: Buffer) => lines.push(b));
  }
  return { server, client };
}

/**
 * reverse-sshfs: runs the guest's sshfs over ssh with its stdio wired to a host SFTP server, and
 * keeps it mounted: when the session ends (the ssh connection dropped, or sshfs was unmounted in the
 * guest) it is connected again, as long as QEMU runs. It ends for good when the agent terminates the
 * ssh client (cleanup), `signal` aborts, or QEMU is gone. Returns one Supervised per mount whose
 * `child` is always the current ssh client (the agent terminates it on stop). Their stderr and
 * reconnections go to `log(name)`.
 */
export async function startReverseSshfs(paths: InstancePaths, mounts: PlannedMount[], log: (name: string) => ChildLog, signal?: AbortSignal): Promise<Supervised[]> {
  const out: Supervised[] = [];
  const qemuRunning = () => {
    const pid = readPidFile(paths.qemuPid);
    return pid !== undefined && isAlive(pid);
  };
  for (const m of mounts) {
    const p = m.sshfs;
    if (!p || p.hostCommand.length === 0) continue;
    const prepare = async () => {
      const prep = await guestExec(paths, p.guestPrepare, { timeoutMs: 60_000 });
      if (prep.code !== 0) throw new TslimaError("SSHFS", `could not prepare ${m.mount.mountPoint} in the guest: ${prep.stderr.trim()}`);
    };
    await prepare();
    const name = `sshfs (${m.mount.location} -> ${m.mount.mountPoint})`;
    const say = log(name);
    const lines = stderrLines(say);
    let current = connect(paths, p, lines);
    const loop = async (): Promise<Exit> => {
      for (;;) {
        const exit = await exitOf(current.client);
        if (current.server.exitCode === null) current.server.kill("SIGTERM");
        // Terminated by the agent (stop), or nothing left to reconnect to.
        if (exit.signal !== null || signal?.aborted || !qemuRunning()) return exit;
        say(`session ended (${describeExit(exit)}), reconnecting`);
        await pause(1000, signal);
        for (;;) {
          if (signal?.aborted || !qemuRunning()) return exit;
          try {
            await prepare();
            break;
          } catch {
            await pause(3000, signal);
          }
        }
        current = connect(paths, p, lines);
      }
    };
    const exited = loop();
    out.push({
      name,
      get child() {
        return current.client;
      },
      exited,
      stderrTail: () => lines.tail(),
    });
  }
  return out;
}
