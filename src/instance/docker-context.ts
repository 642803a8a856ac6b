import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProgram, type RunResult } from "../proc/run.js";
import { poll } from "../proc/wait.js";
import { writeFileAtomic } from "../store/atomic.js";
import type { InstancePaths } from "../store/paths.js";

/**
 * The host docker CLI's context for a docker instance (issue 14), as Colima does it: `start` creates
 * the context `tslima-NAME` (endpoint: the forwarded docker.sock) and makes it current, `stop` leaves
 * it, `delete` removes it and makes the context that was current before it current again.
 *
 * An instance is a docker one when its config forwards a guest `docker.sock` to a host socket (see
 * dockerHostSocket in src/portfwd/rules.ts); the agent puts that host socket in its READY event.
 * Everything goes through the host's `docker` CLI (`docker context create/use/rm/inspect/show`), in
 * the docker config directory of the start's environment (DOCKER_CONFIG, else $HOME/.docker). That
 * directory is recorded in `<instance>/docker-context.json` with the previous context, so `delete`
 * works on the same config whatever its own environment.
 */

export interface DockerContextRecord {
  context: string;
  /** DOCKER_CONFIG used for every docker command about this context. */
  dockerConfig: string;
  /** The context that was current before `tslima-NAME` was made current; absent when it never was. */
  previous?: string;
}

export function dockerContextName(instance: string): string {
  return `tslima-${instance}`;
}

function recordPath(paths: InstancePaths): string {
  return join(paths.dir, "docker-context.json");
}

function readRecord(paths: InstancePaths): DockerContextRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(recordPath(paths), "utf8")) as DockerContextRecord;
    return typeof r.context === "string" && typeof r.dockerConfig === "string" ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The docker config directory of an environment: DOCKER_CONFIG, else $HOME/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return env.HOME ? join(env.HOME, ".docker") : undefined;
}

function docker(args: string[], dockerConfig: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  // DOCKER_CONTEXT/DOCKER_HOST would override what `context show` reports and `context use` sets.
  const { DOCKER_CONTEXT: _c, DOCKER_HOST: _h, ...rest } = env;
  return runProgram("docker", args, { env: { ...rest, DOCKER_CONFIG: dockerConfig }, timeoutMs: 30_000 });
}

function why(r: RunResult): string {
  if (r.spawnError) return r.spawnError.code === "ENOENT" ? "the docker CLI is not installed on the host" : r.spawnError.message;
  return r.stderr.trim().split("\n").pop() || `exit code ${r.code}`;
}

export interface EnsureContextOptions {
  /** Make the context current (default true); false only creates (or updates) it. */
  activate?: boolean;
  /** The environment whose DOCKER_CONFIG/HOME and PATH the docker CLI gets. */
  env: NodeJS.ProcessEnv;
  /** Progress and problems, as lines for the user. */
  say: (m: string) => void;
  /** How long to wait for the forwarded socket to appear (the forwards start right after READY). */
  socketWaitMs?: number;
}

/**
 * Creates (or points again) the context `tslima-NAME` at `socket` and, unless `activate` is false,
 * makes it current, remembering the context it replaces. Problems are reported through `say` and
 * never fail the start: the VM is up either way.
 */
export async function ensureDockerContext(paths: InstancePaths, socket: string, o: EnsureContextOptions): Promise<void> {
  const context = dockerContextName(paths.name);
  const old = readRecord(paths);
  const dockerConfig = old?.dockerConfig ?? dockerConfigDir(o.env);
  if (dockerConfig === undefined) {
    o.say(`docker context ${context}: neither DOCKER_CONFIG nor HOME is set; not created`);
    return;
  }
  const endpoint = `host=unix://${socket}`;
  const exists = await docker(["context", "inspect", context], dockerConfig, o.env);
  if (exists.spawnError) {
    o.say(`docker context ${context} not created: ${why(exists)}`);
    return;
  }
  const made = await docker(["context", exists.code === 0 ? "update" : "create", context, "--description", `tslima instance ${paths.name}`, "--docker", endpoint], dockerConfig, o.env);
  if (made.code !== 0) {
    o.say(`docker context ${context} not created: ${why(made)}`);
    return;
  }
  const record: DockerContextRecord = { context, dockerConfig, ...(old?.previous !== undefined ? { previous: old.previous } : {}) };
  if (o.activate !== false) {
    const shown = await docker(["context", "show"], dockerConfig, o.env);
    const current = shown.code === 0 ? shown.stdout.trim() : "default";
    if (current !== context) {
      const used = await docker(["context", "use", context], dockerConfig, o.env);
      if (used.code !== 0) {
        o.say(`docker context ${context} created but not made current: ${why(used)}`);
      } else {
        record.previous = current;
        o.say(`docker context ${context} is now current (it was ${current}); \`tslima delete ${paths.name}\` switches back`);
      }
    }
  } else {
    o.say(`docker context ${context} created (not made current): docker --context ${context} ...`);
  }
  writeFileAtomic(recordPath(paths), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  // `docker` right after `start` returns should find the socket: the forward is set up just after READY.
  const isSocket = () => {
    try {
      return statSync(socket).isSocket() ? true : undefined;
    } catch {
      return undefined;
    }
  };
  const ok = await poll(isSocket, { timeoutMs: o.socketWaitMs ?? 30_000, intervalMs: 200 });
  if (!ok) o.say(`docker context ${context}: ${socket} did not appear (see the port forwarding lines of ${paths.haStderrLog})`);
}

/**
 * Removes the context `tslima-NAME` recorded for an instance, first making the context that was
 * current before it current again when `tslima-NAME` still is (the CLI's default when that one is
 * gone). Problems are reported through `say`; the record is removed in any case.
 */
export async function removeDockerContext(paths: InstancePaths, env: NodeJS.ProcessEnv, say: (m: string) => void): Promise<void> {
  const record = readRecord(paths);
  if (!record) return;
  const { context, dockerConfig } = record;
  const shown = await docker(["context", "show"], dockerConfig, env);
  if (shown.spawnError) {
    say(`docker context ${context} not removed: ${why(shown)}`);
    rmSync(recordPath(paths), { force: true });
    return;
  }
  if (shown.code === 0 && shown.stdout.trim() === context) {
    let back = record.previous ?? "default";
    if (back !== "default" && (await docker(["context", "inspect", back], dockerConfig, env)).code !== 0) back = "default";
    const used = await docker(["context", "use", back], dockerConfig, env);
    say(used.code === 0 ? `docker context ${back} is current again` : `cannot make docker context ${back} current: ${why(used)}`);
  }
  const rm = await docker(["context", "rm", "--force", context], dockerConfig, env);
  if (rm.code !== 0 && existsSync(dockerConfig)) say(`docker context ${context} not removed: ${why(rm)}`);
  rmSync(recordPath(paths), { force: true });
}
