import { spawnSync } from "node:child_process";

/**
 * Leaves a stale unix socket at `path`, as a crashed program does: a child process listens there
 * and is killed with SIGKILL, so nothing removes the socket file and nothing accepts on it.
 */
export function makeStaleSocket(path: string): void {
  const script = "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
  spawnSync(process.execPath, ["-e", script, path], { stdio: "ignore", timeout: 10_000 });
}
